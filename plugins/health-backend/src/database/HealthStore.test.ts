import { mockServices } from '@backstage/backend-test-utils';
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import { Knex } from 'knex';
import {
  HealthSample,
  HealthStore,
  incidentsOf,
  percentile,
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

  it('prunes samples older than the retention', async () => {
    await store.insert([
      sample(A, 31 * DAY, 'ok', 10),
      sample(A, 30 * DAY + MIN, 'ok', 10),
      sample(A, 29 * DAY, 'ok', 10),
      sample(B, HOUR, 'ok', 10),
    ]);
    expect(await store.prune(NOW)).toBe(2);
    expect(await store.samples(A, at(365 * DAY))).toHaveLength(1);
    expect(await store.samples(B, at(365 * DAY))).toHaveLength(1);
  });

  it('pings the database', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });
});

describe('incidentsOf / percentile', () => {
  it('handles the edges', () => {
    expect(incidentsOf([])).toEqual([]);
    expect(incidentsOf([{ checkedAt: at(0), status: 'bad' }])).toEqual([
      { start: at(0), lastError: 'bad' },
    ]);
    expect(percentile([], 50)).toBeNull();
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 95)).toBe(4);
  });
});
