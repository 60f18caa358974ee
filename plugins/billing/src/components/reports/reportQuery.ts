/*
 * The Reports page's view in the URL (which report, its range and filters)
 * and the API filters it makes. Only what differs from a default is in the
 * URL, so a saved or shared link without a range keeps meaning "the last 12
 * months" whenever it is opened.
 */
import {
  isCurrency,
  REPORT_IDS,
  ReportFilters,
  ReportId,
} from '@internal/plugin-billing-common';
import { dayOf, isDay } from '../days';

/** What the server takes as a partner filter: a Partner's name, or `direct`. */
export const PARTNER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** The partner filter's value for tenants sold directly. */
export const DIRECT = 'direct';

/** How many top tenants the page offers; the first is the server's default. */
export const TOP_LIMITS = [10, 5, 25, 50, 100] as const;

/** What the page shows. `from`/`to` are `''` for the default range. */
export interface ReportView {
  report: ReportId;
  from: string;
  to: string;
  /** `''`: every partner the user may see. */
  partner: string;
  /** `''`: every currency. */
  currency: string;
  interval: 'month' | 'day';
  by: 'mrr' | 'seats';
  limit: number;
}

/**
 * The range a report covers when the URL names none, as the server's own
 * default: the last 12 months — from the first day of the month 11 months
 * before `today`'s to `today` (UTC).
 */
export function defaultRange(today: Date): { from: string; to: string } {
  const first = new Date(
    Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - 11, 1),
  );
  return { from: dayOf(first), to: dayOf(today) };
}

/** The view of a URL query; a value the page does not know is no filter (or the default). */
export function readReportView(params: URLSearchParams): ReportView {
  const get = (name: string) => params.get(name) ?? '';
  const report = get('report') as ReportId;
  const from = get('from');
  const to = get('to');
  const partner = get('partner');
  const currency = get('currency');
  const limit = Number(get('limit'));
  return {
    report: REPORT_IDS.includes(report) ? report : REPORT_IDS[0],
    from: isDay(from) ? from : '',
    to: isDay(to) ? to : '',
    partner: PARTNER_NAME.test(partner) ? partner : '',
    currency: isCurrency(currency) ? currency : '',
    interval: get('interval') === 'day' ? 'day' : 'month',
    by: get('by') === 'seats' ? 'seats' : 'mrr',
    limit: (TOP_LIMITS as readonly number[]).includes(limit)
      ? limit
      : TOP_LIMITS[0],
  };
}

/** The filters a report takes, of those in the view (the others would mean nothing to it). */
function ownFilters(view: ReportView): Record<string, string> {
  return {
    from: view.from,
    to: view.to,
    partner: view.partner,
    currency: view.currency,
    interval:
      view.report === 'mrr' && view.interval !== 'month' ? view.interval : '',
    by: view.report === 'top-tenants' && view.by !== 'mrr' ? view.by : '',
    limit:
      view.report === 'top-tenants' && view.limit !== TOP_LIMITS[0]
        ? String(view.limit)
        : '',
  };
}

/**
 * The URL query of a view: the report (unless the first) and the filters
 * that differ from their default and mean something to it; other
 * parameters kept.
 */
export function reportViewParams(
  view: ReportView,
  previous: URLSearchParams,
): URLSearchParams {
  const next = new URLSearchParams(previous);
  const values: Record<string, string> = {
    report: view.report !== REPORT_IDS[0] ? view.report : '',
    ...ownFilters(view),
  };
  for (const [param, value] of Object.entries(values)) {
    if (value) next.set(param, value);
    else next.delete(param);
  }
  return next;
}

/**
 * The filters as a saved report keeps them: those the user chose (no
 * default range, so that the saved report keeps covering the last 12
 * months).
 */
export function savedFilters(view: ReportView): ReportFilters {
  const own = ownFilters(view);
  return {
    ...(own.from ? { from: own.from } : {}),
    ...(own.to ? { to: own.to } : {}),
    ...(own.partner ? { partner: own.partner } : {}),
    ...(own.currency ? { currency: own.currency } : {}),
    ...(own.interval ? { interval: view.interval } : {}),
    ...(own.by ? { by: view.by } : {}),
    ...(own.limit ? { limit: view.limit } : {}),
  };
}

/** The view a saved report opens: its report and filters, the rest default. */
export function viewOfSaved(
  report: ReportId,
  filters: ReportFilters,
): ReportView {
  const params = new URLSearchParams({ report });
  for (const [key, value] of Object.entries(filters)) {
    if (value !== undefined && value !== null) params.set(key, String(value));
  }
  return readReportView(params);
}

/**
 * The API filters of a view on `today`: the range always given (the
 * default one when the URL has none, so that the chart, the table and the
 * CSV cover the same days), the rest only when chosen.
 */
export function reportFilters(
  view: ReportView,
  today: Date,
): ReportFilters & { from: string; to: string } {
  const range = defaultRange(today);
  return {
    ...savedFilters(view),
    from: view.from || range.from,
    to: view.to || range.to,
  };
}
