import { seededRandom } from '@internal/dezky-test-utils';
import {
  AUDIT_GENESIS_HASH,
  AuditEvent,
  chainHash,
  chainText,
} from '@internal/plugin-audit-common';
import {
  AuditRow,
  fromRow,
  keyOrderedJson,
  rowChainHash,
  rowChainText,
  rowLink,
  toRow,
} from './rows';

const TEXTS = [
  null,
  '',
  'x',
  'tenant:default/acme',
  'ü∑ "quoted"',
  'x\ud800y',
  '\u0001\t\n',
  '😀',
  '\\',
];
const METADATA = [
  null,
  '',
  'null',
  '0',
  '-0',
  '1e21',
  '"text"',
  'true',
  '[]',
  '{}',
  '[1,null,{"a":null,"b":[]}]',
  '{"seats":{"from":1,"to":2},"note":"ü \\"q\\""}',
  '{"b":1,"a":{"d":null,"c":"x"},"10":1,"9":2}',
  '{"__proto__":{"x":1},"a":1}',
  '{"__proto__":null,"a":1}',
  '{"a":"\\ud800"}',
  // canonical as stored (rowLink takes them as they are)
  '{"a":{"c":"x"},"b":1}',
  '{"note":"ü \\"q\\"","seats":{"from":1,"to":2}}',
  '{"10":1,"9":[1,null,true]}',
];
// SQLite keeps what it is given: numbers where text belongs, too
const ODD = [5, 0, -1.5];

describe('rowChainText', () => {
  it('is chainText(fromRow(row)), for random rows', () => {
    const r = seededRandom(1905);
    const pick = <T>(list: readonly T[]) => list[r(list.length)];
    const text = () => (r(20) === 0 ? pick(ODD) : pick(TEXTS));
    const differing: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const row = {
        seq: r(2) ? String(i + 1) : i + 1,
        at: text(),
        actor_type: text(),
        actor_ref: text(),
        actor_email: text(),
        actor_ip: text(),
        action: text(),
        outcome: text(),
        resource_type: text(),
        resource_ref: text(),
        resource_name: text(),
        tenant_ref: text(),
        partner_ref: text(),
        source: text(),
        external_id: text(),
        metadata: r(30) === 0 ? pick(ODD) : pick(METADATA),
        prev_hash: text(),
        hash: text(),
      } as unknown as AuditRow;
      const fast = rowChainText(rowLink(row));
      const defined = chainText(fromRow(row));
      if (fast !== defined) differing.push(`${JSON.stringify(row)}: ${fast}`);
      else if (rowChainHash(rowLink(row)) !== chainHash(fromRow(row))) {
        differing.push(`${JSON.stringify(row)}: another hash`);
      }
    }
    expect(differing).toEqual([]);
  });

  it('fails where fromRow and chainText fail', () => {
    const row = (metadata: string) =>
      ({
        seq: '1',
        at: 'a',
        actor_type: 'system',
        action: 'x',
        outcome: 'success',
        source: 's',
        metadata,
        prev_hash: '0'.repeat(64),
        hash: 'h',
      } as unknown as AuditRow);
    expect(() => rowLink(row('{not json'))).toThrow(SyntaxError);
    expect(() => fromRow(row('{not json'))).toThrow(SyntaxError);
    // JSON that parses to Infinity: canonical JSON has none
    expect(() => rowChainText(rowLink(row('{"a":1e999}')))).toThrow(
      'Infinity is not allowed',
    );
    expect(() => chainText(fromRow(row('{"a":1e999}')))).toThrow(
      'Infinity is not allowed',
    );
  });
});

describe('toRow', () => {
  const event = (metadata: Record<string, unknown>): AuditEvent => {
    const unhashed = {
      seq: 1,
      at: '2026-12-07T00:00:00.000Z',
      actor: { type: 'system' as const },
      action: 'x.done',
      outcome: 'success' as const,
      source: 'portal',
      metadata,
      prevHash: AUDIT_GENESIS_HASH,
    };
    return { ...unhashed, hash: chainHash(unhashed) };
  };

  it('stores metadata with its members in key order, null members kept, and reads it back', () => {
    const e = event({ seats: { to: 2, from: 1 }, reason: null, __proto__x: 1 });
    const row = toRow(e);
    expect(row.metadata).toBe(
      '{"__proto__x":1,"reason":null,"seats":{"from":1,"to":2}}',
    );
    expect(fromRow(row)).toEqual(e);
    expect(keyOrderedJson({ b: [{ d: 1, c: 2 }], a: undefined })).toBe(
      '{"b":[{"c":2,"d":1}]}',
    );
    // a member named __proto__ stays a member
    expect(keyOrderedJson(JSON.parse('{"b":1,"__proto__":{"x":1}}'))).toBe(
      '{"__proto__":{"x":1},"b":1}',
    );
  });

  it('metadata so stored without null members is taken as it is, and hashes as the event', () => {
    const plain = toRow(event({ seats: { to: 2, from: 1 }, note: 'ü "q"' }));
    expect(rowLink(plain).metadataText).toBe(plain.metadata);
    expect(rowChainHash(rowLink(plain))).toBe(plain.hash);
    const withNull = toRow(event({ reason: null, b: 1 }));
    expect(rowLink(withNull).metadataText).toBeUndefined();
    expect(rowChainHash(rowLink(withNull))).toBe(withNull.hash);
  });
});
