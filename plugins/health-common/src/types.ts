/** An integration's health: `planned` integrations are listed, never probed. */
export type HealthStatus = 'ok' | 'warn' | 'bad' | 'planned';

export const HEALTH_STATUSES: readonly HealthStatus[] = [
  'ok',
  'warn',
  'bad',
  'planned',
];

/** The outcome of one probe. */
export interface ProbeResult {
  status: Exclude<HealthStatus, 'planned'>;
  /** Wall time of the probe; for a timeout, the timeout. */
  latencyMs: number;
  /** Why the probe failed (or what was unexpected). */
  error?: string;
}

/** One integration's latest known status (GET /api/health/status). */
export interface IntegrationStatus {
  /** Entity ref, e.g. integration:default/stalwart. */
  integration: string;
  /** metadata.title, if any. */
  title?: string;
  status: HealthStatus;
  /** Absent for planned integrations and before the first probe. */
  latencyMs?: number;
  /** ISO 8601; absent for planned integrations and before the first probe. */
  checkedAt?: string;
  error?: string;
}

/** The windows history is summarised over. */
export type HealthWindow = '24h' | '7d' | '30d';

export const HEALTH_WINDOWS: readonly HealthWindow[] = ['24h', '7d', '30d'];

/** Latency percentiles over the ok and warn samples of a window, in ms. */
export interface LatencyPercentiles {
  p50: number | null;
  p95: number | null;
}

/** An ok → bad → ok run: from the first bad sample to the next good one. */
export interface Incident {
  /** ISO 8601: checkedAt of the first bad sample. */
  start: string;
  /** ISO 8601: checkedAt of the first sample after it that is not bad; absent while open. */
  end?: string;
  /** end − start; absent while open. */
  durationMs?: number;
  /** The error of the last bad sample of the run. */
  lastError: string;
}

/** One integration's history (GET /api/health/integrations/:namespace/:name/history). */
export interface HealthHistory {
  integration: string;
  /** (ok + warn samples) / all samples per window; null without samples. */
  uptime: Record<HealthWindow, number | null>;
  latency: Record<HealthWindow, LatencyPercentiles>;
  /** Newest first, over the last 30 days. */
  incidents: Incident[];
  /** Number of samples per window. */
  samples?: Record<HealthWindow, number>;
}
