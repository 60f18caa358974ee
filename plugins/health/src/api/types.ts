import {
  HealthHistory,
  HealthStatus,
  HealthWindow,
  LatencyPercentiles,
} from '@internal/plugin-health-common';

/** One stored probe result, as a history may list it. */
export interface HealthSample {
  /** ISO 8601. */
  checkedAt: string;
  status: HealthStatus;
  latencyMs: number;
}

/**
 * One integration's history as the portal reads it. The backend today sends
 * `samples` as the number of samples per window; a list of samples (for the
 * latency chart) is used when sent.
 */
export interface IntegrationHistory
  extends Omit<HealthHistory, 'samples' | 'latency'> {
  latency: Record<HealthWindow, LatencyPercentiles | null>;
  samples?: HealthSample[] | Partial<Record<HealthWindow, number>>;
}
