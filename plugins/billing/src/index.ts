/**
 * Billing in the portal: the Billing page (that Stripe is not connected
 * yet, MRR per currency with paused MRR apart, the tenants' billing with
 * their condition, filtered and paged in the URL), the Prices page (the
 * price catalog; operators add and edit prices), the Billing tab on Tenant
 * pages, and the API they read through.
 *
 * @packageDocumentation
 */
export { billingPlugin as default } from './plugin';
export { billingRouteRef, pricesRouteRef } from './routes';
export { billingApiRef, BillingClient } from './api';
export type {
  BillingApi,
  ListInvoicesFilters,
  ListPricesFilters,
  ListStripeEventsFilters,
  ListTenantBillingFilters,
  PageFilters,
  PriceUpdate,
} from './api';
export { ConditionChip } from './components/chips';
