import {
  AUDIT_GENESIS_HASH,
  AuditEvent,
  chainHash,
} from '@internal/plugin-audit-common';
import { AuditRow, fromRow } from '../database/AuditStore';
import {
  ArchiveTier,
  ChainSource,
  VerifyStats,
  verifyChain,
} from './verifyChain';
import { VerifyPool } from './VerifyPool';

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

/** In this thread, and on two worker threads (the chain has several pages). */
const MODES: Array<[string, number]> = [
  ['in the verifying thread', 0],
  ['on worker threads', 2],
];

const stats = (): VerifyStats => ({
  pagesInThread: 0,
  pagesOnWorkers: 0,
  workers: 0,
});

describe.each(MODES)('verifyChain paging, %s', (_mode, workers) => {
  const verify = (source: ChainSource, pageSize: number, s = stats()) =>
    verifyChain(source, pageSize, undefined, undefined, { workers, stats: s });

  it('reads page after page, each after the last row of the one before, until an empty page', async () => {
    const rows = chainRows(25);
    const { source, calls } = sourceOf(rows);
    const where = stats();
    await expect(verify(source, 10, where)).resolves.toEqual({
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
    expect(where).toMatchObject(
      workers
        ? { pagesInThread: 0, pagesOnWorkers: 3, workers: 2 }
        : { pagesInThread: 3, pagesOnWorkers: 0, workers: 0 },
    );
  });

  it('reports the first break even when the page read ahead fails', async () => {
    const rows = chainRows(25);
    rows[3] = { ...rows[3], action: 'tenant.deleted' };
    const { source } = sourceOf(rows, afterSeq => afterSeq === 10);
    await expect(verify(source, 10)).resolves.toEqual({
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
    await expect(verify(source, 10)).rejects.toThrow('page after 20 failed');
  });

  it('verifies an empty chain', async () => {
    const { source, calls } = sourceOf([]);
    await expect(verify(source, 10)).resolves.toEqual({
      ok: true,
      verified: 0,
      head: null,
    });
    expect(calls).toEqual([[0, 10]]);
  });
});

/*
 * The tampering the database tests do (AuditStore.test.ts), here on many
 * pages at every position: the worker threads must report what the walk in
 * one thread reports — the same result, to the letter.
 */
describe('verifyChain on worker threads reports what it reports in one thread', () => {
  const N = 60;
  let pool: VerifyPool;
  beforeAll(() => {
    pool = new VerifyPool(3);
  });
  afterAll(() => pool.close());

  const tamperings: Array<
    [string, (rows: AuditRow[], i: number) => AuditRow[]]
  > = [
    [
      'a field modified',
      (rows, i) =>
        rows.map((r, k) => (k === i ? { ...r, action: 'tenant.deleted' } : r)),
    ],
    [
      'metadata modified',
      (rows, i) =>
        rows.map((r, k) => (k === i ? { ...r, metadata: '{"seq":-1}' } : r)),
    ],
    ['a row deleted', (rows, i) => rows.filter((_, k) => k !== i)],
    [
      'two rows swapped (their contents, under their seqs)',
      (rows, i) => {
        const out = [...rows];
        const j = Math.min(i + 1, rows.length - 1);
        out[i] = { ...rows[j], seq: rows[i].seq };
        out[j] = { ...rows[i], seq: rows[j].seq };
        return out;
      },
    ],
    [
      'a seq renumbered',
      (rows, i) =>
        rows.map((r, k) =>
          k === i ? { ...r, seq: String(Number(r.seq) + 1000) } : r,
        ),
    ],
    [
      'a row inserted',
      (rows, i) => [
        ...rows.slice(0, i),
        { ...rows[i], hash: 'f'.repeat(64) },
        ...rows.slice(i),
      ],
    ],
    [
      'the tail cut and a hash rewritten',
      (rows, i) =>
        rows
          .slice(0, i + 1)
          .map((r, k) => (k === i ? { ...r, hash: '0'.repeat(64) } : r)),
    ],
  ];

  it.each(tamperings)('%s, at every position', async (_name, tamper) => {
    const rows = chainRows(N);
    const differences: string[] = [];
    for (let i = 0; i < N; i += 1) {
      const tampered = tamper(rows, i);
      const ordered = [...tampered].sort(
        (a, b) => Number(a.seq) - Number(b.seq),
      );
      const source: ChainSource = {
        async rowsAfter(afterSeq, limit) {
          return ordered.filter(r => Number(r.seq) > afterSeq).slice(0, limit);
        },
      };
      const where = stats();
      const inThread = await verifyChain(source, 7);
      const parallel = await verifyChain(source, 7, undefined, undefined, {
        pool,
        stats: where,
      });
      if (JSON.stringify(parallel) !== JSON.stringify(inThread)) {
        differences.push(
          `at ${i}: ${JSON.stringify(parallel)} / ${JSON.stringify(inThread)}`,
        );
      }
      // more than one page: checked on the workers
      if (tampered.length >= 7 && !where.pagesOnWorkers) {
        differences.push(`at ${i}: no worker used`);
      }
      // every tampering but the last row's deletion or swap with itself shows
      if (i < N - 1 && inThread.ok) differences.push(`at ${i}: not detected`);
    }
    expect(differences).toEqual([]);
  });
});

/*
 * The archived part of the walk: batches of events, each checked in pages
 * (on the workers too), then the hot rows. A fake tier, so that events
 * inside a batch can be tampered with (the real archive signs only a sound
 * chain).
 */
describe('a row that cannot be read back, on worker threads as in one thread', () => {
  let pool: VerifyPool;
  beforeAll(() => {
    pool = new VerifyPool(2);
  });
  afterAll(() => pool.close());

  const sourceOver = (rows: AuditRow[]): ChainSource => ({
    async rowsAfter(afterSeq, limit) {
      return rows.filter(r => Number(r.seq) > afterSeq).slice(0, limit);
    },
  });

  it('fails the walk, unless a break comes before it', async () => {
    const rows = chainRows(40);
    rows[24] = { ...rows[24], metadata: '{not json' };
    for (const options of [{}, { pool }]) {
      await expect(
        verifyChain(sourceOver(rows), 7, undefined, undefined, options),
      ).rejects.toThrow(/JSON/);
    }
    rows[9] = { ...rows[9], outcome: 'failure' };
    for (const options of [{}, { pool }]) {
      await expect(
        verifyChain(sourceOver(rows), 7, undefined, undefined, options),
      ).resolves.toMatchObject({
        verified: 9,
        break: { kind: 'event-hash-mismatch', seq: 10 },
      });
    }
  });
});

describe('verifyChain across an archive, on worker threads as in one thread', () => {
  let pool: VerifyPool;
  beforeAll(() => {
    pool = new VerifyPool(2);
  });
  afterAll(() => pool.close());

  /** Batches of 20 events for seq 1..60, the hot rows from 61 to 75. */
  function tiers(tamper: (events: AuditEvent[]) => AuditEvent[]) {
    const rows = chainRows(75);
    const events = tamper(rows.slice(0, 60).map(fromRow));
    const batches = [0, 1, 2].map(b => ({
      name: `batch-${b + 1}`,
      fromSeq: b * 20 + 1,
      toSeq: b * 20 + 20,
    }));
    const archive: ArchiveTier = {
      batchesAfter: async afterSeq => batches.filter(b => b.fromSeq > afterSeq),
      open: async range => ({
        events: events.filter(
          e => e.seq >= range.fromSeq && e.seq <= range.toSeq,
        ),
      }),
    };
    const hot = rows.slice(60);
    const source: ChainSource = {
      async rowsAfter(afterSeq, limit) {
        return hot.filter(r => Number(r.seq) > afterSeq).slice(0, limit);
      },
    };
    return { archive, source };
  }

  const tamperings: Array<
    [string, (events: AuditEvent[], i: number) => AuditEvent[]]
  > = [
    [
      'a field modified',
      (events, i) =>
        events.map((e, k) => (k === i ? { ...e, action: 'x' } : e)),
    ],
    ['an event missing', (events, i) => events.filter((_, k) => k !== i)],
    [
      'a link rewritten',
      (events, i) =>
        events.map((e, k) =>
          k === i ? { ...e, prevHash: 'a'.repeat(64) } : e,
        ),
    ],
  ];

  it.each(tamperings)(
    '%s, at every position of the archive',
    async (_name, tamper) => {
      const differences: string[] = [];
      for (let i = 0; i < 60; i++) {
        const { archive, source } = tiers(events => tamper(events, i));
        const where = stats();
        const inThread = await verifyChain(source, 6, undefined, archive);
        const parallel = await verifyChain(source, 6, undefined, archive, {
          pool,
          stats: where,
        });
        if (JSON.stringify(parallel) !== JSON.stringify(inThread)) {
          differences.push(
            `at ${i}: ${JSON.stringify(parallel)} / ${JSON.stringify(
              inThread,
            )}`,
          );
        }
        if (!where.pagesOnWorkers) differences.push(`at ${i}: no worker used`);
        if (inThread.ok || !inThread.break?.batch) {
          differences.push(`at ${i}: not found in the archive`);
        }
      }
      expect(differences).toEqual([]);
    },
  );

  it('walks a sound archive and hot table alike', async () => {
    const { archive, source } = tiers(events => events);
    const where = stats();
    const expected = {
      ok: true,
      verified: 75,
      head: { seq: 75, hash: chainRows(75)[74].hash },
      archive: { batches: 3, events: 60 },
    };
    await expect(verifyChain(source, 6, undefined, archive)).resolves.toEqual(
      expected,
    );
    await expect(
      verifyChain(source, 6, undefined, archive, { pool, stats: where }),
    ).resolves.toEqual(expected);
    // 4 pages a batch (6, 6, 6, 2) and 3 of the hot table
    expect(where).toMatchObject({
      pagesInThread: 0,
      pagesOnWorkers: 15,
      workers: 2,
    });
  });
});
