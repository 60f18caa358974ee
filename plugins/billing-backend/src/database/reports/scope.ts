import { applyPartnerScope } from '@internal/plugin-dezky-node';
import { Knex } from 'knex';
import { ReportQuery } from './types';

/**
 * Restricts a report query to the rows the caller may see and the partner
 * filter, in SQL: `partnerRef` and `tenantRef` name the columns (qualified,
 * e.g. `s.partner_ref`). Every report query goes through here.
 */
export function applyReportScope<T extends Knex.QueryBuilder>(
  q: T,
  query: Pick<ReportQuery, 'scope' | 'partnerRef'>,
  columns: { partnerRef: string; tenantRef: string },
): T {
  if (query.scope) applyPartnerScope(q, query.scope, columns);
  if (query.partnerRef === null) q.whereNull(columns.partnerRef);
  else if (query.partnerRef) q.where(columns.partnerRef, query.partnerRef);
  return q;
}
