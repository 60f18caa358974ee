import { ResponseError } from '@backstage/errors';
import { PLATFORM_ADMINS_GROUP_REF } from '@internal/plugin-dezky-catalog-common';
import {
  HealthHistory,
  HealthPoint,
  HealthSeries,
  HistoryOptions,
  IntegrationStatus,
} from '@internal/plugin-health-common';
import { HealthApi } from '../api';

/** A HealthApi whose every method is a jest mock: empty status, empty histories. */
export function fakeHealthApi(overrides: Partial<HealthApi> = {}) {
  const api: jest.Mocked<HealthApi> = {
    getStatus: jest.fn<Promise<IntegrationStatus[]>, []>(async () => []),
    probe: jest.fn<Promise<IntegrationStatus[]>, []>(async () => []),
    getHistory: jest.fn<Promise<HealthHistory>, [string, HistoryOptions?]>(
      async ref => aHistory({ integration: ref }),
    ),
  };
  Object.assign(api, overrides);
  return api;
}

/** A status with sensible defaults, checked just now. */
export function aStatus(
  partial: Partial<IntegrationStatus> = {},
): IntegrationStatus {
  return {
    integration: 'integration:default/stalwart',
    title: 'Stalwart mail',
    status: 'ok',
    latencyMs: 42,
    checkedAt: new Date().toISOString(),
    ...partial,
  };
}

/**
 * A chart series with the given latencies, oldest first, the last one now:
 * raw samples 30 s apart (`bucketMs` null) or buckets of `bucketMs`. The
 * points at the indexes in `bad` are bad.
 */
export function seriesOf(
  latencies: number[],
  options: Partial<Pick<HealthSeries, 'window' | 'bucketMs'>> & {
    bad?: number[];
  } = {},
): HealthSeries {
  const { window = '24h', bucketMs = null, bad = [] } = options;
  const step = bucketMs ?? 30_000;
  const now = Date.now();
  const points = latencies.map(
    (latencyMs, i): HealthPoint => ({
      checkedAt: new Date(
        now - (latencies.length - 1 - i) * step,
      ).toISOString(),
      status: bad.includes(i) ? 'bad' : 'ok',
      latencyMs,
      samples: bucketMs === null ? 1 : Math.round(bucketMs / 30_000),
    }),
  );
  return { window, bucketMs, points };
}

/** A history with sensible defaults: a 24 h series of raw samples, two months. */
export function aHistory(partial: Partial<HealthHistory> = {}): HealthHistory {
  return {
    integration: 'integration:default/stalwart',
    uptime: { '24h': 0.9987, '7d': 0.995, '30d': null },
    latency: {
      '24h': { p50: 40, p95: 120 },
      '7d': { p50: 45, p95: 150 },
      '30d': { p50: null, p95: null },
    },
    incidents: [],
    samples: { '24h': 2880, '7d': 20160, '30d': 0 },
    series: seriesOf([40, 42, 38, 120, 45]),
    monthly: [
      { month: '2026-11', uptime: 0.998, samples: 86400 },
      { month: '2026-10', uptime: 1, samples: 89280 },
    ],
    ...partial,
  };
}

/** An operator's ownership refs (a member of the platform admins group). */
export const OPERATOR_REFS = [
  'user:default/anna.schmidt',
  PLATFORM_ADMINS_GROUP_REF,
];

/** The ResponseError the client throws for a refusal with a JSON body. */
export function responseError(status: number, message: string, name = 'Error') {
  return ResponseError.fromResponse(
    new Response(
      JSON.stringify({
        error: { name, message },
        response: { statusCode: status },
      }),
      {
        status,
        statusText: String(status),
        headers: { 'content-type': 'application/json' },
      },
    ),
  );
}
