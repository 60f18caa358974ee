import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import {
  HEALTH_WINDOWS,
  HealthHistory,
  HealthPoint,
  HealthSeries,
  HealthWindow,
  HistoryOptions,
  Incident,
  IntegrationStatus,
  LatencyPercentiles,
  MonthlyUptime,
  ProbeResult,
} from '@internal/plugin-health-common';
import { migrateLatest } from '@internal/plugin-dezky-node';
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

const SAMPLE_COLUMNS = [
  'integration_ref',
  'checked_at',
  'status',
  'latency_ms',
  'error',
] as const;

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

export const WINDOW_MS: Record<HealthWindow, number> = {
  '24h': DAY_MS,
  '7d': 7 * DAY_MS,
  '30d': 30 * DAY_MS,
};

/** Raw samples are kept this long, then rolled up by the hour (docs/health.md#history). */
export const RAW_RETENTION_MS = 30 * DAY_MS;
/** Hourly rollups are kept this long: the monthly uptime covers 12 months. */
export const ROLLUP_RETENTION_MS = 400 * DAY_MS;
/** At most this many hours are rolled up per compaction (a backlog catches up). */
const MAX_HOURS_PER_COMPACTION = 48;
/** Points of a latency chart unless asked otherwise. */
export const DEFAULT_SERIES_POINTS = 360;
/** Months in the monthly uptime. */
const MONTHS = 12;

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

/** Nearest-rank percentile of ascending values (null when empty). */
export function percentile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/** Nearest-rank percentile over (value, count) pairs in ascending value order. */
export function percentileOfCounts(
  counts: [value: number, count: number][],
  p: number,
): number | null {
  const total = counts.reduce((sum, [, n]) => sum + n, 0);
  if (!total) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (const [value, n] of counts) {
    seen += n;
    if (seen >= rank) return value;
  }
  return counts[counts.length - 1][0];
}

const STATUS_OF_RANK: HealthPoint['status'][] = ['ok', 'warn', 'bad'];

/** The message of an error, also of one from another realm or a non-Error. */
function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}

/** The start of the UTC hour of an ISO time or epoch ms. */
const hourOf = (t: string | number) =>
  iso(Math.floor(new Date(t).getTime() / HOUR_MS) * HOUR_MS);

interface IncidentRow {
  id?: number | string;
  integration_ref: string;
  started_at: string;
  ended_at: string | null;
  last_error: string;
}

interface RollupRow {
  integration_ref: string;
  hour: string;
  samples: number;
  ok: number;
  warn: number;
  bad: number;
  latency_p50: number | null;
  latency_p95: number | null;
  latency_max: number | null;
  last_error: string | null;
}

/** One hour of one integration's samples (time order) as a rollup row. */
function rollupOf(
  integration: string,
  hour: string,
  run: HealthSample[],
): RollupRow {
  const count = (status: HealthSample['status']) =>
    run.filter(s => s.status === status).length;
  const up = run
    .filter(s => s.status !== 'bad')
    .map(s => s.latencyMs)
    .sort((a, b) => a - b);
  const lastBad = [...run].reverse().find(s => s.status === 'bad');
  return {
    integration_ref: integration,
    hour,
    samples: run.length,
    ok: count('ok'),
    warn: count('warn'),
    bad: count('bad'),
    latency_p50: percentile(up, 50),
    latency_p95: percentile(up, 95),
    latency_max: up.length ? up[up.length - 1] : null,
    last_error: lastBad ? lastBad.error ?? 'bad' : null,
  };
}

/**
 * The probe results, in the plugin's database (SQLite or PostgreSQL): one
 * row per integration and round for 30 days, then one row per integration
 * and hour (docs/health.md#history).
 */
export class HealthStore {
  static async create(options: { database: DatabaseService }) {
    const knex = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      // waits for another instance migrating the same database
      await migrateLatest(knex, { directory: migrationsDir });
    }
    return new HealthStore(knex);
  }

  constructor(private readonly knex: Knex) {}

  /** Pings the database (the `postgres` probe). */
  async ping(): Promise<void> {
    await this.knex.raw('select 1');
  }

  /**
   * Stores samples (a round) and keeps the incidents, in one transaction.
   * Samples must come in time order per integration (rounds do): a bad
   * sample opens an incident or updates its last error, the next sample
   * that is not bad closes it.
   */
  async insert(samples: HealthSample[]): Promise<void> {
    if (!samples.length) return;
    await this.knex.transaction(async trx => {
      for (let i = 0; i < samples.length; i += 200) {
        await trx('health_samples').insert(
          samples.slice(i, i + 200).map(s => ({
            integration_ref: s.integration,
            checked_at: s.checkedAt,
            status: s.status,
            latency_ms: Math.round(s.latencyMs),
            error: s.error ?? null,
          })),
        );
      }
      await this.track(trx, samples);
    });
  }

  /** Opens, updates and closes incidents for samples just stored. */
  private async track(trx: Knex.Transaction, samples: HealthSample[]) {
    const refs = [...new Set(samples.map(s => s.integration))];
    const open = new Map<string, IncidentRow>();
    for (let i = 0; i < refs.length; i += 200) {
      const rows: IncidentRow[] = await trx('health_incidents')
        .select('id', 'integration_ref', 'started_at', 'ended_at', 'last_error')
        .whereNull('ended_at')
        .whereIn('integration_ref', refs.slice(i, i + 200));
      for (const row of rows) open.set(row.integration_ref, row);
    }
    const changed = new Set<IncidentRow>();
    const created: IncidentRow[] = [];
    const ordered = [...samples].sort((a, b) =>
      a.checkedAt < b.checkedAt ? -1 : Number(a.checkedAt > b.checkedAt),
    );
    for (const s of ordered) {
      const current = open.get(s.integration);
      if (s.status === 'bad') {
        if (current) {
          current.last_error = s.error ?? 'bad';
          changed.add(current);
        } else {
          const incident: IncidentRow = {
            integration_ref: s.integration,
            started_at: s.checkedAt,
            ended_at: null,
            last_error: s.error ?? 'bad',
          };
          open.set(s.integration, incident);
          created.push(incident);
        }
      } else if (current) {
        current.ended_at = s.checkedAt;
        changed.add(current);
        open.delete(s.integration);
      }
    }
    for (const row of changed) {
      if (row.id === undefined) continue; // created in this batch
      await trx('health_incidents')
        .where('id', row.id)
        .update({ ended_at: row.ended_at, last_error: row.last_error });
    }
    for (let i = 0; i < created.length; i += 200) {
      await trx('health_incidents').insert(created.slice(i, i + 200));
    }
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
      .select(...SAMPLE_COLUMNS)
      .where('integration_ref', integration)
      .andWhere('checked_at', '>=', since)
      .orderBy([{ column: 'checked_at' }, { column: 'id' }]);
    return rows.map(fromRow);
  }

  /**
   * Uptime, latency percentiles and incidents over 24 h / 7 d / 30 d
   * before `now`, the chart of one window and the monthly uptime
   * (docs/health.md#history). Summarised in the database: a few queries
   * over the (integration_ref, checked_at) index, whatever the number of
   * samples; only the incidents' boundary samples and the chart's points
   * are read.
   */
  async history(
    integration: string,
    now: number = Date.now(),
    chart: HistoryOptions = {},
  ): Promise<HealthHistory> {
    const since = {} as Record<HealthWindow, string>;
    for (const w of HEALTH_WINDOWS) since[w] = iso(now - WINDOW_MS[w]);
    const rows = () =>
      this.knex('health_samples')
        .where('integration_ref', integration)
        .andWhere('checked_at', '>=', since['30d']);

    // counts and uptime per window
    const countsRow: Record<string, unknown> = await rows()
      .select(
        ...HEALTH_WINDOWS.flatMap(w => [
          this.knex.raw(
            'sum(case when checked_at >= ? then 1 else 0 end) as ??',
            [since[w], `n_${w}`],
          ),
          this.knex.raw(
            "sum(case when checked_at >= ? and status <> 'bad' then 1 else 0 end) as ??",
            [since[w], `up_${w}`],
          ),
        ]),
      )
      .first();
    const samples = {} as HealthHistory['samples'];
    const uptime = {} as HealthHistory['uptime'];
    for (const w of HEALTH_WINDOWS) {
      const n = Number(countsRow?.[`n_${w}`] ?? 0);
      samples[w] = n;
      uptime[w] = n ? Number(countsRow?.[`up_${w}`]) / n : null;
    }

    // latency percentiles from a histogram of the ok and warn latencies
    const windowOf = this.knex.raw(
      'case when checked_at >= ? then 0 when checked_at >= ? then 1 else 2 end',
      [since['24h'], since['7d']],
    );
    const histogram: { latency_ms?: unknown; w?: unknown; n?: unknown }[] =
      await rows()
        .andWhere('status', '<>', 'bad')
        .select('latency_ms', { w: windowOf })
        .count({ n: '*' })
        .groupBy('latency_ms', 'w')
        .orderBy('latency_ms');
    const latency = {} as HealthHistory['latency'];
    HEALTH_WINDOWS.forEach((w, index) => {
      const counts = histogram
        .filter(h => Number(h.w) <= index)
        .map(h => [Number(h.latency_ms ?? 0), Number(h.n)]) as [
        number,
        number,
      ][];
      latency[w] = {
        p50: percentileOfCounts(counts, 50),
        p95: percentileOfCounts(counts, 95),
      } satisfies LatencyPercentiles;
    });

    return {
      integration,
      uptime,
      latency,
      incidents: await this.incidents(integration, since['30d']),
      samples,
      series: await this.series(integration, now, {
        window: chart.window ?? '24h',
        points: chart.points ?? DEFAULT_SERIES_POINTS,
        count: samples[chart.window ?? '24h'],
      }),
      monthly: await this.monthly(integration, now),
    };
  }

  /**
   * Incidents open now or ended since `since`, newest first (kept by
   * `insert`, so this reads a few rows, not the samples).
   */
  private async incidents(
    integration: string,
    since: string,
  ): Promise<Incident[]> {
    const rows: IncidentRow[] = await this.knex('health_incidents')
      .select('started_at', 'ended_at', 'last_error')
      .where('integration_ref', integration)
      .andWhere(q => q.whereNull('ended_at').orWhere('ended_at', '>=', since))
      .orderBy([
        { column: 'started_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ]);
    return rows.map(row => ({
      start: row.started_at,
      ...(row.ended_at
        ? {
            end: row.ended_at,
            durationMs: Date.parse(row.ended_at) - Date.parse(row.started_at),
          }
        : {}),
      lastError: row.last_error,
    }));
  }

  /**
   * The chart of a window: the samples themselves when there are at most
   * `points` of them, else equal buckets from the window's start (only the
   * buckets holding samples), each with its worst status and highest ok or
   * warn latency (bad when it has no other), summarised in the database.
   */
  private async series(
    integration: string,
    now: number,
    chart: { window: HealthWindow; points: number; count: number },
  ): Promise<HealthSeries> {
    const { window, points, count } = chart;
    const start = now - WINDOW_MS[window];
    const rows = () =>
      this.knex('health_samples')
        .where('integration_ref', integration)
        .andWhere('checked_at', '>=', iso(start));
    if (count <= points) {
      const raw: SampleRow[] = await rows()
        .select(...SAMPLE_COLUMNS)
        .orderBy([{ column: 'checked_at' }, { column: 'id' }]);
      return {
        window,
        bucketMs: null,
        points: raw.map(row => {
          const s = fromRow(row);
          return {
            checkedAt: s.checkedAt,
            status: s.status,
            latencyMs: s.latencyMs,
            samples: 1,
          };
        }),
      };
    }
    const bucketMs = Math.ceil(WINDOW_MS[window] / points);
    const bucket = this.bucketIndex(start, bucketMs);
    const buckets: {
      bucket?: unknown;
      n?: unknown;
      worst?: unknown;
      up_max?: unknown;
      bad_max?: unknown;
    }[] = await rows()
      .select({ bucket })
      .count({ n: '*' })
      .max({
        worst: this.knex.raw(
          "case status when 'bad' then 2 when 'warn' then 1 else 0 end",
        ),
      })
      .max({
        up_max: this.knex.raw("case when status <> 'bad' then latency_ms end"),
      })
      .max({
        bad_max: this.knex.raw("case when status = 'bad' then latency_ms end"),
      })
      .groupBy('bucket')
      .orderBy('bucket');
    return {
      window,
      bucketMs,
      points: buckets.map(b => ({
        checkedAt: iso(start + Number(b.bucket) * bucketMs),
        status: STATUS_OF_RANK[Number(b.worst)],
        latencyMs: Number(b.up_max ?? b.bad_max ?? 0),
        samples: Number(b.n),
      })),
    };
  }

  /**
   * floor((checked_at − start) / bucketMs) in the database's own time
   * arithmetic (checked_at is ISO 8601 text in both).
   */
  private bucketIndex(start: number, bucketMs: number): Knex.Raw {
    const client = String(this.knex.client.config.client);
    if (client === 'pg') {
      return this.knex.raw(
        'floor((extract(epoch from cast(checked_at as timestamptz)) * 1000 - ?) / ?)',
        [start, bucketMs],
      );
    }
    return this.knex.raw(
      'cast((round((julianday(checked_at) - 2440587.5) * 86400000) - ?) / ? as integer)',
      [start, bucketMs],
    );
  }

  /**
   * Uptime per UTC calendar month, the current one and the 11 before it,
   * from the raw samples and the hourly rollups (a sample is in exactly one
   * of them). Newest first; months without samples are left out.
   */
  async monthly(
    integration: string,
    now: number = Date.now(),
  ): Promise<MonthlyUptime[]> {
    const d = new Date(now);
    const since = iso(
      Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - (MONTHS - 1), 1),
    );
    const month = this.knex.raw('substr(??, 1, 7)', ['checked_at']);
    const raw: { month: string; samples: unknown; up: unknown }[] =
      await this.knex('health_samples')
        .select({ month })
        .count({ samples: '*' })
        .sum({
          up: this.knex.raw("case when status = 'bad' then 0 else 1 end"),
        })
        .where('integration_ref', integration)
        .andWhere('checked_at', '>=', since)
        .groupByRaw('substr(checked_at, 1, 7)');
    const rolled: { month: string; samples: unknown; up: unknown }[] =
      await this.knex('health_rollups')
        .select({ month: this.knex.raw('substr(hour, 1, 7)') })
        .sum({ samples: 'samples' })
        .sum({ up: this.knex.raw('ok + warn') })
        .where('integration_ref', integration)
        .andWhere('hour', '>=', since)
        .groupByRaw('substr(hour, 1, 7)');
    const months = new Map<string, { samples: number; up: number }>();
    for (const row of [...raw, ...rolled]) {
      const m = months.get(row.month) ?? { samples: 0, up: 0 };
      m.samples += Number(row.samples);
      m.up += Number(row.up);
      months.set(row.month, m);
    }
    return [...months.entries()]
      .filter(([, m]) => m.samples > 0)
      .sort(([a], [b]) => (a < b ? 1 : -1))
      .map(([name, m]) => ({
        month: name,
        uptime: m.up / m.samples,
        samples: m.samples,
      }));
  }

  /**
   * Rolls raw samples older than the raw retention up into one row per
   * integration and hour, whole hours only, oldest first, at most 48 hours
   * per call; each hour is inserted and its samples deleted in one
   * transaction, so a sample is counted exactly once even if a call fails
   * half way. Then deletes rollups past their retention. Returns how many
   * samples were rolled up and how many rollups deleted. An hour that cannot
   * be rolled up (e.g. its rollup is already there: the unique key refuses
   * it) stops the call with an Error naming the hour; its samples stay raw.
   */
  async compact(
    now: number = Date.now(),
    retention: { rawMs?: number; rollupMs?: number } = {},
  ): Promise<{ rolledUp: number; expired: number }> {
    const cutoff = hourOf(now - (retention.rawMs ?? RAW_RETENTION_MS));
    let rolledUp = 0;
    for (let n = 0; n < MAX_HOURS_PER_COMPACTION; n++) {
      const oldest: { at?: string | null } | undefined = await this.knex(
        'health_samples',
      )
        .min({ at: 'checked_at' })
        .where('checked_at', '<', cutoff)
        .first();
      if (!oldest?.at) break;
      const hour = hourOf(oldest.at);
      const next = iso(Date.parse(hour) + HOUR_MS);
      const rollUpHour = this.knex.transaction(async trx => {
        const rows: SampleRow[] = await trx('health_samples')
          .select(...SAMPLE_COLUMNS)
          .where('checked_at', '>=', hour)
          .andWhere('checked_at', '<', next)
          .orderBy([{ column: 'checked_at' }, { column: 'id' }]);
        const byIntegration = new Map<string, HealthSample[]>();
        for (const row of rows) {
          const s = fromRow(row);
          const run = byIntegration.get(s.integration) ?? [];
          run.push(s);
          byIntegration.set(s.integration, run);
        }
        const rollups = [...byIntegration].map(([ref, run]) =>
          rollupOf(ref, hour, run),
        );
        for (let i = 0; i < rollups.length; i += 200) {
          await trx('health_rollups').insert(rollups.slice(i, i + 200));
        }
        const deleted = await trx('health_samples')
          .where('checked_at', '>=', hour)
          .andWhere('checked_at', '<', next)
          .delete();
        if (!rows.length || deleted !== rows.length) {
          throw new Error(
            `Health: ${rows.length} samples of the hour ${hour} rolled up (oldest ${oldest.at}) but ${deleted} deleted; rolled back`,
          );
        }
        return deleted;
      });
      try {
        rolledUp += await rollUpHour;
      } catch (error) {
        // an Error of this module whatever the driver threw: better-sqlite3
        // builds its SqliteError with the constructor registered by the
        // first copy of the library loaded in the process, which under jest
        // is another test file's (another realm: not `instanceof Error` here)
        throw new Error(
          `Health: the hour ${hour} was not rolled up, its samples stay raw (${rolledUp} samples of earlier hours were): ${messageOf(
            error,
          )}`,
          { cause: error },
        );
      }
    }
    await this.knex('health_incidents')
      .where(
        'ended_at',
        '<',
        hourOf(now - (retention.rollupMs ?? ROLLUP_RETENTION_MS)),
      )
      .delete();
    const expired = await this.knex('health_rollups')
      .where(
        'hour',
        '<',
        hourOf(now - (retention.rollupMs ?? ROLLUP_RETENTION_MS)),
      )
      .delete();
    return { rolledUp, expired };
  }
}
