import { createRouteRef } from '@backstage/frontend-plugin-api';

/** The Billing page (filters in the query string: condition, page, pageSize). */
export const billingRouteRef = createRouteRef();
/** The Prices page: the price catalog. */
export const pricesRouteRef = createRouteRef();
/** The Reports page (the report and its filters in the query string: report, from, to, partner, currency, interval, by, limit). */
export const reportsRouteRef = createRouteRef();
