/*
 * The reports read from the MRR history (docs/reports.md): MRR over time,
 * revenue by plan, top tenants and the partner leaderboard. Each one first
 * reads the snapshot days of the range from billing_snapshot_days (at most
 * one row per day, no partner or tenant in it), then aggregates only those
 * days' rows of billing_mrr_snapshots in SQL, scoped with applyReportScope.
 *
 * Terms:
 * - a month's final snapshot in the range: the latest snapshot day of that
 *   month within [from, to];
 * - asOf: the latest snapshot day within [from, to] (none: no asOf, no rows);
 * - billed: a snapshot row with status `active` or `paused` (its currency
 *   is then set); `mrr` is non-zero only for `active`, `paused_mrr` only for
 *   `paused`.
 */
import { parseEntityRef } from '@backstage/catalog-model';
import { ReportCell, ReportColumn } from '@internal/plugin-billing-common';
import { normalizeScopeRef } from '@internal/plugin-dezky-node';
import { Knex } from 'knex';
import { partnerOnly } from '../PayoutStore';
import { applyReportScope } from './scope';
import { daysInRange, finalDaysInRange, snapshots, whole } from './sql';
import { ReportBody, ReportQuery, ReportRunner } from './types';

const BILLED = ['active', 'paused'];

/**
 * The per-day totals (billing_snapshot_totals, written with each snapshot)
 * with the partner and currency filters — for unscoped callers only: the
 * totals have no tenant to apply a partner scope to.
 */
function totals(knex: Knex, query: ReportQuery) {
  if (query.scope) throw new Error('the per-day totals are not partner-scoped');
  const q = knex('billing_snapshot_totals as s');
  if (query.partnerRef === null) q.whereNull('s.partner_ref');
  else if (query.partnerRef) q.where('s.partner_ref', query.partnerRef);
  if (query.currency) q.where('s.currency', query.currency);
  return q;
}

const big = (cell: ReportCell): bigint => BigInt(cell ?? 0);

/** A partner's name from its ref: `partner:default/nord` → `nord` (another namespace: `ns/name`). */
export function partnerName(ref: string | null): string | null {
  if (!ref) return null;
  const { namespace, name } = parseEntityRef(ref, {
    defaultKind: 'partner',
    defaultNamespace: 'default',
  });
  return namespace === 'default' ? name : `${namespace}/${name}`;
}

const money = (key: string, title: string): ReportColumn => ({
  key,
  title,
  kind: 'money',
  currencyKey: 'currency',
});
const CURRENCY: ReportColumn = {
  key: 'currency',
  title: 'Currency',
  kind: 'text',
};

/**
 * MRR over time, per currency. `interval=month` (the default): one point
 * per month that has a snapshot day in [from, to], from that month's final
 * snapshot in the range; `interval=day`: one point per snapshot day in
 * [from, to]. Per point and currency, over the billed rows (status active
 * or paused; rows without a currency are left out): `mrr` = Σ mrr,
 * `pausedMrr` = Σ paused_mrr, `tenants` = their number. `day` is the
 * snapshot day the point comes from. Ordered by period, then currency.
 */
export const mrrReport: ReportRunner = async (knex, query) => {
  const month = query.interval === 'month';
  const columns: ReportColumn[] = [
    {
      key: 'period',
      title: month ? 'Month' : 'Day',
      kind: month ? 'month' : 'day',
    },
    { key: 'day', title: 'Snapshot of', kind: 'day' },
    CURRENCY,
    money('mrr', 'MRR'),
    money('pausedMrr', 'Paused MRR'),
    { key: 'tenants', title: 'Tenants', kind: 'count' },
  ];
  const days = month
    ? await finalDaysInRange(knex, query)
    : await daysInRange(knex, query);
  if (!days.length) return { columns, rows: [] };
  // an unscoped caller (operators) reads the per-day totals written with
  // each snapshot (a few rows per day); a partner-scoped one its partner's
  // snapshot rows (by its index) — the same sums
  const q = query.scope ? snapshots(knex, query) : totals(knex, query);
  // one point per day: every snapshot row in the range is on a snapshot day
  if (month) q.whereIn('s.day', days);
  else q.whereBetween('s.day', [query.from, query.to]);
  if (query.scope) {
    q.whereIn('s.status', BILLED)
      .whereNotNull('s.currency')
      .sum({ mrr: 's.mrr', pausedMrr: 's.paused_mrr' })
      .count({ tenants: '*' });
  } else {
    q.sum({ mrr: 's.mrr', pausedMrr: 's.paused_mrr', tenants: 's.tenants' });
  }
  const rows = (await q
    .select('s.day', 's.currency')
    .groupBy('s.day', 's.currency')
    .orderBy(['s.day', 's.currency'])) as Array<Record<string, unknown>>;
  return {
    asOf: days[days.length - 1],
    columns,
    rows: rows.map(r => ({
      period: month ? String(r.day).slice(0, 7) : String(r.day),
      day: String(r.day),
      currency: String(r.currency),
      mrr: whole(r.mrr),
      pausedMrr: whole(r.pausedMrr),
      tenants: whole(r.tenants),
    })),
  };
};

/**
 * Revenue by plan, per plan × currency. `revenue` = Σ, over the months with
 * a snapshot day in [from, to], of the MRR (active subscriptions) in the
 * month's final snapshot in the range; at asOf (the range's latest snapshot
 * day): `mrr` = Σ mrr, `tenants` = the billed tenants (active or paused),
 * `seats` = Σ their seats. A plan × currency is listed when it has a billed
 * tenant in any of those final snapshots (so one with revenue in the range
 * but nothing at asOf shows 0 there). Ordered by currency, revenue
 * descending, plan.
 */
export const revenueByPlanReport: ReportRunner = async (knex, query) => {
  const columns: ReportColumn[] = [
    { key: 'plan', title: 'Plan', kind: 'text' },
    CURRENCY,
    money('revenue', 'Revenue in range'),
    money('mrr', 'MRR'),
    { key: 'tenants', title: 'Tenants', kind: 'count' },
    { key: 'seats', title: 'Seats', kind: 'count' },
  ];
  const days = await finalDaysInRange(knex, query);
  if (!days.length) return { columns, rows: [] };
  const asOf = days[days.length - 1];
  const atAsOf = (then: string, alias: string) =>
    knex.raw(`SUM(CASE WHEN ?? = ? THEN ${then} ELSE 0 END) AS ??`, [
      's.day',
      asOf,
      alias,
    ]);
  const rows = (await snapshots(knex, query)
    .whereIn('s.day', days)
    .whereIn('s.status', BILLED)
    .whereNotNull('s.currency')
    .select('s.plan', 's.currency')
    .sum({ revenue: 's.mrr' })
    .select(
      atAsOf('s.mrr', 'mrr'),
      atAsOf('1', 'tenants'),
      atAsOf('s.seats', 'seats'),
    )
    .groupBy('s.plan', 's.currency')) as Array<Record<string, unknown>>;
  const out = rows.map(r => ({
    plan: String(r.plan),
    currency: String(r.currency),
    revenue: whole(r.revenue),
    mrr: whole(r.mrr),
    tenants: whole(r.tenants),
    seats: whole(r.seats),
  }));
  // sorted here (a few dozen rows) so that revenue compares exactly
  out.sort((a, b) => {
    if (a.currency !== b.currency) return a.currency < b.currency ? -1 : 1;
    const ra = big(a.revenue);
    const rb = big(b.revenue);
    if (ra !== rb) return ra > rb ? -1 : 1;
    if (a.plan === b.plan) return 0;
    return a.plan < b.plan ? -1 : 1;
  });
  return { asOf, columns, rows: out };
};

/**
 * Top tenants at asOf (the range's latest snapshot day). `by=mrr` (the
 * default): per currency, the `limit` tenants with the highest MRR among
 * those with status active, ranked within the currency (ties by tenant
 * name); `by=seats`: the `limit` tenants with the most seats among those
 * whose lifecycle is not terminated, ranked overall (ties by name; a
 * tenant never billed has no currency). `partner` is the partner's name,
 * null for a directly sold tenant.
 */
export const topTenantsReport: ReportRunner = async (knex, query) => {
  const columns: ReportColumn[] = [
    { key: 'rank', title: 'Rank', kind: 'count' },
    { key: 'tenant', title: 'Tenant', kind: 'text' },
    { key: 'partner', title: 'Partner', kind: 'text' },
    { key: 'plan', title: 'Plan', kind: 'text' },
    { key: 'seats', title: 'Seats', kind: 'count' },
    CURRENCY,
    money('mrr', 'MRR'),
    { key: 'status', title: 'Status', kind: 'text' },
  ];
  const days = await daysInRange(knex, query);
  if (!days.length) return { columns, rows: [] };
  const asOf = days[days.length - 1];
  const fields = [
    's.tenant_name',
    's.partner_ref',
    's.plan',
    's.seats',
    's.currency',
    's.mrr',
    's.status',
  ];
  let rows: Array<Record<string, unknown>>;
  if (query.by === 'seats') {
    rows = (await snapshots(knex, query)
      .where('s.day', asOf)
      .whereNot('s.lifecycle', 'terminated')
      .select(fields)
      .orderBy([
        { column: 's.seats', order: 'desc' },
        { column: 's.tenant_name' },
        { column: 's.tenant_ref' },
      ])
      .limit(query.limit)) as Array<Record<string, unknown>>;
    rows.forEach((r, i) => {
      r.n = i + 1;
    });
  } else {
    const ranked = snapshots(knex, query)
      .where('s.day', asOf)
      .where('s.status', 'active')
      .whereNotNull('s.currency')
      .select(fields)
      .select(
        knex.raw(
          'ROW_NUMBER() OVER (PARTITION BY ?? ORDER BY ?? DESC, ??, ??) AS ??',
          ['s.currency', 's.mrr', 's.tenant_name', 's.tenant_ref', 'n'],
        ),
      )
      .as('r');
    rows = (await knex
      .from(ranked)
      .where('r.n', '<=', query.limit)
      .select('*')
      .orderBy(['r.currency', 'r.n'])) as Array<Record<string, unknown>>;
  }
  return {
    asOf,
    columns,
    rows: rows.map(r => ({
      rank: whole(r.n),
      tenant: String(r.tenant_name),
      partner: partnerName(r.partner_ref as string | null),
      plan: String(r.plan),
      seats: whole(r.seats),
      currency: (r.currency as string | null) ?? null,
      mrr: whole(r.mrr),
      status: (r.status as string | null) ?? null,
    })),
  };
};

/**
 * The partner leaderboard (operators only), per partner × currency:
 * at asOf (the range's latest snapshot day) `tenants` = the partner's
 * billed tenants (active or paused), `mrr` = Σ mrr, `pausedMrr` =
 * Σ paused_mrr; `payouts` = Σ billing_payouts.amount of the months from
 * from's month to to's month, whatever their state; `rank` within the
 * currency by MRR descending, ties by partner name. A partner with payouts
 * in the range but no tenant at asOf is listed; directly sold tenants are
 * no partner and left out. Ordered by currency, rank.
 */
export const partnersReport: ReportRunner = async (knex, query) => {
  const columns: ReportColumn[] = [
    { key: 'rank', title: 'Rank', kind: 'count' },
    { key: 'partner', title: 'Partner', kind: 'text' },
    CURRENCY,
    { key: 'tenants', title: 'Tenants', kind: 'count' },
    money('mrr', 'MRR'),
    money('pausedMrr', 'Paused MRR'),
    money('payouts', 'Payouts in range'),
  ];
  const days = await daysInRange(knex, query);
  const asOf = days.length ? days[days.length - 1] : undefined;
  const live = asOf
    ? ((await snapshots(knex, query)
        .where('s.day', asOf)
        .whereIn('s.status', BILLED)
        .whereNotNull('s.currency')
        .whereNotNull('s.partner_ref')
        .select('s.partner_ref', 's.currency')
        .count({ tenants: '*' })
        .sum({ mrr: 's.mrr', pausedMrr: 's.paused_mrr' })
        .groupBy('s.partner_ref', 's.currency')) as Array<
        Record<string, unknown>
      >)
    : [];
  const payouts = knex('billing_payouts as p').whereBetween('p.month', [
    query.from.slice(0, 7),
    query.to.slice(0, 7),
  ]);
  // a payout has a partner and no tenant
  applyReportScope(
    payouts,
    { ...query, scope: query.scope && partnerOnly(query.scope) },
    { partnerRef: 'p.partner_ref', tenantRef: 'p.partner_ref' },
  );
  if (query.currency) payouts.where('p.currency', query.currency);
  const paid = (await payouts
    .select('p.partner_ref', 'p.currency')
    .sum({ payouts: 'p.amount' })
    .groupBy('p.partner_ref', 'p.currency')) as Array<Record<string, unknown>>;

  const byKey = new Map<string, Record<string, ReportCell>>();
  const row = (partnerRef: string, currency: string) => {
    const ref = normalizeScopeRef(partnerRef);
    const key = `${ref}|${currency}`;
    let r = byKey.get(key);
    if (!r) {
      r = {
        rank: 0,
        partner: partnerName(ref),
        currency,
        tenants: 0,
        mrr: 0,
        pausedMrr: 0,
        payouts: 0,
      };
      byKey.set(key, r);
    }
    return r;
  };
  // (a ref stored in another case would be a second group: added up here)
  const add = (r: Record<string, ReportCell>, key: string, value: unknown) => {
    r[key] = whole(big(r[key]) + big(whole(value)));
  };
  for (const l of live) {
    const r = row(String(l.partner_ref), String(l.currency));
    for (const key of ['tenants', 'mrr', 'pausedMrr']) add(r, key, l[key]);
  }
  for (const p of paid) {
    add(row(String(p.partner_ref), String(p.currency)), 'payouts', p.payouts);
  }
  const rows = [...byKey.values()].sort((a, b) => {
    if (a.currency !== b.currency) {
      return String(a.currency) < String(b.currency) ? -1 : 1;
    }
    const ma = big(a.mrr);
    const mb = big(b.mrr);
    if (ma !== mb) return ma > mb ? -1 : 1;
    if (a.partner === b.partner) return 0;
    return String(a.partner) < String(b.partner) ? -1 : 1;
  });
  let currency: ReportCell = null;
  let rank = 0;
  for (const r of rows) {
    if (r.currency !== currency) {
      currency = r.currency;
      rank = 0;
    }
    r.rank = ++rank;
  }
  const body: ReportBody = { columns, rows };
  return asOf ? { asOf, ...body } : body;
};
