/*
 * The Billing page's view in the URL (condition, page, page size) and the
 * API filters it makes.
 */
import { SERVER_PAGE_SIZES } from '@internal/plugin-dezky-react';
import {
  BILLING_CONDITION_KINDS,
  BillingConditionKind,
} from '@internal/plugin-billing-common';
import { ListTenantBillingFilters } from '../api';

/** The rows per page the table offers (the first is the default): the shared server-paged table's. */
export const PAGE_SIZES = SERVER_PAGE_SIZES;

/** What the page shows; `''` is no filter. `page` counts from 0 (from 1 in the URL). */
export interface BillingView {
  condition: BillingConditionKind | '';
  page: number;
  pageSize: number;
}

/** The view of a URL query; a value the page does not know is no filter. */
export function readView(params: URLSearchParams): BillingView {
  const condition = params.get('condition');
  const page = Number(params.get('page'));
  const pageSize = Number(params.get('pageSize'));
  return {
    condition: BILLING_CONDITION_KINDS.includes(
      condition as BillingConditionKind,
    )
      ? (condition as BillingConditionKind)
      : '',
    page: Number.isInteger(page) && page > 1 ? page - 1 : 0,
    pageSize: (PAGE_SIZES as readonly number[]).includes(pageSize)
      ? pageSize
      : PAGE_SIZES[0],
  };
}

/** The URL query of a view: only what differs from the default, other parameters kept. */
export function viewParams(
  view: BillingView,
  previous: URLSearchParams,
): URLSearchParams {
  const next = new URLSearchParams(previous);
  const values: Record<string, string> = {
    condition: view.condition,
    page: view.page > 0 ? String(view.page + 1) : '',
    pageSize: view.pageSize !== PAGE_SIZES[0] ? String(view.pageSize) : '',
  };
  for (const [param, value] of Object.entries(values)) {
    if (value) next.set(param, value);
    else next.delete(param);
  }
  return next;
}

/** The API filters of a view: the page as limit and offset. */
export function viewFilters(view: BillingView): ListTenantBillingFilters {
  return {
    ...(view.condition ? { condition: view.condition } : {}),
    limit: view.pageSize,
    offset: view.page * view.pageSize,
  };
}
