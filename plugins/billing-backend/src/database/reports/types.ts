import { ReportColumn, ReportCell } from '@internal/plugin-billing-common';
import { Knex } from 'knex';
import { BillingScope } from '../../service/TenantBillingService';

/**
 * What a report's SQL gets (docs/reports.md): the resolved filters and the
 * caller's partner scope. Every query applies both with
 * {@link applyReportScope}, in SQL.
 */
export interface ReportQuery {
  /** First and last day of the range, YYYY-MM-DD (UTC), from ≤ to. */
  from: string;
  to: string;
  /** Today (UTC), YYYY-MM-DD: a range's end is never later. */
  today: string;
  /** The caller's partner scope; undefined: every tenant (operators). */
  scope: BillingScope;
  /**
   * The partner filter: a partner's lower-case entity ref, `null` for
   * directly sold tenants only, undefined for all the caller may see.
   */
  partnerRef?: string | null;
  /** Only this currency. */
  currency?: string;
  interval: 'month' | 'day';
  by: 'mrr' | 'seats';
  limit: number;
}

/** What a report's SQL answers (the service adds id, title and range). */
export interface ReportBody {
  asOf?: string;
  columns: ReportColumn[];
  rows: Array<Record<string, ReportCell>>;
}

export type ReportRunner = (
  knex: Knex,
  query: ReportQuery,
) => Promise<ReportBody>;
