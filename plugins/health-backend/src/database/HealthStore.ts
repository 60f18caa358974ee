import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import {
  HEALTH_WINDOWS,
  HealthHistory,
  HealthWindow,
  Incident,
  IntegrationStatus,
  LatencyPercentiles,
  ProbeResult,
} from '@internal/plugin-health-common';
import { Knex } from 'knex';

const migrationsDir = resolvePackagePath(
  '@internal/plugin-health-backend',
  'migrations',
);

/** One stored probe result. */
export interface HealthSample extends ProbeResult {
  integration: string;
  /** ISO 8601. */
  checkedAt: string;
}

interface SampleRow {
  integration_ref: string;
  checked_at: string;
  status: string;
  latency_ms: number | string | null;
  error: string | null;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export const WINDOW_MS: Record<HealthWindow, number> = {
  '24h': DAY_MS,
  '7d': 7 * DAY_MS,
  '30d': 30 * DAY_MS,
};

/** Raw samples are kept this long (docs/health.md#history). */
export const DEFAULT_RETENTION_MS = 30 * DAY_MS;

const iso = (ms: number) => new Date(ms).toISOString();

function fromRow(row: SampleRow): HealthSample {
  return {
    integration: row.integration_ref,
    checkedAt: row.checked_at,
    status: row.status as ProbeResult['status'],
    latencyMs: row.latency_ms === null ? 0 : Number(row.latency_ms),
    ...(row.error ? { error: row.error } : {}),
  };
}

/**
 * Incidents from samples in time order: a run of bad samples is one
 * incident, from its first bad sample to the next sample that is not bad
 * (open, without end, while the last sample is bad). Newest first.
 */
export function incidentsOf(
  samples: Pick<HealthSample, 'checkedAt' | 'status' | 'error'>[],
): Incident[] {
  const incidents: Incident[] = [];
  let open: Incident | undefined;
  for (const s of samples) {
    if (s.status === 'bad') {
      if (!open) open = { start: s.checkedAt, lastError: '' };
      open.lastError = s.error ?? 'bad';
    } else if (open) {
      open.end = s.checkedAt;
      open.durationMs = Date.parse(s.checkedAt) - Date.parse(open.start);
      incidents.push(open);
      open = undefined;
    }
  }
  if (open) incidents.push(open);
  return incidents.reverse();
}

/** Nearest-rank percentile of ascending values (null when empty). */
export function percentile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/**
 * The probe results, in the plugin's database (SQLite or PostgreSQL): one
 * row per integration and round, kept 30 days (no downsampling yet).
 */
export class HealthStore {
  static async create(options: { database: DatabaseService }) {
    const knex = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      await knex.migrate.latest({ directory: migrationsDir });
    }
    return new HealthStore(knex);
  }

  constructor(private readonly knex: Knex) {}

  /** Pings the database (the `postgres` probe). */
  async ping(): Promise<void> {
    await this.knex.raw('select 1');
  }

  /** Stores a round in one statement. */
  async insert(samples: HealthSample[]): Promise<void> {
    if (!samples.length) return;
    await this.knex('health_samples').insert(
      samples.map(s => ({
        integration_ref: s.integration,
        checked_at: s.checkedAt,
        status: s.status,
        latency_ms: Math.round(s.latencyMs),
        error: s.error ?? null,
      })),
    );
  }

  /** The newest sample of every integration that has one. */
  async latest(): Promise<IntegrationStatus[]> {
    const rows: SampleRow[] = await this.knex('health_samples as s')
      .select(
        's.integration_ref',
        's.checked_at',
        's.status',
        's.latency_ms',
        's.error',
      )
      .where(
        's.checked_at',
        '=',
        this.knex('health_samples as t')
          .max('t.checked_at')
          .where('t.integration_ref', this.knex.ref('s.integration_ref')),
      )
      .orderBy([
        { column: 's.integration_ref' },
        { column: 's.id', order: 'desc' },
      ]);
    const seen = new Set<string>();
    const out: IntegrationStatus[] = [];
    for (const row of rows) {
      if (seen.has(row.integration_ref)) continue;
      seen.add(row.integration_ref);
      const s = fromRow(row);
      out.push({
        integration: s.integration,
        status: s.status,
        latencyMs: s.latencyMs,
        checkedAt: s.checkedAt,
        ...(s.error ? { error: s.error } : {}),
      });
    }
    return out;
  }

  /** Samples of one integration since `since` (ISO), oldest first. */
  async samples(integration: string, since: string): Promise<HealthSample[]> {
    const rows: SampleRow[] = await this.knex('health_samples')
      .select('integration_ref', 'checked_at', 'status', 'latency_ms', 'error')
      .where('integration_ref', integration)
      .andWhere('checked_at', '>=', since)
      .orderBy([{ column: 'checked_at' }, { column: 'id' }]);
    return rows.map(fromRow);
  }

  /**
   * Uptime, latency percentiles and incidents over 24 h / 7 d / 30 d
   * before `now` (docs/health.md#history).
   */
  async history(
    integration: string,
    now: number = Date.now(),
  ): Promise<HealthHistory> {
    const all = await this.samples(integration, iso(now - WINDOW_MS['30d']));
    const uptime = {} as HealthHistory['uptime'];
    const latency = {} as HealthHistory['latency'];
    const samples = {} as NonNullable<HealthHistory['samples']>;
    for (const window of HEALTH_WINDOWS) {
      const since = iso(now - WINDOW_MS[window]);
      const inWindow = all.filter(s => s.checkedAt >= since);
      const up = inWindow.filter(s => s.status !== 'bad');
      const sorted = up.map(s => s.latencyMs).sort((a, b) => a - b);
      samples[window] = inWindow.length;
      uptime[window] = inWindow.length ? up.length / inWindow.length : null;
      latency[window] = {
        p50: percentile(sorted, 50),
        p95: percentile(sorted, 95),
      } satisfies LatencyPercentiles;
    }
    return {
      integration,
      uptime,
      latency,
      incidents: incidentsOf(all),
      samples,
    };
  }

  /** Deletes samples older than the retention; returns how many. */
  async prune(
    now: number = Date.now(),
    retentionMs: number = DEFAULT_RETENTION_MS,
  ): Promise<number> {
    return this.knex('health_samples')
      .where('checked_at', '<', iso(now - retentionMs))
      .delete();
  }
}
