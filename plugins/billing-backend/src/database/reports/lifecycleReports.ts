import { ReportCell, ReportColumn } from '@internal/plugin-billing-common';
import { Knex } from 'knex';
import { applyReportScope } from './scope';
import { ReportBody, ReportQuery } from './types';

/*
 * The growth and cohort reports (docs/reports.md), from the lifecycle
 * events billing applied (billing_handled_events: each row's own time `at`,
 * ISO 8601 UTC, and the tenant's partner when it happened).
 *
 * Only `activated` and `terminated` events matter. Ordered per tenant by
 * (at, seq), each of them is a *transition* when it changes the tenant's
 * state: an `activated` of a tenant that is not active (+1), a `terminated`
 * of one that is (−1); the others change nothing. A tenant is active at T
 * exactly when the last of its activated/terminated events ≤ T is an
 * activation, so the number of tenants active at T is the sum of the
 * transitions ≤ T. The SQL sums them per month (and per signup month for
 * the cohorts); the report adds the months up.
 */

const EVENT_SCOPE = { partnerRef: 'e.partner_ref', tenantRef: 'e.tenant_ref' };

/** YYYY-MM, `n` months after `month`. */
function addMonths(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1 + n, 1)).toISOString().slice(0, 7);
}

/** Months from `a` to `b` (YYYY-MM): 0 when equal. */
function monthsBetween(a: string, b: string): number {
  const [ya, ma] = a.split('-').map(Number);
  const [yb, mb] = b.split('-').map(Number);
  return (yb - ya) * 12 + (mb - ma);
}

/** The months from `from`'s to `to`'s (YYYY-MM-DD), oldest first. */
function monthsOf(from: string, to: string): string[] {
  const first = from.slice(0, 7);
  const n = monthsBetween(first, to.slice(0, 7));
  return Array.from({ length: n + 1 }, (_, i) => addMonths(first, i));
}

/** The day after `day` (YYYY-MM-DD): `at < dayAfter(to)` is "at or before the end of to". */
function dayAfter(day: string): string {
  const d = new Date(`${day}T00:00:00.000Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/**
 * The caller's transitions up to the end of `to`, as a query over the CTE
 * `tr` (one row per activated/terminated event in scope):
 * - `at`, `signup` (the tenant's first activation, ISO);
 * - `delta`: +1 / −1 / 0 as above;
 * - `signups`: 1 on the tenant's first activation;
 * - `churns`: 1 on a termination of an active tenant;
 * - `first_churn`: 1 on the first of those.
 *
 * Events of other partners (or outside the partner filter) are left out
 * before anything is computed: a tenant's history in a partner's reports is
 * the part of it that happened under that partner.
 */
function transitions(knex: Knex, query: ReportQuery): Knex.QueryBuilder {
  const perTenant = 'PARTITION BY e.tenant_ref ORDER BY e.at, e.seq';
  const events = applyReportScope(
    knex({ e: 'billing_handled_events' })
      .select(
        'e.tenant_ref',
        'e.type',
        'e.at',
        'e.seq',
        knex.raw(`LAG(e.type) OVER (${perTenant}) AS prev`),
        knex.raw(
          `COUNT(CASE WHEN e.type = 'activated' THEN 1 END) OVER (${perTenant} ROWS UNBOUNDED PRECEDING) AS activations`,
        ),
        knex.raw(
          `MIN(CASE WHEN e.type = 'activated' THEN e.at END) OVER (PARTITION BY e.tenant_ref) AS signup`,
        ),
      )
      .whereIn('e.type', ['activated', 'terminated'])
      .where('e.at', '<', dayAfter(query.to)),
    query,
    EVENT_SCOPE,
  );
  const churn = `CASE WHEN ev.type = 'terminated' AND ev.prev = 'activated' THEN 1 ELSE 0 END`;
  const flagged = knex('ev').select(
    'ev.tenant_ref',
    'ev.at',
    'ev.seq',
    'ev.signup',
    knex.raw(
      `CASE WHEN ev.type = 'activated' AND (ev.prev IS NULL OR ev.prev = 'terminated') THEN 1
            WHEN ev.type = 'terminated' AND ev.prev = 'activated' THEN -1
            ELSE 0 END AS delta`,
    ),
    knex.raw(
      `CASE WHEN ev.type = 'activated' AND ev.activations = 1 THEN 1 ELSE 0 END AS signups`,
    ),
    knex.raw(`${churn} AS churns`),
    knex.raw(
      `SUM(${churn}) OVER (PARTITION BY ev.tenant_ref ORDER BY ev.at, ev.seq ROWS UNBOUNDED PRECEDING) AS churns_so_far`,
    ),
  );
  return knex
    .with('ev', events)
    .with('tr', flagged)
    .from('tr')
    .whereNotNull('tr.signup');
}

const num = (v: unknown) => Number(v ?? 0);

/**
 * `growth`: one row per month from `from`'s month to `to`'s month —
 * - `active`: tenants active at the end of the month (at the end of `to`'s
 *   day for the last month): their first activation is at or before then
 *   and they have no termination then that is not followed by a later
 *   activation (a re-activated tenant is active again, but not new);
 * - `new`: tenants whose first activation ever is in the month and in
 *   [from, to];
 * - `churned`: terminations in the month and in [from, to] of tenants that
 *   were active (a termination of a tenant already terminated, or never
 *   activated, ends no customer and is not counted);
 * - `net`: new − churned.
 * Partner-scoped by the events' partner; `currency` does not apply.
 */
export async function growthReport(
  knex: Knex,
  query: ReportQuery,
): Promise<ReportBody> {
  const monthExpr = 'substr(tr.at, 1, 7)';
  const rows = (await transitions(knex, query)
    .select(
      knex.raw(`${monthExpr} AS month`),
      knex.raw('SUM(tr.delta) AS delta'),
      knex.raw('SUM(CASE WHEN tr.at >= ? THEN tr.signups ELSE 0 END) AS new', [
        query.from,
      ]),
      knex.raw(
        'SUM(CASE WHEN tr.at >= ? THEN tr.churns ELSE 0 END) AS churned',
        [query.from],
      ),
    )
    .groupByRaw(monthExpr)
    .orderBy('month')) as Array<{
    month: string;
    delta: unknown;
    new: unknown;
    churned: unknown;
  }>;
  const byMonth = new Map(rows.map(r => [r.month, r]));
  const firstMonth = query.from.slice(0, 7);
  let active = rows
    .filter(r => r.month < firstMonth)
    .reduce((sum, r) => sum + num(r.delta), 0);
  const columns: ReportColumn[] = [
    { key: 'month', title: 'Month', kind: 'month' },
    { key: 'active', title: 'Active tenants', kind: 'count' },
    { key: 'new', title: 'New', kind: 'count' },
    { key: 'churned', title: 'Churned', kind: 'count' },
    { key: 'net', title: 'Net', kind: 'count' },
  ];
  return {
    columns,
    rows: monthsOf(query.from, query.to).map(month => {
      const r = byMonth.get(month);
      active += num(r?.delta);
      const added = num(r?.new);
      const churned = num(r?.churned);
      return { month, active, new: added, churned, net: added - churned };
    }),
  };
}

/**
 * `cohorts`: one row per month from `from`'s to `to`'s in which tenants
 * signed up (first activation ever) within [from, to] —
 * - `cohort` (YYYY-MM), `size`: those signups;
 * - `churned`: of them, those terminated (while active) at least once by
 *   the end of `to`, re-activated or not;
 * - `m0` … `mN` (N: months from the first cohort to `to`'s month): the
 *   percent of the cohort active at the end of month cohort + K (at the end
 *   of `to` for `to`'s month), 0–100 rounded half up to two decimals; null
 *   for months after `to`'s.
 * Partner-scoped by the events' partner; `currency` does not apply.
 */
export async function cohortsReport(
  knex: Knex,
  query: ReportQuery,
): Promise<ReportBody> {
  const cohortExpr = 'substr(tr.signup, 1, 7)';
  const monthExpr = 'substr(tr.at, 1, 7)';
  const rows = (await transitions(knex, query)
    .where('tr.signup', '>=', query.from)
    .select(
      knex.raw(`${cohortExpr} AS cohort`),
      knex.raw(`${monthExpr} AS month`),
      knex.raw('SUM(tr.delta) AS delta'),
      knex.raw('SUM(tr.signups) AS signups'),
      knex.raw(
        'SUM(CASE WHEN tr.churns = 1 AND tr.churns_so_far = 1 THEN 1 ELSE 0 END) AS churned',
      ),
    )
    .groupByRaw(`${cohortExpr}, ${monthExpr}`)
    .orderBy([
      { column: 'cohort', order: 'asc' },
      { column: 'month', order: 'asc' },
    ])) as Array<{
    cohort: string;
    month: string;
    delta: unknown;
    signups: unknown;
    churned: unknown;
  }>;
  const cohorts = new Map<
    string,
    { size: number; churned: number; deltas: Map<string, number> }
  >();
  for (const r of rows) {
    const c = cohorts.get(r.cohort) ?? {
      size: 0,
      churned: 0,
      deltas: new Map<string, number>(),
    };
    c.size += num(r.signups);
    c.churned += num(r.churned);
    c.deltas.set(r.month, num(r.delta));
    cohorts.set(r.cohort, c);
  }
  const toMonth = query.to.slice(0, 7);
  const names = [...cohorts.keys()].sort();
  const n = monthsBetween(names[0] ?? query.from.slice(0, 7), toMonth);
  const columns: ReportColumn[] = [
    { key: 'cohort', title: 'Cohort', kind: 'month' },
    { key: 'size', title: 'Signups', kind: 'count' },
    { key: 'churned', title: 'Churned', kind: 'count' },
    ...Array.from(
      { length: n + 1 },
      (_, k): ReportColumn => ({
        key: `m${k}`,
        title: `Month ${k}`,
        kind: 'percent',
      }),
    ),
  ];
  return {
    columns,
    rows: names.map(cohort => {
      const c = cohorts.get(cohort)!;
      const row: Record<string, ReportCell> = {
        cohort,
        size: c.size,
        churned: c.churned,
      };
      let active = 0;
      for (let k = 0; k <= n; k++) {
        const month = addMonths(cohort, k);
        if (month > toMonth) {
          row[`m${k}`] = null;
        } else {
          active += c.deltas.get(month) ?? 0;
          row[`m${k}`] = Math.round((active * 10000) / c.size) / 100;
        }
      }
      return row;
    }),
  };
}
