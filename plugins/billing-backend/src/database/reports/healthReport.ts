import { ReportColumn } from '@internal/plugin-billing-common';
import { finalDaysInRange, snapshots, whole } from './sql';
import { ReportRunner } from './types';

const COLUMNS: ReportColumn[] = [
  { key: 'month', title: 'Month', kind: 'month' },
  { key: 'day', title: 'Snapshot of', kind: 'day' },
  { key: 'health', title: 'Health', kind: 'text' },
  { key: 'currency', title: 'Currency', kind: 'text' },
  { key: 'tenants', title: 'Tenants', kind: 'count' },
  { key: 'mrr', title: 'MRR', kind: 'money', currencyKey: 'currency' },
  {
    key: 'pausedMrr',
    title: 'Paused MRR',
    kind: 'money',
    currencyKey: 'currency',
  },
];

/** The snapshot's health; anything but ok, warn or bad (NULL: never computed) is `unknown`. */
const HEALTH = `CASE WHEN s.health IN ('ok', 'warn', 'bad') THEN s.health ELSE 'unknown' END`;
/** ok, warn, bad, unknown. */
const HEALTH_ORDER = `CASE WHEN s.health = 'ok' THEN 0 WHEN s.health = 'warn' THEN 1 WHEN s.health = 'bad' THEN 2 ELSE 3 END`;

/**
 * Health cohorts (docs/reports.md#health): tenants by their health in the
 * MRR history.
 *
 * One group per month that has a snapshot day in [from, to], from that
 * month's final snapshot in the range (the latest snapshot day of the
 * month within [from, to]; `day` says which). Over that snapshot's rows of
 * tenants not terminated (`lifecycle` ≠ `terminated`), grouped by `health`
 * (the tenant's health when the snapshot was taken: `ok`, `warn`, `bad`,
 * or `unknown` when it had none) and `currency` (null for tenants without
 * a subscription currency): `tenants` = their number, `mrr` = Σ mrr (active
 * subscriptions), `pausedMrr` = Σ paused_mrr, in that currency's minor
 * units. The partner and currency filters and the caller's partner scope
 * apply to the rows (a currency filter leaves out tenants without one).
 * Ordered by month, health (ok, warn, bad, unknown), currency (none last).
 * `asOf`: the range's latest snapshot day.
 */
export const healthReport: ReportRunner = async (knex, query) => {
  const days = await finalDaysInRange(knex, query);
  if (!days.length) return { columns: COLUMNS, rows: [] };
  const rows = (await snapshots(knex, query)
    .whereIn('s.day', days)
    .whereNot('s.lifecycle', 'terminated')
    .select('s.day', 's.currency', knex.raw(`${HEALTH} AS health`))
    .count({ tenants: '*' })
    .sum({ mrr: 's.mrr', pausedMrr: 's.paused_mrr' })
    .groupBy('s.day', 's.currency')
    .groupByRaw(HEALTH)
    .orderBy('s.day')
    .orderByRaw(`MIN(${HEALTH_ORDER})`)
    .orderByRaw('CASE WHEN s.currency IS NULL THEN 1 ELSE 0 END')
    .orderBy('s.currency')) as Array<Record<string, unknown>>;
  return {
    asOf: days[days.length - 1],
    columns: COLUMNS,
    rows: rows.map(r => ({
      month: String(r.day).slice(0, 7),
      day: String(r.day),
      health: String(r.health),
      currency: r.currency === null ? null : String(r.currency),
      tenants: whole(r.tenants),
      mrr: whole(r.mrr),
      pausedMrr: whole(r.pausedMrr),
    })),
  };
};
