import { mockServices } from '@backstage/backend-test-utils';
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import { Knex } from 'knex';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import path from 'node:path';
import vm from 'node:vm';
import {
  HealthSample,
  HealthStore,
  percentile,
  percentileOfCounts,
} from './HealthStore';

jest.setTimeout(120_000);

const databases = dezkyTestDatabases();

const NOW = Date.parse('2026-12-01T12:00:00.000Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const at = (msAgo: number) => new Date(NOW - msAgo).toISOString();

const A = 'integration:default/stalwart';
const B = 'integration:default/redis';

const sample = (
  integration: string,
  msAgo: number,
  status: HealthSample['status'],
  latencyMs: number,
  error?: string,
): HealthSample => ({
  integration,
  checkedAt: at(msAgo),
  status,
  latencyMs,
  ...(error ? { error } : {}),
});

describe.each(databases.eachSupportedId())('HealthStore on %p', databaseId => {
  let knex: Knex;
  let store: HealthStore;

  beforeEach(async () => {
    knex = await databases.init(databaseId);
    store = await HealthStore.create({
      database: mockServices.database({ knex }),
    });
  });

  it('stores a round and answers the latest status per integration', async () => {
    await store.insert([
      sample(A, 2 * MIN, 'ok', 12),
      sample(B, 2 * MIN, 'ok', 5),
    ]);
    await store.insert([
      sample(A, MIN, 'bad', 1500, 'timeout after 1500 ms'),
      sample(B, MIN, 'warn', 700),
    ]);
    expect(await store.latest()).toEqual([
      {
        integration: B,
        status: 'warn',
        latencyMs: 700,
        checkedAt: at(MIN),
      },
      {
        integration: A,
        status: 'bad',
        latencyMs: 1500,
        checkedAt: at(MIN),
        error: 'timeout after 1500 ms',
      },
    ]);
  });

  it('computes uptime and latency percentiles per window', async () => {
    await store.insert([
      // within 24 h: 8 ok, 1 warn, 1 bad
      ...Array.from({ length: 8 }, (_, i) =>
        sample(A, (i + 1) * HOUR, 'ok', (i + 1) * 10),
      ),
      sample(A, 10 * HOUR, 'warn', 900),
      sample(A, 11 * HOUR, 'bad', 1500, 'refused'),
      // 2–7 days: 5 bad
      ...Array.from({ length: 5 }, (_, i) =>
        sample(A, (2 + i) * DAY, 'bad', 1500, 'refused'),
      ),
      // 8–29 days: 5 ok
      ...Array.from({ length: 5 }, (_, i) =>
        sample(A, (8 + i * 4) * DAY, 'ok', 1000),
      ),
      // older than 30 days: not counted
      sample(A, 31 * DAY, 'bad', 1500, 'old'),
      // another integration: not counted
      sample(B, HOUR, 'bad', 1500, 'other'),
    ]);
    const h = await store.history(A, NOW);
    expect(h.samples).toEqual({ '24h': 10, '7d': 15, '30d': 20 });
    expect(h.uptime).toEqual({ '24h': 0.9, '7d': 9 / 15, '30d': 14 / 20 });
    // ok/warn latencies in 24 h: 10..80 and 900 → p50 is the 5th (50), p95 the 9th (900)
    expect(h.latency['24h']).toEqual({ p50: 50, p95: 900 });
    expect(h.latency['7d']).toEqual({ p50: 50, p95: 900 });
    // 30 d adds five 1000s: 14 values, p50 = 7th (70), p95 = 14th (1000)
    expect(h.latency['30d']).toEqual({ p50: 70, p95: 1000 });

    const empty = await store.history('integration:default/none', NOW);
    expect(empty.uptime).toEqual({ '24h': null, '7d': null, '30d': null });
    expect(empty.latency['24h']).toEqual({ p50: null, p95: null });
    expect(empty.incidents).toEqual([]);
  });

  it('finds incidents, with recovery and an open one', async () => {
    await store.insert([
      sample(A, 60 * MIN, 'ok', 10),
      sample(A, 50 * MIN, 'bad', 1500, 'timeout after 1500 ms'),
      sample(A, 49 * MIN, 'bad', 3, 'ECONNREFUSED'),
      sample(A, 48 * MIN, 'warn', 800), // recovery (warn is up)
      sample(A, 40 * MIN, 'ok', 10),
      sample(A, 30 * MIN, 'bad', 1500, 'unexpected status 503'),
      sample(A, 29 * MIN, 'ok', 10),
      sample(A, 2 * MIN, 'bad', 2, 'ECONNREFUSED'),
      sample(A, 1 * MIN, 'bad', 1500, 'timeout after 1500 ms'),
    ]);
    const { incidents } = await store.history(A, NOW);
    expect(incidents).toEqual([
      { start: at(2 * MIN), lastError: 'timeout after 1500 ms' },
      {
        start: at(30 * MIN),
        end: at(29 * MIN),
        durationMs: MIN,
        lastError: 'unexpected status 503',
      },
      {
        start: at(50 * MIN),
        end: at(48 * MIN),
        durationMs: 2 * MIN,
        lastError: 'ECONNREFUSED',
      },
    ]);
  });

  it('keeps incidents round by round, and shows one that began before the 30 days', async () => {
    await store.insert([sample(A, 40 * DAY, 'bad', 1500, 'down since long')]);
    await store.insert([sample(A, 40 * DAY - MIN, 'bad', 1500, 'still down')]);
    await store.insert([sample(A, 3 * MIN, 'bad', 2, 'ECONNREFUSED')]);
    await store.insert([
      sample(A, 2 * MIN, 'ok', 10),
      sample(B, 2 * MIN, 'bad', 9, 'B down'),
    ]);
    await store.insert([
      sample(A, 1 * MIN, 'bad', 1500, 'timeout after 1500 ms'),
    ]);
    expect((await store.history(A, NOW)).incidents).toEqual([
      { start: at(MIN), lastError: 'timeout after 1500 ms' },
      {
        start: at(40 * DAY),
        end: at(2 * MIN),
        durationMs: 40 * DAY - 2 * MIN,
        lastError: 'ECONNREFUSED',
      },
    ]);
    expect((await store.history(B, NOW)).incidents).toEqual([
      { start: at(2 * MIN), lastError: 'B down' },
    ]);
    // one open incident per integration, whatever the number of rounds
    expect(
      await knex('health_incidents')
        .whereNull('ended_at')
        .select('integration_ref'),
    ).toHaveLength(2);
  });

  it('replays existing samples into incidents when the table is created', async () => {
    const fresh = await databases.init(databaseId);
    const directory = resolvePackagePath(
      '@internal/plugin-health-backend',
      'migrations',
    );
    await fresh.migrate.up({ directory, name: '20261201100000_health.js' });
    await fresh('health_samples').insert(
      [
        sample(A, 5 * MIN, 'ok', 10),
        sample(A, 4 * MIN, 'bad', 1500, 'first'),
        sample(A, 3 * MIN, 'bad', 1500, 'second'),
        sample(A, 2 * MIN, 'ok', 10),
        sample(B, 2 * MIN, 'bad', 1500, 'B'),
      ].map(s => ({
        integration_ref: s.integration,
        checked_at: s.checkedAt,
        status: s.status,
        latency_ms: s.latencyMs,
        error: s.error ?? null,
      })),
    );
    const migrated = await HealthStore.create({
      database: mockServices.database({ knex: fresh }),
    });
    expect((await migrated.history(A, NOW)).incidents).toEqual([
      {
        start: at(4 * MIN),
        end: at(2 * MIN),
        durationMs: 2 * MIN,
        lastError: 'second',
      },
    ]);
    expect((await migrated.history(B, NOW)).incidents).toEqual([
      { start: at(2 * MIN), lastError: 'B' },
    ]);
  });

  it('draws the chart of a window: the samples, or buckets of them', async () => {
    await store.insert([
      sample(A, 3 * HOUR, 'ok', 10),
      sample(A, 2 * HOUR, 'warn', 700),
      sample(A, 2 * HOUR - MIN, 'bad', 1500, 'timeout'),
      sample(A, HOUR, 'ok', 20),
      sample(A, 2 * DAY, 'ok', 30), // outside 24 h
    ]);
    const raw = await store.history(A, NOW);
    expect(raw.series).toEqual({
      window: '24h',
      bucketMs: null,
      points: [
        { checkedAt: at(3 * HOUR), status: 'ok', latencyMs: 10, samples: 1 },
        { checkedAt: at(2 * HOUR), status: 'warn', latencyMs: 700, samples: 1 },
        {
          checkedAt: at(2 * HOUR - MIN),
          status: 'bad',
          latencyMs: 1500,
          samples: 1,
        },
        { checkedAt: at(HOUR), status: 'ok', latencyMs: 20, samples: 1 },
      ],
    });

    // 7 d in 4 buckets of 42 h: more samples than points → buckets
    const week = await store.history(A, NOW, { window: '7d', points: 4 });
    const bucketMs = (7 * DAY) / 4;
    expect(week.series.bucketMs).toBe(bucketMs);
    expect(week.series.points).toEqual([
      {
        checkedAt: at(7 * DAY - 2 * bucketMs),
        status: 'ok',
        latencyMs: 30,
        samples: 1,
      },
      {
        // worst status, highest latency of the ok and warn samples
        checkedAt: at(7 * DAY - 3 * bucketMs),
        status: 'bad',
        latencyMs: 700,
        samples: 4,
      },
    ]);
  });

  it('rolls samples past 30 days up by the hour, counting each once', async () => {
    const old = 31 * DAY; // an hour boundary: NOW is 12:00:00
    await store.insert([
      sample(A, old + 50 * MIN, 'ok', 10),
      sample(A, old + 40 * MIN, 'ok', 30),
      sample(A, old + 30 * MIN, 'warn', 900),
      sample(A, old + 20 * MIN, 'bad', 3, 'ECONNREFUSED'),
      sample(A, old + 10 * MIN, 'bad', 1500, 'timeout after 1500 ms'),
      sample(B, old + 10 * MIN, 'ok', 5),
      sample(A, old - 10 * MIN, 'ok', 20), // the next hour
      sample(A, 29 * DAY, 'ok', 40), // within 30 days: stays raw
    ]);
    const before = await store.monthly(A, NOW);

    expect(await store.compact(NOW)).toEqual({ rolledUp: 7, expired: 0 });
    expect(await store.samples(A, at(365 * DAY))).toHaveLength(1);
    const rows = await knex('health_rollups')
      .select('integration_ref', 'hour', 'samples', 'ok', 'warn', 'bad')
      .select('latency_p50', 'latency_p95', 'latency_max', 'last_error')
      .orderBy(['hour', 'integration_ref']);
    expect(rows.map(r => ({ ...r, samples: Number(r.samples) }))).toEqual([
      {
        integration_ref: B,
        hour: at(old + HOUR),
        samples: 1,
        ok: 1,
        warn: 0,
        bad: 0,
        latency_p50: 5,
        latency_p95: 5,
        latency_max: 5,
        last_error: null,
      },
      {
        integration_ref: A,
        hour: at(old + HOUR),
        samples: 5,
        ok: 2,
        warn: 1,
        bad: 2,
        latency_p50: 30,
        latency_p95: 900,
        latency_max: 900,
        last_error: 'timeout after 1500 ms',
      },
      {
        integration_ref: A,
        hour: at(old),
        samples: 1,
        ok: 1,
        warn: 0,
        bad: 0,
        latency_p50: 20,
        latency_p95: 20,
        latency_max: 20,
        last_error: null,
      },
    ]);
    // the monthly uptime is the same before and after the rollup
    expect(await store.monthly(A, NOW)).toEqual(before);
    expect(before).toEqual([
      { month: '2026-11', uptime: 1, samples: 1 },
      { month: '2026-10', uptime: 4 / 6, samples: 6 },
    ]);
    // nothing left to roll up
    expect(await store.compact(NOW)).toEqual({ rolledUp: 0, expired: 0 });
    // rollups are kept 400 days: 370 days later the three 31-day-old ones
    // expire, the 29-day-old sample is rolled up and kept
    expect(await store.compact(NOW + 370 * DAY)).toEqual({
      rolledUp: 1,
      expired: 3,
    });
  });

  /** Two samples of A 31 days ago, in the hours 11:00 and 12:00, and a rollup of 11:00 already there. */
  async function hourAlreadyRolledUp() {
    await store.insert([
      sample(A, 31 * DAY, 'ok', 10),
      sample(A, 31 * DAY + MIN, 'bad', 1500, 'x'),
    ]);
    // an hour already rolled up (e.g. by a run that crashed after the insert
    // in another database): the unique key refuses a second count
    await knex('health_rollups').insert({
      integration_ref: A,
      hour: at(31 * DAY + HOUR),
      samples: 1,
      ok: 1,
      warn: 0,
      bad: 0,
    });
  }

  const refused = new RegExp(
    `^Health: the hour ${at(31 * DAY + HOUR).replace(
      /[.]/g,
      '\\.',
    )} was not rolled up, its samples stay raw \\(0 samples of earlier hours were\\): .*(UNIQUE constraint failed: health_rollups\\.integration_ref, health_rollups\\.hour|duplicate key value violates unique constraint "health_rollups_ref_hour_uq")`,
  );

  it('keeps an hour raw when its rollup cannot be written', async () => {
    await hourAlreadyRolledUp();
    await expect(store.compact(NOW)).rejects.toThrow(refused);
    expect(
      await knex('health_rollups').select('integration_ref', 'hour'),
    ).toEqual([{ integration_ref: A, hour: at(31 * DAY + HOUR) }]);
    expect(await store.samples(A, at(365 * DAY))).toHaveLength(2);
  });

  // The cause of this test's failures in CI ("did not throw"): better-sqlite3
  // registers its SqliteError constructor with its native addon once per
  // process, and jest loads native addons with Node's own require, so in a
  // worker that ran another SQLite test file first, the driver's errors are
  // built by that file's SqliteError — another realm, not `instanceof Error`
  // here — and `rejects.toThrow` reported the refused rollup as no throw at
  // all. Which files share a worker depends on jest's scheduling (file sizes
  // on a clean clone, timings after), hence only sometimes, and never when
  // the file runs alone. The store now throws an Error of its own; this
  // reproduces that worker deterministically.
  if (databaseId === 'SQLITE_3') {
    it("reports a refused rollup as an Error even when the driver's errors come from another realm", async () => {
      const addon = require(path.join(
        path.dirname(require.resolve('better-sqlite3/package.json')),
        'build',
        'Release',
        'better_sqlite3.node',
      ));
      const foreign = vm.runInNewContext(`
        function SqliteError(message, code) {
          Error.call(this, message);
          Object.defineProperty(this, 'message', { value: '' + message, writable: true, configurable: true });
          Error.captureStackTrace(this, SqliteError);
          this.code = code;
        }
        Object.setPrototypeOf(SqliteError, Error);
        Object.setPrototypeOf(SqliteError.prototype, Error.prototype);
        SqliteError.prototype.name = 'SqliteError';
        SqliteError;
      `);
      addon.setErrorConstructor(foreign);
      try {
        await hourAlreadyRolledUp();
        const error = await store.compact(NOW).then(
          () => undefined,
          e => e,
        );
        expect(error).toBeInstanceOf(Error);
        expect(error.message).toMatch(refused);
        // what the store used to let through: an error that is no Error here
        expect(error.cause).not.toBeInstanceOf(Error);
        expect(error.cause).toBeInstanceOf(foreign);
      } finally {
        addon.setErrorConstructor(require('better-sqlite3/lib/sqlite-error'));
      }
    });
  }

  it('gives the uptime per calendar month, newest first, 12 months', async () => {
    const start = Date.parse('2026-12-01T00:00:00.000Z');
    await store.insert([
      sample(A, NOW - start + HOUR, 'ok', 10), // 2026-11-30 23:00
      sample(A, NOW - start - HOUR, 'bad', 1500, 'x'), // 2026-12-01 01:00
      sample(A, NOW - start - 2 * HOUR, 'ok', 10),
      sample(B, HOUR, 'bad', 1500, 'other integration'),
    ]);
    await knex('health_rollups').insert([
      {
        integration_ref: A,
        hour: '2026-10-15T03:00:00.000Z',
        samples: 120,
        ok: 100,
        warn: 14,
        bad: 6,
      },
      {
        integration_ref: A,
        hour: '2025-12-31T23:00:00.000Z',
        samples: 120,
        ok: 120,
        warn: 0,
        bad: 0,
      }, // 12 months ago: too old
    ]);
    expect(await store.monthly(A, NOW)).toEqual([
      { month: '2026-12', uptime: 0.5, samples: 2 },
      { month: '2026-11', uptime: 1, samples: 1 },
      { month: '2026-10', uptime: 114 / 120, samples: 120 },
    ]);
    expect((await store.history(A, NOW)).monthly).toHaveLength(3);
  });

  it('pings the database', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });
});

describe('percentile', () => {
  it('handles the edges, over values and over counted values alike', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 95)).toBe(4);
    expect(percentileOfCounts([], 50)).toBeNull();
    expect(percentileOfCounts([[7, 1]], 95)).toBe(7);
    // 1, 2, 2, 2, 9: the 3rd is 2, the 5th is 9
    const counts: [number, number][] = [
      [1, 1],
      [2, 3],
      [9, 1],
    ];
    expect(percentileOfCounts(counts, 50)).toBe(2);
    expect(percentileOfCounts(counts, 95)).toBe(9);
    expect(percentileOfCounts(counts, 50)).toBe(
      percentile([1, 2, 2, 2, 9], 50),
    );
  });
});
