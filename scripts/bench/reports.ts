/*
 * Reports benchmark ([6/7]), the production classes of the billing backend
 * driven directly, on PostgreSQL:
 *
 * 1. Generates a history of N tenants (default 10,000: 100 partners, 20 %
 *    direct; EUR, CHF, JPY; activations over the history, suspensions,
 *    resumptions, terminations, seats changing month by month, health per
 *    month) from a seeded model, and writes M months (default 24) of DAILY
 *    snapshots into billing_mrr_snapshots — every tenant every day, one
 *    INSERT … SELECT over generate_series per month, so the 7.3 M rows load
 *    in about a minute — plus billing_snapshot_days and the lifecycle events
 *    in billing_handled_events.
 * 2. Times payout generation for the partners × 3 currencies
 *    (PayoutService.generate with a stub of the partners' terms, on the
 *    month's final snapshot day): the current month's first generation, its
 *    regeneration, and every past month's (which fills the ledger the
 *    leaderboard reads). Target ≤ 2 s.
 * 3. Times every report in REPORT_IDS through ReportService — as an
 *    operator and as one partner's staff, over the default range (12
 *    months) and 24 months — W warm-up calls and R timed calls each. The
 *    MRR, revenue-by-plan, top-tenants and leaderboard answers are checked
 *    once against the model. Target: p95 ≤ 300 ms.
 *
 * Run through scripts/bench/reports (see scripts/bench/README.md).
 */
import type { AuditEventInput } from '@internal/plugin-audit-common';
import {
  MrrHistoryStore,
  writeTotals,
  PartnerTerms,
  PayoutService,
  PayoutStore,
  ReportService,
} from '@internal/plugin-billing-backend';
import {
  OPERATOR_REPORTS,
  REPORT_IDS,
  ReportFilters,
  ReportId,
  ReportResult,
} from '@internal/plugin-billing-common';
import { billingTenantPermissionRules } from '@internal/plugin-billing-node';
import { Knex } from 'knex';
import path from 'path';
import { performance } from 'perf_hooks';
import {
  count,
  PgServer,
  postgresArgs,
  PostgresOptions,
  requirePostgres,
} from './postgres';
import {
  CheckFailed,
  fmtInt,
  gitCommit,
  log,
  machineLine,
  ms,
  onInterrupt,
  parseArgs,
  prng,
  runMain,
  table,
  timing,
  Timing,
  UsageError,
} from './report';

const repoRoot = path.resolve(__dirname, '../..');
const BILLING_MIGRATIONS = path.join(
  repoRoot,
  'plugins/billing-backend/migrations',
);

/** The issue's targets. */
const REPORT_TARGET_MS = 300;
const PAYOUT_TARGET_MS = 2000;

const CURRENCIES = ['EUR', 'CHF', 'JPY'];
const PLANS = ['starter', 'business', 'enterprise'];
/** The reports whose answers the bench checks against its model. */
const CHECKED: readonly ReportId[] = [
  'mrr',
  'revenue-by-plan',
  'top-tenants',
  'partners',
];
/** The partner whose staff the scoped rows measure. */
const STAFF_PARTNER = 42;

interface Options extends PostgresOptions {
  tenants: number;
  months: number;
  partners: number;
  runs: number;
  warmup: number;
  today: string;
  explain: boolean;
  keep: boolean;
}

const USAGE = `usage: scripts/bench/reports [options]
  --tenants N       tenants in the history (default 10000; at least 100)
  --months N        months of daily snapshots, ending with today's month
                    (default 24; at most 24, the longest daily range)
  --partners N      partners the tenants are dealt to (default 100; 20 % direct)
  --runs N          timed calls per report row, after the warm-up (default 30)
  --warmup N        warm-up calls per report row (default 3)
  --today DAY       the bench's today, YYYY-MM-DD (default 2026-11-30)
  --explain         also print EXPLAIN (ANALYZE, BUFFERS) of every query of
                    each report (operator, 24 months) and of payout generation
  --keep            leave the bench database in place (its name is printed)
  --pg URL          a PostgreSQL server to use (a superuser connection: the
                    bench creates and drops its own database); without it
                    the wrapper starts a throwaway one
  --fsync on|off    the throwaway PostgreSQL's fsync (default on, as in
                    production); ignored with --pg
`;

function parseOptions(argv: string[]): Options {
  const o: Options = {
    tenants: 10_000,
    months: 24,
    partners: 100,
    runs: 30,
    warmup: 3,
    today: '2026-11-30',
    ownPostgres: false,
    explain: false,
    keep: false,
  };
  const pg = postgresArgs(o);
  parseArgs(argv, o, {
    usage: USAGE,
    ints: ['tenants', 'months', 'partners', 'runs', 'warmup'],
    flags: {
      ...pg.flags,
      '--explain': () => {
        o.explain = true;
      },
      '--keep': () => {
        o.keep = true;
      },
    },
    values: {
      ...pg.values,
      '--today': value => {
        o.today = value as string;
        if (!/^\d{4}-\d{2}-\d{2}$/.test(o.today ?? '')) {
          throw new UsageError(`--today ${o.today}: YYYY-MM-DD`);
        }
      },
    },
  });
  if (o.tenants < 100) throw new UsageError('--tenants: at least 100');
  if (o.months > 24) throw new UsageError('--months: at most 24');
  if (o.partners > 999) throw new UsageError('--partners: at most 999');
  if (o.partners <= STAFF_PARTNER) {
    throw new UsageError(
      `--partners: more than ${STAFF_PARTNER} (partner p${STAFF_PARTNER}'s staff are measured)`,
    );
  }
  requirePostgres(o, 'reports');
  return o;
}

// --- the calendar ---------------------------------------------------------------

const cmp = (a: string, b: string) => (a < b ? -1 : Number(a > b));
const pad = (n: number, width: number) => String(n).padStart(width, '0');
const dayOf = (d: Date) => d.toISOString().slice(0, 10);
const addDays = (day: string, n: number) =>
  dayOf(new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000));
function addMonths(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number);
  return dayOf(new Date(Date.UTC(y, m - 1 + n, 1))).slice(0, 7);
}
function lastDayOf(month: string): string {
  const [y, m] = month.split('-').map(Number);
  return dayOf(new Date(Date.UTC(y, m, 0)));
}

// --- the model ------------------------------------------------------------------

interface Tenant {
  idx: number;
  ref: string;
  name: string;
  partnerRef: string | null;
  currency: string;
  plan: string;
  /** Minor units per seat and month. */
  perSeat: number;
  activatedOn: string;
  suspendedOn: string | null;
  resumedOn: string | null;
  terminatedOn: string | null;
  /** Seats and health by month index. */
  seats: number[];
  health: Array<string | null>;
}

interface Model {
  months: string[];
  days: string[];
  tenants: Tenant[];
  partners: string[];
  staffPartner: string;
}

/**
 * The tenants: 20 % direct, the rest dealt to the partners round robin;
 * currency and plan drawn; a tenth activated before the history, the rest
 * on a day of it (provisioned, not billed, before that); a quarter terminated later, 15 % suspended (60 % of them
 * resumed before a termination); seats 1–40 drifting ±5 in a fifth of the
 * months; health ok / warn / bad / unknown per month.
 */
function planModel(o: Options): Model {
  const rnd = prng(17);
  const lastMonth = o.today.slice(0, 7);
  const months = Array.from({ length: o.months }, (_, i) =>
    addMonths(lastMonth, i - (o.months - 1)),
  );
  const days: string[] = [];
  for (let d = `${months[0]}-01`; d <= o.today; d = addDays(d, 1)) days.push(d);
  const partners = Array.from(
    { length: o.partners },
    (_, k) => `partner:default/p${pad(k, 3)}`,
  );
  const perSeat = new Map<string, number>();
  for (const p of PLANS) {
    for (const c of CURRENCIES) {
      perSeat.set(`${p}/${c}`, 101 + Math.floor(rnd() * 5000));
    }
  }
  const at = (from: number, to: number) =>
    from + Math.floor(rnd() * (to - from)); // [from, to)
  const tenants: Tenant[] = [];
  let dealt = 0;
  for (let idx = 0; idx < o.tenants; idx++) {
    const name = `t${pad(idx, 5)}`;
    const partnerRef = rnd() < 0.2 ? null : partners[dealt++ % partners.length];
    const currency = CURRENCIES[Math.floor(rnd() * CURRENCIES.length)];
    const plan = PLANS[Math.floor(rnd() * PLANS.length)];
    const before = rnd() < 0.1;
    const start = before ? 0 : at(0, days.length);
    const activatedOn = before ? addDays(days[0], -at(1, 180)) : days[start];
    let end = days.length;
    let terminatedOn: string | null = null;
    if (rnd() < 0.25 && start + 1 < days.length) {
      end = at(start + 1, days.length);
      terminatedOn = days[end];
    }
    let suspendedOn: string | null = null;
    let resumedOn: string | null = null;
    if (rnd() < 0.15 && start + 1 < end) {
      const s = at(start + 1, end);
      suspendedOn = days[s];
      if (rnd() < 0.6 && s + 1 < end) resumedOn = days[at(s + 1, end)];
    }
    let seats = 1 + Math.floor(rnd() * 40);
    const seatsByMonth: number[] = [];
    const health: Array<string | null> = [];
    for (let m = 0; m < months.length; m++) {
      if (rnd() < 0.2) seats = Math.max(1, seats + Math.floor(rnd() * 11) - 5);
      seatsByMonth.push(seats);
      const h = rnd();
      if (h < 0.05) health.push(null);
      else if (h < 0.15) health.push('bad');
      else if (h < 0.3) health.push('warn');
      else health.push('ok');
    }
    tenants.push({
      idx,
      ref: `tenant:default/${name}`,
      name,
      partnerRef,
      currency,
      plan,
      perSeat: perSeat.get(`${plan}/${currency}`)!,
      activatedOn,
      suspendedOn,
      resumedOn,
      terminatedOn,
      seats: seatsByMonth,
      health,
    });
  }
  return {
    months,
    days,
    tenants,
    partners,
    staffPartner: partners[STAFF_PARTNER],
  };
}

/**
 * A tenant's snapshot row on a day, as the SQL below writes it. Every
 * tenant is in every day's snapshot (10,000 rows a day): before its
 * activation as a provisioned tenant not billed yet (no status, no
 * currency, no MRR), as billing_tenants holds it.
 */
interface Row {
  tenant: Tenant;
  seats: number;
  status: 'active' | 'paused' | 'canceled' | null;
  mrr: number;
  pausedMrr: number;
}

function rowOn(t: Tenant, day: string, m: Model): Row {
  const seats = t.seats[m.months.indexOf(day.slice(0, 7))];
  let status: Row['status'] = 'active';
  if (day < t.activatedOn) status = null;
  else if (t.terminatedOn && day >= t.terminatedOn) status = 'canceled';
  else if (
    t.suspendedOn &&
    day >= t.suspendedOn &&
    (!t.resumedOn || day < t.resumedOn)
  ) {
    status = 'paused';
  }
  const amount = seats * t.perSeat;
  return {
    tenant: t,
    seats,
    status,
    mrr: status === 'active' ? amount : 0,
    pausedMrr: status === 'paused' ? amount : 0,
  };
}

// --- the database ---------------------------------------------------------------

/**
 * Writes the model: the tenants and their months into two unlogged
 * staging tables, then each month's daily snapshot rows by one INSERT …
 * SELECT over generate_series (the same status rule as {@link rowOn}),
 * the snapshot days, and the lifecycle events; ANALYZE / VACUUM last, as
 * autovacuum would have done by the time anyone reads an old month.
 */
async function load(knex: Knex, m: Model): Promise<number> {
  const t0 = performance.now();
  const ts = m.tenants;
  /** A column of values, bound as one PostgreSQL array. */
  const column = (values: Array<string | number | null>) =>
    values as unknown as Knex.RawBinding;
  await knex.raw(`CREATE UNLOGGED TABLE bench_tenants (
    idx int PRIMARY KEY, ref text, name text, partner_ref text, currency text,
    plan text, per_seat int, activated_on text, suspended_on text,
    resumed_on text, terminated_on text)`);
  await knex.raw(
    `INSERT INTO bench_tenants SELECT * FROM unnest(?::int[], ?::text[],
      ?::text[], ?::text[], ?::text[], ?::text[], ?::int[], ?::text[],
      ?::text[], ?::text[], ?::text[])`,
    [
      column(ts.map(t => t.idx)),
      column(ts.map(t => t.ref)),
      column(ts.map(t => t.name)),
      column(ts.map(t => t.partnerRef)),
      column(ts.map(t => t.currency)),
      column(ts.map(t => t.plan)),
      column(ts.map(t => t.perSeat)),
      column(ts.map(t => t.activatedOn)),
      column(ts.map(t => t.suspendedOn)),
      column(ts.map(t => t.resumedOn)),
      column(ts.map(t => t.terminatedOn)),
    ],
  );
  await knex.raw(`CREATE UNLOGGED TABLE bench_months (
    idx int, month text, seats int, health text, PRIMARY KEY (month, idx))`);
  for (const [i, month] of m.months.entries()) {
    await knex.raw(
      `INSERT INTO bench_months SELECT u.idx, ?, u.seats, u.health
       FROM unnest(?::int[], ?::int[], ?::text[]) AS u(idx, seats, health)`,
      [
        month,
        column(ts.map(t => t.idx)),
        column(ts.map(t => t.seats[i])),
        column(ts.map(t => t.health[i])),
      ],
    );
  }
  for (const month of m.months) {
    const first = `${month}-01`;
    const last = [lastDayOf(month), m.days[m.days.length - 1]].sort()[0];
    await knex.raw(
      `INSERT INTO billing_mrr_snapshots (day, tenant_ref, tenant_name,
         partner_ref, plan, seats, currency, status, lifecycle, mrr,
         paused_mrr, health)
       SELECT d.day, t.ref, t.name, t.partner_ref, t.plan, bm.seats,
         CASE WHEN x.status IS NULL THEN NULL ELSE t.currency END, x.status,
         CASE x.status WHEN 'canceled' THEN 'terminated'
           WHEN 'paused' THEN 'suspended' ELSE 'active' END,
         CASE WHEN x.status = 'active' THEN bm.seats * t.per_seat ELSE 0 END,
         CASE WHEN x.status = 'paused' THEN bm.seats * t.per_seat ELSE 0 END,
         bm.health
       FROM (SELECT to_char(g, 'YYYY-MM-DD') AS day
             FROM generate_series(?::date, ?::date, interval '1 day') g) d
       CROSS JOIN bench_tenants t
       JOIN bench_months bm ON bm.month = ? AND bm.idx = t.idx
       CROSS JOIN LATERAL (SELECT CASE
         WHEN d.day < t.activated_on THEN NULL
         WHEN t.terminated_on IS NOT NULL AND d.day >= t.terminated_on
           THEN 'canceled'
         WHEN t.suspended_on IS NOT NULL AND d.day >= t.suspended_on
           AND (t.resumed_on IS NULL OR d.day < t.resumed_on) THEN 'paused'
         ELSE 'active' END AS status) x
       ORDER BY d.day, t.ref`,
      [first, last, month],
    );
    log(`  ${month}: snapshots written`);
  }
  await knex.raw(
    `INSERT INTO billing_snapshot_days (day, taken_at, tenants)
     SELECT day, day || 'T23:00:00.000Z', count(*)
     FROM billing_mrr_snapshots GROUP BY day`,
  );
  // the per-day totals MrrHistoryStore.take writes with each snapshot
  await writeTotals(knex);
  const last = m.days[m.days.length - 1];
  await knex.raw(
    `INSERT INTO billing_handled_events (event_id, tenant_ref, type, seq,
       handled_at, at, partner_ref)
     SELECT gen_random_uuid()::text, e.ref, e.type,
       row_number() OVER (ORDER BY e.at, e.ref, e.type), e.at, e.at,
       e.partner_ref
     FROM (
       SELECT ref, partner_ref, 'activated' AS type,
         activated_on || 'T10:00:00.000Z' AS at FROM bench_tenants
       UNION ALL SELECT ref, partner_ref, 'suspended',
         suspended_on || 'T10:00:00.000Z' FROM bench_tenants
         WHERE suspended_on <= ?
       UNION ALL SELECT ref, partner_ref, 'resumed',
         resumed_on || 'T10:00:00.000Z' FROM bench_tenants
         WHERE resumed_on <= ?
       UNION ALL SELECT ref, partner_ref, 'terminated',
         terminated_on || 'T10:00:00.000Z' FROM bench_tenants
         WHERE terminated_on <= ?
     ) e`,
    [last, last, last],
  );
  await knex.raw('DROP TABLE bench_months');
  await knex.raw('DROP TABLE bench_tenants');
  await knex.raw('VACUUM ANALYZE');
  return performance.now() - t0;
}

// --- payouts --------------------------------------------------------------------

const MARGINS = ['10', '12.5', '15', '20', '25'];

interface PayoutFigures {
  label: string;
  runs: number;
  rows: string;
  t: Timing;
}

/**
 * Payout generation, timed: the current month's first generation (every
 * row created, open), its regeneration `runs` times (nothing changes), then
 * each past month once (created closed) — which also fills the ledger the
 * leaderboard reads. Checked: the rows created are the model's partner ×
 * currency pairs with active MRR on the month's final day.
 */
async function measurePayouts(
  knex: Knex,
  m: Model,
  o: Options,
): Promise<PayoutFigures[]> {
  const terms: PartnerTerms[] = m.partners.map((partnerRef, k) => ({
    partnerRef,
    marginPct: MARGINS[k % MARGINS.length],
    status: 'active',
  }));
  const audited: AuditEventInput[] = [];
  const clock = new Date(`${o.today}T12:00:00.000Z`);
  const service = new PayoutService({
    payouts: new PayoutStore(knex),
    history: new MrrHistoryStore(knex),
    partners: async () => terms,
    trail: {
      record: async inputs => {
        audited.push(...inputs);
        return [];
      },
    },
    now: () => clock,
  });
  const pairs = (day: string) => {
    const set = new Set<string>();
    for (const t of m.tenants) {
      if (rowOn(t, day, m).status === 'active' && t.partnerRef) {
        set.add(`${t.partnerRef}|${t.currency}`);
      }
    }
    return set.size;
  };
  const timed = async (month: string) => {
    const t0 = performance.now();
    const g = await service.generate(month);
    return { g, ms: performance.now() - t0 };
  };
  const current = o.today.slice(0, 7);
  const out: PayoutFigures[] = [];

  const first = await timed(current);
  const want = pairs(first.g.snapshotDay);
  if (first.g.created !== want) {
    throw new CheckFailed(
      `payouts of ${current}: ${first.g.created} rows created, the model has ${want} partner × currency pairs`,
    );
  }
  out.push({
    label: `${current} (the current month), first generation`,
    runs: 1,
    rows: `${fmtInt(first.g.created)} created (open)`,
    t: timing([first.ms]),
  });

  const again: number[] = [];
  for (let i = 0; i < o.runs; i++) {
    const r = await timed(current);
    if (r.g.created || r.g.changed || r.g.closed) {
      throw new CheckFailed(
        `regenerating ${current} changed rows: ${JSON.stringify(r.g)}`,
      );
    }
    again.push(r.ms);
  }
  out.push({
    label: `${current}, regenerated (nothing changes)`,
    runs: o.runs,
    rows: '0 changed',
    t: timing(again),
  });

  const past: number[] = [];
  let created = 0;
  for (const month of m.months.slice(0, -1).reverse()) {
    const r = await timed(month);
    if (r.g.created !== pairs(r.g.snapshotDay)) {
      throw new CheckFailed(
        `payouts of ${month}: ${
          r.g.created
        } rows created, the model has ${pairs(r.g.snapshotDay)}`,
      );
    }
    created += r.g.created;
    past.push(r.ms);
  }
  if (past.length) {
    out.push({
      label: `each past month, first generation (closed)`,
      runs: past.length,
      rows: `${fmtInt(created / past.length)} created per month`,
      t: timing(past),
    });
  }
  if (o.explain) {
    await explain(
      knex,
      () => service.generate(current).then(() => undefined),
      'payout generation',
    );
  }
  return out;
}

// --- reports --------------------------------------------------------------------

interface ReportRow {
  report: ReportId;
  variant: string;
  range: 'default' | '24 months';
  caller: 'operator' | 'staff';
  filters: ReportFilters;
  /** Whether the answer is checked against the model. */
  check: boolean;
}

interface Measured extends ReportRow {
  outcome: 'timed' | 'not built' | 'refused' | 'error';
  message?: string;
  rows?: number;
  asOf?: string;
  t?: Timing;
}

function reportRows(m: Model): ReportRow[] {
  const ranges = [
    { range: 'default' as const, filters: {} },
    { range: '24 months' as const, filters: { from: `${m.months[0]}-01` } },
  ];
  const rows: ReportRow[] = [];
  const variants: Array<{
    report: ReportId;
    variant: string;
    filters: ReportFilters;
  }> = [
    ...REPORT_IDS.map(report => ({ report, variant: '', filters: {} })),
    { report: 'mrr', variant: 'interval=day', filters: { interval: 'day' } },
    { report: 'top-tenants', variant: 'by=seats', filters: { by: 'seats' } },
  ];
  for (const v of variants) {
    for (const r of ranges) {
      for (const caller of ['operator', 'staff'] as const) {
        rows.push({
          report: v.report,
          variant: v.variant,
          range: r.range,
          caller,
          filters: { ...r.filters, ...v.filters },
          check: !v.variant && CHECKED.includes(v.report),
        });
      }
    }
  }
  return rows;
}

/**
 * The answer the model gives for the checked reports (default filters): the
 * rows compared cell by cell; the leaderboard's payouts are left out (the
 * ledger is PayoutService's, checked above).
 */
function expected(
  report: ReportId,
  result: ReportResult,
  m: Model,
  staffOf?: string,
): unknown[] | undefined {
  const days = m.days.filter(d => d >= result.from && d <= result.to);
  const asOf = days[days.length - 1];
  const finals = [...new Map(days.map(d => [d.slice(0, 7), d])).values()];
  const rowsOn = (day: string) =>
    m.tenants
      .filter(t => !staffOf || t.partnerRef === staffOf)
      .map(t => rowOn(t, day, m));
  const billed = (r: Row) => r.status === 'active' || r.status === 'paused';
  const sum = <K extends string>(
    rows: Row[],
    key: (r: Row) => K,
    add: (acc: Record<string, number>, r: Row) => void,
  ) => {
    const out = new Map<K, Record<string, number>>();
    for (const r of rows) {
      const k = key(r);
      if (!out.has(k)) out.set(k, {});
      add(out.get(k)!, r);
    }
    return out;
  };
  const inc = (acc: Record<string, number>, k: string, n: number) => {
    acc[k] = (acc[k] ?? 0) + n;
  };
  if (report === 'mrr') {
    return finals.flatMap(day => {
      const by = sum(
        rowsOn(day).filter(billed),
        r => r.tenant.currency,
        (acc, r) => {
          inc(acc, 'mrr', r.mrr);
          inc(acc, 'pausedMrr', r.pausedMrr);
          inc(acc, 'tenants', 1);
        },
      );
      return [...by.keys()].sort(cmp).map(currency => ({
        period: day.slice(0, 7),
        day,
        currency,
        ...by.get(currency),
      }));
    });
  }
  if (report === 'revenue-by-plan') {
    const by = sum(
      finals.flatMap(day =>
        rowsOn(day)
          .filter(billed)
          .map(r => ({ ...r, day })),
      ) as Array<Row & { day: string }>,
      r => `${r.tenant.plan}|${r.tenant.currency}`,
      (acc, r) => {
        const atAsOf = (r as Row & { day: string }).day === asOf;
        inc(acc, 'revenue', r.mrr);
        inc(acc, 'mrr', atAsOf ? r.mrr : 0);
        inc(acc, 'tenants', atAsOf ? 1 : 0);
        inc(acc, 'seats', atAsOf ? r.seats : 0);
      },
    );
    return [...by]
      .map(([k, f]) => {
        const [plan, currency] = k.split('|');
        return {
          plan,
          currency,
          revenue: f.revenue,
          mrr: f.mrr,
          tenants: f.tenants,
          seats: f.seats,
        };
      })
      .sort(
        (a, b) =>
          cmp(a.currency, b.currency) ||
          b.revenue - a.revenue ||
          cmp(a.plan, b.plan),
      );
  }
  if (report === 'top-tenants') {
    const active = rowsOn(asOf).filter(r => r.status === 'active');
    return CURRENCIES.slice()
      .sort(cmp)
      .flatMap(currency =>
        active
          .filter(r => r.tenant.currency === currency)
          .sort((a, b) => b.mrr - a.mrr || cmp(a.tenant.name, b.tenant.name))
          .slice(0, 10)
          .map((r, i) => ({
            rank: i + 1,
            tenant: r.tenant.name,
            partner: r.tenant.partnerRef?.replace(/^.*\//, '') ?? null,
            plan: r.tenant.plan,
            seats: r.seats,
            currency,
            mrr: r.mrr,
            status: r.status,
          })),
      );
  }
  if (report === 'partners') {
    const by = sum(
      rowsOn(asOf).filter(r => billed(r) && r.tenant.partnerRef),
      r => `${r.tenant.partnerRef!.replace(/^.*\//, '')}|${r.tenant.currency}`,
      (acc, r) => {
        inc(acc, 'tenants', 1);
        inc(acc, 'mrr', r.mrr);
        inc(acc, 'pausedMrr', r.pausedMrr);
      },
    );
    return [...by]
      .map(([k, f]) => {
        const [partner, currency] = k.split('|');
        return { partner, currency, ...f };
      })
      .sort((a, b) => cmp(a.partner, b.partner) || cmp(a.currency, b.currency));
  }
  return undefined;
}

function checkAnswer(
  row: ReportRow,
  result: ReportResult,
  m: Model,
  staffOf?: string,
) {
  let got: unknown[] = result.rows;
  if (row.report === 'partners') {
    got = result.rows
      .filter(r => Number(r.tenants) > 0)
      .map(r => ({
        partner: r.partner,
        currency: r.currency,
        tenants: r.tenants,
        mrr: r.mrr,
        pausedMrr: r.pausedMrr,
      }))
      .sort(
        (a, b) =>
          cmp(String(a.partner), String(b.partner)) ||
          cmp(String(a.currency), String(b.currency)),
      );
  }
  const want = expected(row.report, result, m, staffOf);
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    throw new CheckFailed(
      `${row.report} (${row.range}, ${row.caller}): got ${JSON.stringify(
        got,
      ).slice(0, 400)}, the model says ${JSON.stringify(want).slice(0, 400)}`,
    );
  }
  if (!want?.length) {
    throw new CheckFailed(
      `${row.report} (${row.range}, ${row.caller}): no rows`,
    );
  }
}

async function measureReports(
  service: ReportService,
  m: Model,
  o: Options,
): Promise<Measured[]> {
  const staff = billingTenantPermissionRules.isTenantOfPartner.toQuery({
    partnerRefs: [m.staffPartner],
  });
  const out: Measured[] = [];
  for (const row of reportRows(m)) {
    const scope = row.caller === 'staff' ? staff : undefined;
    const call = () => service.run(row.report, row.filters, scope);
    let first: ReportResult;
    try {
      first = await call();
    } catch (e) {
      const err = e as Error;
      if (err.name === 'NotFoundError') {
        out.push({ ...row, outcome: 'not built' });
      } else if (
        err.name === 'NotAllowedError' &&
        scope &&
        OPERATOR_REPORTS.includes(row.report)
      ) {
        out.push({ ...row, outcome: 'refused' });
      } else {
        out.push({ ...row, outcome: 'error', message: err.message });
      }
      continue;
    }
    if (row.check) {
      checkAnswer(row, first, m, scope ? m.staffPartner : undefined);
    }
    for (let i = 1; i < o.warmup; i++) await call();
    const samples: number[] = [];
    for (let i = 0; i < o.runs; i++) {
      const t0 = performance.now();
      await call();
      samples.push(performance.now() - t0);
    }
    out.push({
      ...row,
      outcome: 'timed',
      rows: first.rows.length,
      ...(first.asOf ? { asOf: first.asOf } : {}),
      t: timing(samples),
    });
    log(
      `  ${row.report}${row.variant ? ` ${row.variant}` : ''}, ${row.range}, ${
        row.caller
      }: p95 ${ms(timing(samples).p95)} ms`,
    );
  }
  return out;
}

/** Prints EXPLAIN (ANALYZE, BUFFERS) of every SQL statement `fn` sends. */
async function explain(knex: Knex, fn: () => Promise<unknown>, what: string) {
  const sent: Array<{ sql: string; bindings: unknown[] }> = [];
  const listener = (q: { sql: string; bindings?: unknown[] }) => {
    sent.push({ sql: q.sql, bindings: q.bindings ?? [] });
  };
  knex.on('query', listener);
  try {
    await fn();
  } finally {
    knex.removeListener('query', listener);
  }
  for (const q of sent) {
    if (!/^\s*(select|with)\b/i.test(q.sql)) continue;
    // the event shows PostgreSQL's $1, $2 …: back to knex's ? (in order)
    let n = 0;
    const sql = q.sql.replace(/\$(\d+)/g, (_, i) => {
      if (Number(i) !== ++n) throw new Error(`bindings out of order: ${q.sql}`);
      return '?';
    });
    const plan = await knex.raw(
      `EXPLAIN (ANALYZE, BUFFERS) ${sql}`,
      q.bindings as Knex.RawBinding[],
    );
    console.log(`\n--- ${what}: ${q.sql.slice(0, 300)}`);
    for (const r of plan.rows) console.log(`    ${r['QUERY PLAN']}`);
  }
}

// --- main -----------------------------------------------------------------------

async function main(argv: string[]): Promise<number> {
  const o = parseOptions(argv);
  const server = new PgServer(o.pg!);
  let knex: Knex | undefined;
  const cleanup = async () => {
    await knex?.destroy().catch(() => {});
    await server.close(o.keep).catch(() => {});
  };
  onInterrupt(cleanup);

  try {
    const m = planModel(o);
    console.log('Dezky reports benchmark');
    console.log(`machine:  ${machineLine()}`);
    console.log(`commit:   ${gitCommit()}`);
    console.log(
      `postgres: ${await server.describe([
        'fsync',
        'shared_buffers',
        'work_mem',
        'max_parallel_workers_per_gather',
      ])}${
        o.ownPostgres ? ' (throwaway, scripts/lib/postgres.sh)' : ''
      }; knex pool max 10`,
    );
    console.log(
      `history:  ${fmtInt(o.tenants)} tenants (${o.partners} partners, ${fmtInt(
        m.tenants.filter(t => !t.partnerRef).length,
      )} direct; ${CURRENCIES.join(', ')}; each in every day's snapshot), ${
        o.months
      } months of daily snapshots: ${m.days[0]} … ${
        m.days[m.days.length - 1]
      } (${m.days.length} days); today ${o.today}`,
    );
    console.log(
      `calls:    ${o.warmup} warm-up + ${
        o.runs
      } timed per row, one at a time; staff = partner ${m.staffPartner.replace(
        /^.*\//,
        '',
      )} (IS_TENANT_OF_PARTNER)`,
    );
    console.log('');

    log(`PostgreSQL: writing the history`);
    const name = `reports_bench_${process.pid}`;
    knex = (await server.createDatabase(name, BILLING_MIGRATIONS)).knex;
    if (o.keep) log(`  database ${name} (kept: --keep)`);
    const loadMs = await load(knex, m);
    const snapshots = await count(knex, 'billing_mrr_snapshots');
    const events = await count(knex, 'billing_handled_events');
    log(
      `  ${fmtInt(snapshots)} snapshot rows, ${fmtInt(
        events,
      )} lifecycle events in ${(loadMs / 1000).toFixed(1)} s`,
    );
    const expectedRows = m.days.length * m.tenants.length;
    if (snapshots !== expectedRows) {
      throw new CheckFailed(
        `billing_mrr_snapshots has ${snapshots} rows, the model ${expectedRows}`,
      );
    }
    const sizes = await knex.raw(
      `SELECT pg_size_pretty(pg_table_size('billing_mrr_snapshots')) AS heap,
              pg_size_pretty(pg_indexes_size('billing_mrr_snapshots')) AS indexes`,
    );

    log('PostgreSQL: payout generation');
    const payouts = await measurePayouts(knex, m, o);
    const ledger = await count(knex, 'billing_payouts');

    log('PostgreSQL: reports');
    const service = new ReportService({
      knex,
      now: () => new Date(`${o.today}T12:00:00.000Z`),
    });
    const reports = await measureReports(service, m, o);
    if (o.explain) {
      for (const report of REPORT_IDS) {
        if (!reports.some(r => r.report === report && r.outcome === 'timed')) {
          continue;
        }
        await explain(
          knex,
          () => service.run(report, { from: `${m.months[0]}-01` }, undefined),
          `${report} (operator, 24 months)`,
        );
      }
    }

    console.log('');
    console.log(
      `History: ${fmtInt(snapshots)} snapshot rows (table ${
        sizes.rows[0].heap
      }, indexes ${sizes.rows[0].indexes}), ${fmtInt(
        events,
      )} lifecycle events, ${fmtInt(ledger)} payout rows; written in ${(
        loadMs / 1000
      ).toFixed(1)} s`,
    );
    console.log('');
    console.log(
      `Payout generation (PayoutService.generate, ${o.partners} partners × ${
        CURRENCIES.length
      } currencies, the month's final snapshot of ${fmtInt(
        o.tenants,
      )} tenants; ms)`,
    );
    console.log(
      table([
        ['generation', 'runs', 'rows', 'median', 'p95', 'max'],
        ...payouts.map(p => [
          p.label,
          String(p.runs),
          p.rows,
          ms(p.t.median),
          ms(p.t.p95),
          ms(p.t.max),
        ]),
      ]),
    );
    console.log('');
    console.log(
      `Reports (ReportService.run, ms per call, ${o.runs} timed calls after ${o.warmup} warm-up; target p95 <= ${REPORT_TARGET_MS} ms)`,
    );
    const verdict = (p95: number) =>
      p95 <= REPORT_TARGET_MS ? 'met' : 'MISSED';
    console.log(
      table(
        [
          [
            'report',
            'range',
            'caller',
            'rows',
            'checked',
            'median',
            'p95',
            'max',
            'target',
          ],
          ...reports.map(r => {
            const name = `${r.report}${r.variant ? ` (${r.variant})` : ''}`;
            if (r.outcome !== 'timed') {
              const what =
                r.outcome === 'refused'
                  ? 'refused (operators only)'
                  : r.outcome === 'error'
                  ? `ERROR: ${r.message}`
                  : 'not built';
              return [name, r.range, r.caller, what, '', '', '', '', ''];
            }
            return [
              name,
              r.range,
              r.caller,
              fmtInt(r.rows!),
              r.check ? 'yes' : '',
              ms(r.t!.median),
              ms(r.t!.p95),
              ms(r.t!.max),
              verdict(r.t!.p95),
            ];
          }),
        ],
        3,
      ),
    );
    console.log('');
    const slowest = payouts.reduce((a, b) => (b.t.max > a.t.max ? b : a));
    console.log(
      `payout generation, PostgreSQL = max ${ms(slowest.t.max)} ms (${
        slowest.label
      }) (target <= ${PAYOUT_TARGET_MS} ms): ${
        slowest.t.max <= PAYOUT_TARGET_MS ? 'met' : 'MISSED'
      }`,
    );
    const timed = reports.filter(r => r.outcome === 'timed');
    const missed = timed.filter(r => r.t!.p95 > REPORT_TARGET_MS);
    const worst = timed.reduce<Measured | undefined>(
      (a, b) => (!a || b.t!.p95 > a.t!.p95 ? b : a),
      undefined,
    );
    console.log(
      `reports, PostgreSQL = ${timed.length} rows timed, worst p95 ${
        worst
          ? `${ms(worst.t!.p95)} ms (${worst.report}${
              worst.variant ? ` ${worst.variant}` : ''
            }, ${worst.range}, ${worst.caller})`
          : '-'
      } (target <= ${REPORT_TARGET_MS} ms): ${
        missed.length ? `MISSED in ${missed.length} rows` : 'met'
      }`,
    );
    for (const r of missed) {
      console.log(
        `  MISSED: ${r.report}${r.variant ? ` ${r.variant}` : ''}, ${
          r.range
        }, ${r.caller}: p95 ${ms(r.t!.p95)} ms`,
      );
    }
    const notBuilt = [
      ...new Set(
        reports.filter(r => r.outcome === 'not built').map(r => r.report),
      ),
    ];
    if (notBuilt.length) console.log(`not built: ${notBuilt.join(', ')}`);
    const errors = reports.filter(r => r.outcome === 'error');
    for (const r of errors) {
      console.log(`ERROR: ${r.report} (${r.range}, ${r.caller}): ${r.message}`);
    }
    return errors.length ? 1 : 0;
  } finally {
    await cleanup();
  }
}

runMain(main, USAGE, 3000);
