/**
 * Reports (docs/reports.md): every report answers one shape — typed
 * columns, rows and the range it covers — so that one table, one CSV
 * writer and one set of filters serve them all; each page draws its own
 * chart from the rows.
 *
 * Money is never summed across currencies: every row that holds an amount
 * has a `currency` cell, and every money column names that cell.
 */

/** The reports, by the id in `GET /api/billing/reports/:report`. */
export type ReportId =
  | 'mrr'
  | 'revenue-by-plan'
  | 'top-tenants'
  | 'growth'
  | 'cohorts'
  | 'health'
  | 'partners';

/** The reports in the order the Reports page shows them. */
export const REPORT_IDS: readonly ReportId[] = [
  'mrr',
  'revenue-by-plan',
  'top-tenants',
  'growth',
  'cohorts',
  'health',
  'partners',
];

/** Reports only operators may run (every other one is partner-scoped). */
export const OPERATOR_REPORTS: readonly ReportId[] = ['partners'];

/** A report's title, as the page and the CSV file name show it. */
export const REPORT_TITLES: Record<ReportId, string> = {
  mrr: 'MRR over time',
  'revenue-by-plan': 'Revenue by plan',
  'top-tenants': 'Top tenants',
  growth: 'Growth',
  cohorts: 'Signup and churn cohorts',
  health: 'Health cohorts',
  partners: 'Partner leaderboard',
};

/**
 * A tenant's health (docs/reports.md#health): the worst of its provisioning
 * phase, its billing condition and the status of the integrations it uses.
 */
export type TenantHealth = 'ok' | 'warn' | 'bad';

/** Best first. */
export const TENANT_HEALTHS: readonly TenantHealth[] = ['ok', 'warn', 'bad'];

/**
 * How a column's cells read:
 * - `text`, `month` (YYYY-MM), `day` (YYYY-MM-DD): strings;
 * - `count`: a whole number (tenants, seats);
 * - `money`: whole minor units of the currency in the row's `currencyKey` cell;
 * - `percent`: a number from 0 to 100 (at most two decimals).
 */
export type ReportColumnKind =
  | 'text'
  | 'month'
  | 'day'
  | 'count'
  | 'money'
  | 'percent';

export interface ReportColumn {
  /** The row key (and the CSV header). */
  key: string;
  /** The table header. */
  title: string;
  kind: ReportColumnKind;
  /** `money` columns: the key of the row's currency cell (usually `currency`). */
  currencyKey?: string;
}

export type ReportCell = string | number | null;

/** The filters every report takes (query parameters). */
export interface ReportFilters {
  /** First day of the range, YYYY-MM-DD (UTC). Default: the first day of the month 11 months ago. */
  from?: string;
  /** Last day of the range, YYYY-MM-DD (UTC). Default: today. */
  to?: string;
  /** Operators: one partner's tenants (its name, e.g. `nord`); `direct` for directly sold ones. */
  partner?: string;
  /** Only rows in this currency (ISO 4217). */
  currency?: string;
  /** `mrr`: one point per `month` (its last snapshot; the default) or per `day`. */
  interval?: 'month' | 'day';
  /** `top-tenants`: rank by `mrr` (per currency; the default) or by `seats`. */
  by?: 'mrr' | 'seats';
  /** `top-tenants`: how many (per currency when by MRR); default 10, at most 100. */
  limit?: number;
}

/** `GET /api/billing/reports/:report` (`.csv`: the same rows, the columns' keys as header). */
export interface ReportResult {
  report: ReportId;
  title: string;
  /** The range applied, YYYY-MM-DD. */
  from: string;
  to: string;
  /** The snapshot day the "as of" figures come from (the range's last one), if any. */
  asOf?: string;
  columns: ReportColumn[];
  rows: Array<Record<string, ReportCell>>;
}

/** A report saved with its filters (`/api/billing/reports/saved`). */
export interface SavedReport {
  id: string;
  name: string;
  report: ReportId;
  filters: ReportFilters;
  /**
   * The partner it was saved for (its staff see it); absent: saved by an
   * operator for everyone.
   */
  partnerRef?: string;
  createdBy: string;
  createdAt: string;
}

/** `POST /api/billing/reports/saved`. */
export interface NewSavedReport {
  name: string;
  report: ReportId;
  filters: ReportFilters;
  /** Partner staff of several partners: which one (its name); operators leave it out. */
  partner?: string;
}

export interface SavedReportList {
  items: SavedReport[];
}
