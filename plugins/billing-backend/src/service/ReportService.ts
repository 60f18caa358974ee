import { NotAllowedError, NotFoundError } from '@backstage/errors';
import { InputError } from '@backstage/errors';
import {
  OPERATOR_REPORTS,
  REPORT_TITLES,
  ReportFilters,
  ReportId,
  ReportResult,
} from '@internal/plugin-billing-common';
import { normalizeScopeRef } from '@internal/plugin-dezky-node';
import { Knex } from 'knex';
import { REPORT_RUNNERS } from '../database/reports';
import { ReportQuery, ReportRunner } from '../database/reports/types';
import { dayOf } from './payouts';
import { BillingScope } from './TenantBillingService';

/** The longest range with one point per day. */
export const MAX_DAILY_DAYS = 731;

/** The default range: the first day of the month 11 months before `today`, to `today`. */
export function defaultFrom(today: string): string {
  const [y, m] = today.split('-').map(Number);
  const first = new Date(Date.UTC(y, m - 1 - 11, 1));
  return dayOf(first);
}

const daysBetween = (from: string, to: string) =>
  Math.round(
    (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) /
      86_400_000,
  );

/**
 * The reports (docs/reports.md): resolves the filters (defaults, the range
 * clamped to today), refuses operator-only reports to a partner-scoped
 * caller, and runs the report's SQL with the caller's scope.
 */
export class ReportService {
  constructor(
    private readonly deps: {
      knex: Knex;
      runners?: Partial<Record<ReportId, ReportRunner>>;
      now?: () => Date;
    },
  ) {}

  private today() {
    return dayOf(this.deps.now?.() ?? new Date());
  }

  /** The filters as the report's SQL takes them; 400 for a range that cannot be. */
  resolve(filters: ReportFilters, scope: BillingScope): ReportQuery {
    const today = this.today();
    const to = !filters.to || filters.to > today ? today : filters.to;
    const from = filters.from ?? defaultFrom(to);
    if (from > to) {
      throw new InputError(
        `from (${from}) must not be after to (${to}${
          filters.to && filters.to > today ? ', today' : ''
        })`,
      );
    }
    const interval = filters.interval ?? 'month';
    if (interval === 'day' && daysBetween(from, to) + 1 > MAX_DAILY_DAYS) {
      throw new InputError(
        `a range of one point per day may be at most ${MAX_DAILY_DAYS} days long; choose interval=month or a shorter range`,
      );
    }
    let partnerRef: string | null | undefined;
    if (filters.partner === 'direct') partnerRef = null;
    else if (filters.partner) {
      partnerRef = normalizeScopeRef(`partner:default/${filters.partner}`);
    }
    return {
      from,
      to,
      today,
      scope,
      ...(partnerRef !== undefined ? { partnerRef } : {}),
      ...(filters.currency ? { currency: filters.currency } : {}),
      interval,
      by: filters.by ?? 'mrr',
      limit: filters.limit ?? 10,
    };
  }

  async run(
    report: ReportId,
    filters: ReportFilters,
    scope: BillingScope,
  ): Promise<ReportResult> {
    if (OPERATOR_REPORTS.includes(report) && scope !== undefined) {
      throw new NotAllowedError(
        `the ${REPORT_TITLES[report]} report compares every partner: operators only`,
      );
    }
    const query = this.resolve(filters, scope);
    const runner = (this.deps.runners ?? REPORT_RUNNERS)[report];
    if (!runner) {
      throw new NotFoundError(
        `the ${REPORT_TITLES[report]} report is not built yet`,
      );
    }
    const body = await runner(this.deps.knex, query);
    return {
      report,
      title: REPORT_TITLES[report],
      from: query.from,
      to: query.to,
      ...body,
    };
  }
}
