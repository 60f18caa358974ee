import { AuditEvent } from '@internal/plugin-audit-common';
import canonicalize from 'canonicalize';
import { createHash } from 'crypto';
import { chainHash } from './chain';

/*
 * Hashes pinned from the first implementation of chainHash (Object.entries
 * compaction, createHash): a faster chainHash must give every stored chain
 * the same hashes, or every existing chain would stop verifying.
 */

const Z = '0'.repeat(64);
type Loose = Omit<AuditEvent, 'hash'> & Record<string, unknown>;

const vectors: Array<[string, unknown, string]> = [
  [
    'a minimal event',
    {
      seq: 1,
      at: '2026-11-25T12:00:00.000Z',
      actor: { type: 'system' },
      action: 'tenant.updated',
      outcome: 'success',
      source: 'portal',
      prevHash: Z,
    },
    'cfb2a797336527c098c2fd1a438e88fc73c3b3dd14ddc11f1f291e3c355b6638',
  ],
  [
    'every field, and a hash that is left out',
    {
      seq: 42,
      at: '2026-11-25T17:00:00.000Z',
      actor: {
        type: 'user',
        ref: 'user:default/anna.schmidt',
        email: 'anna.schmidt@dezky.example',
        ip: '10.0.0.1',
      },
      action: 'tenant.suspended',
      outcome: 'failure',
      resource: {
        type: 'tenant',
        ref: 'tenant:default/acme',
        name: 'ACME GmbH',
      },
      tenant: 'tenant:default/acme',
      partner: 'partner:default/nordlicht-it',
      source: 'stalwart',
      externalId: 'x-1',
      metadata: { seats: { from: 1, to: 2 }, note: 'ü∑ "quoted"' },
      prevHash: 'a'.repeat(64),
      hash: 'ignored',
    },
    '1c6ea92e81c3907a6dc7a8d17045695b88edf7fa9174db91339c136cfd0cd440',
  ],
  [
    'empty optional fields, undefined and null',
    {
      seq: 3,
      at: '2026-11-25T12:00:00.000Z',
      actor: { type: 'service', ref: undefined, email: null, ip: undefined },
      action: 'x',
      outcome: 'success',
      resource: undefined,
      tenant: null,
      partner: undefined,
      source: 'portal',
      externalId: null,
      metadata: undefined,
      prevHash: Z,
      hash: undefined,
    },
    '919e19bc85a4308e53eec0fa8bf7a7f0e0eb37022713619142ec9e4e5a96960d',
  ],
  [
    'nulls at every depth, arrays, numbers',
    {
      seq: 4,
      at: 'a',
      actor: { type: 'user' },
      action: 'x',
      outcome: 'success',
      source: 's',
      prevHash: Z,
      metadata: {
        a: null,
        b: undefined,
        c: { d: null, e: [1, null, undefined, { f: null, g: 0 }, [null]] },
        '': '',
        empty: {},
        list: [],
        t: true,
        f: false,
        zero: 0,
        negZero: -0,
        big: 1e21,
        small: 1e-7,
        frac: 0.1 + 0.2,
      },
    },
    'e841051817f795b5ae5bef231a72ee062e2d5f0858b1953dbe8e3555af14051b',
  ],
  [
    'unicode keys and values, a lone surrogate, control characters',
    {
      seq: 5,
      at: 'b',
      actor: { type: 'external', ref: 'ext:Ünïcødé' },
      action: 'y',
      outcome: 'success',
      source: 's',
      prevHash: Z,
      metadata: {
        é: 1,
        e: 2,
        '\u20ac': 3,
        '\ud83d\ude00': 'emoji 😀',
        'z\u0000': 'nul\u0000',
        lone: 'x\ud800y',
        ctl: '\u001f\u007f\t\n',
        '10': 'ten',
        '9': 'nine',
        A: 'A',
        a: 'a',
      },
    },
    '5fe3a10d426555aca631ce294eabe7cc2c34d0a75f55fec3d814c79b6e434e51',
  ],
  [
    'a resource with only its type, empty refs',
    {
      seq: 6,
      at: 'c',
      actor: { type: 'system' },
      action: 'z',
      outcome: 'success',
      source: 's',
      prevHash: Z,
      resource: { type: 'tenant', ref: null, name: undefined },
      tenant: '',
      partner: '',
    },
    '88e77ffee39058da5791268d5ef99a3822479f8f60f125106eecdca013185353',
  ],
  [
    'objects inside arrays',
    {
      seq: 7,
      at: 'd',
      actor: { type: 'system' },
      action: 'z',
      outcome: 'success',
      source: 's',
      prevHash: Z,
      metadata: { rows: [{ a: 1, b: null }, { c: [{ d: undefined }] }] },
    },
    'f6f9fffa52511c01a1c22f37710dcfb446e42b3b0de0462f3628c4d2190259ec',
  ],
];

describe('chainHash', () => {
  it.each(vectors)('keeps the pinned hash: %s', (_name, event, expected) => {
    expect(chainHash(event as Loose)).toBe(expected);
  });

  it('is SHA-256 over the canonical JSON without hash and empty members', () => {
    const [, event] = vectors[3];
    const expected = createHash('sha256')
      .update(
        canonicalize({
          seq: 4,
          at: 'a',
          actor: { type: 'user' },
          action: 'x',
          outcome: 'success',
          source: 's',
          prevHash: Z,
          metadata: {
            c: { e: [1, null, null, { g: 0 }, [null]] },
            '': '',
            empty: {},
            list: [],
            t: true,
            f: false,
            zero: 0,
            negZero: 0,
            big: 1e21,
            small: 1e-7,
            frac: 0.1 + 0.2,
          },
        })!,
        'utf8',
      )
      .digest('hex');
    expect(chainHash(event as Loose)).toBe(expected);
  });

  it('does not change the event it hashes', () => {
    const event = structuredClone(vectors[3][1]) as Loose;
    const before = structuredClone(event);
    chainHash(event);
    expect(event).toEqual(before);
  });
});
