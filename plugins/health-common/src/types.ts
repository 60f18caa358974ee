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

/**
 * One point of a latency chart: a stored sample, or (when a window holds more
 * samples than the chart has points) a bucket of consecutive samples.
 */
export interface HealthPoint {
  /** ISO 8601: the sample's time, or the start of its bucket. */
  checkedAt: string;
  /** The sample's status; for a bucket, its worst (bad > warn > ok). */
  status: Exclude<HealthStatus, 'planned'>;
  /**
   * The sample's latency; for a bucket, the highest latency of its ok and
   * warn samples (of its bad ones when it has no other).
   */
  latencyMs: number;
  /** Samples in the point: 1 for a sample. */
  samples: number;
}

/** The points of one window, oldest first. */
export interface HealthSeries {
  window: HealthWindow;
  /** Span of each bucket in ms; null when the points are the samples themselves. */
  bucketMs: number | null;
  points: HealthPoint[];
}

/** Uptime of one calendar month (UTC), from raw samples and hourly rollups. */
export interface MonthlyUptime {
  /** e.g. 2026-11. */
  month: string;
  /** (ok + warn) / all samples of the month. */
  uptime: number;
  samples: number;
}

/**
 * What of a history to read (the history endpoint's `?window=` and
 * `?points=`); the backend defaults to 24 h and 360 points.
 */
export interface HistoryOptions {
  /** The window of the latency chart (`series`). */
  window?: HealthWindow;
  /** The most points the chart gets (10–2000); more samples are bucketed. */
  points?: number;
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
  samples: Record<HealthWindow, number>;
  /** The latency chart of the requested window (default 24 h). */
  series: HealthSeries;
  /** Newest first: the last 12 months that have samples. */
  monthly: MonthlyUptime[];
}
