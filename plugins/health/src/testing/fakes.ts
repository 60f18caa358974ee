import { ResponseError } from '@backstage/errors';
import { PLATFORM_ADMINS_GROUP_REF } from '@internal/plugin-dezky-catalog-common';
import { IntegrationStatus } from '@internal/plugin-health-common';
import { HealthApi, HealthSample, IntegrationHistory } from '../api';

/** A HealthApi whose every method is a jest mock: empty status, empty histories. */
export function fakeHealthApi(overrides: Partial<HealthApi> = {}) {
  const api: jest.Mocked<HealthApi> = {
    getStatus: jest.fn<Promise<IntegrationStatus[]>, []>(async () => []),
    probe: jest.fn<Promise<IntegrationStatus[]>, []>(async () => []),
    getHistory: jest.fn<Promise<IntegrationHistory>, [string]>(async ref =>
      aHistory({ integration: ref }),
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

/** Samples every 30 s up to now, oldest first, with the given latencies. */
export function samplesOf(latencies: number[]): HealthSample[] {
  const now = Date.now();
  return latencies.map((latencyMs, i) => ({
    checkedAt: new Date(
      now - (latencies.length - 1 - i) * 30_000,
    ).toISOString(),
    status: 'ok',
    latencyMs,
  }));
}

/** A history with sensible defaults. */
export function aHistory(
  partial: Partial<IntegrationHistory> = {},
): IntegrationHistory {
  return {
    integration: 'integration:default/stalwart',
    uptime: { '24h': 0.9987, '7d': 0.995, '30d': null },
    latency: {
      '24h': { p50: 40, p95: 120 },
      '7d': { p50: 45, p95: 150 },
      '30d': null,
    },
    incidents: [],
    samples: samplesOf([40, 42, 38, 120, 45]),
    ...partial,
  };
}

/** An operator's ownership refs (a member of the platform admins group). */
export const OPERATOR_REFS = [
  'user:default/anna.schmidt',
  PLATFORM_ADMINS_GROUP_REF,
];

/** Partner staff's ownership refs. */
export const STAFF_REFS = ['user:default/bob', 'group:default/nordlicht-staff'];

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
