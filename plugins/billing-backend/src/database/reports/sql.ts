import { Knex } from 'knex';
import { applyReportScope } from './scope';
import { ReportQuery } from './types';

/*
 * What the reports over the MRR history share (docs/reports.md): the
 * snapshot days of a range (billing_snapshot_days: at most one row per day,
 * no partner or tenant in it), the caller's snapshot rows, and the sums and
 * counts as numbers.
 */

/** Every snapshot day within [from, to], oldest first. */
export async function daysInRange(
  knex: Knex,
  query: ReportQuery,
): Promise<string[]> {
  const rows = (await knex('billing_snapshot_days')
    .whereBetween('day', [query.from, query.to])
    .orderBy('day')
    .select('day')) as Array<{ day: string }>;
  return rows.map(r => r.day);
}

/**
 * Each month's final snapshot day within [from, to] (the latest snapshot
 * day of that month within the range), oldest first.
 */
export async function finalDaysInRange(
  knex: Knex,
  query: ReportQuery,
): Promise<string[]> {
  const rows = (await knex('billing_snapshot_days')
    .whereBetween('day', [query.from, query.to])
    .groupByRaw('substr(day, 1, 7)')
    .max({ day: 'day' })) as Array<{ day: string }>;
  return rows.map(r => r.day).sort();
}

/**
 * The snapshot rows (billing_mrr_snapshots as `s`) the caller may see, with
 * the partner and currency filters.
 */
export function snapshots(knex: Knex, query: ReportQuery) {
  const q = knex('billing_mrr_snapshots as s');
  applyReportScope(q, query, {
    partnerRef: 's.partner_ref',
    tenantRef: 's.tenant_ref',
  });
  if (query.currency) q.where('s.currency', query.currency);
  return q;
}

/**
 * A sum or count as the driver returns it (PostgreSQL: a string for bigint
 * and numeric) → a number when exactly representable, else its digits.
 */
export function whole(value: unknown): number | string {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'number') return value;
  const exact = BigInt(String(value));
  const n = Number(exact);
  return Number.isSafeInteger(n) ? n : exact.toString();
}
