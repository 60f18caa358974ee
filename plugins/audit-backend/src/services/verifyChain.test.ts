import {
  AUDIT_GENESIS_HASH,
  AuditEvent,
  chainHash,
} from '@internal/plugin-audit-common';
import { AuditRow } from '../database/AuditStore';
import { ChainSource, verifyChain } from './verifyChain';

/** A valid chain of `n` rows, as the store returns them (seq as a string, like PostgreSQL's bigint). */
function chainRows(n: number): AuditRow[] {
  const rows: AuditRow[] = [];
  let prevHash = AUDIT_GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const unhashed: Omit<AuditEvent, 'hash'> = {
      seq,
      at: new Date(Date.UTC(2026, 10, 25, 12, 0, seq)).toISOString(),
      actor: { type: 'system' },
      action: 'tenant.updated',
      outcome: 'success',
      source: 'portal',
      metadata: { seq },
      prevHash,
    };
    const hash = chainHash(unhashed);
    rows.push({
      seq: String(seq),
      at: unhashed.at,
      actor_type: 'system',
      actor_ref: null,
      actor_email: null,
      actor_ip: null,
      action: unhashed.action,
      outcome: unhashed.outcome,
      resource_type: null,
      resource_ref: null,
      resource_name: null,
      tenant_ref: null,
      partner_ref: null,
      source: unhashed.source,
      external_id: null,
      metadata: JSON.stringify(unhashed.metadata),
      prev_hash: prevHash,
      hash,
    });
    prevHash = hash;
  }
  return rows;
}

/** A source over `rows` that records its calls; `fail(afterSeq)` may make a page fail. */
function sourceOf(rows: AuditRow[], fail?: (afterSeq: number) => boolean) {
  const calls: Array<[number, number]> = [];
  const source: ChainSource = {
    async rowsAfter(afterSeq, limit) {
      calls.push([afterSeq, limit]);
      if (fail?.(afterSeq)) throw new Error(`page after ${afterSeq} failed`);
      return rows.filter(r => Number(r.seq) > afterSeq).slice(0, limit);
    },
  };
  return { source, calls };
}

describe('verifyChain paging', () => {
  it('reads page after page, each after the last row of the one before, until an empty page', async () => {
    const rows = chainRows(25);
    const { source, calls } = sourceOf(rows);
    await expect(verifyChain(source, 10)).resolves.toEqual({
      ok: true,
      verified: 25,
      head: { seq: 25, hash: rows[24].hash },
    });
    expect(calls).toEqual([
      [0, 10],
      [10, 10],
      [20, 10],
      [25, 10],
    ]);
  });

  it('reports the first break even when the page read ahead fails', async () => {
    const rows = chainRows(25);
    rows[3] = { ...rows[3], action: 'tenant.deleted' };
    const { source } = sourceOf(rows, afterSeq => afterSeq === 10);
    await expect(verifyChain(source, 10)).resolves.toEqual({
      ok: false,
      verified: 3,
      head: { seq: 3, hash: rows[2].hash },
      break: {
        kind: 'event-hash-mismatch',
        seq: 4,
        expected: rows[3].hash,
        actual: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
    });
  });

  it('fails when a page the walk needs cannot be read', async () => {
    const { source } = sourceOf(chainRows(25), afterSeq => afterSeq === 20);
    await expect(verifyChain(source, 10)).rejects.toThrow(
      'page after 20 failed',
    );
  });

  it('verifies an empty chain', async () => {
    const { source, calls } = sourceOf([]);
    await expect(verifyChain(source, 10)).resolves.toEqual({
      ok: true,
      verified: 0,
      head: null,
    });
    expect(calls).toEqual([[0, 10]]);
  });
});
