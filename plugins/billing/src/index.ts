/**
 * Billing in the portal: the Billing page (whether Stripe is connected,
 * MRR per currency with paused MRR apart, the tenants' billing with their
 * condition, filtered and paged in the URL; for operators Sync now,
 * Reconcile all now and the webhook events received), the Prices page (the
 * price catalog with each price's re-pricing and history; operators add
 * prices and edit amounts after seeing the impact), the Billing tabs on
 * Tenant pages (subscription, Stripe ids, invoices) and Partner pages (MRR
 * of its tenants, their invoices), and the API they read through.
 *
 * @packageDocumentation
 */
export { billingPlugin as default } from './plugin';
export { billingRouteRef, pricesRouteRef, reportsRouteRef } from './routes';
export { billingApiRef, BillingClient } from './api';
export type {
  BillingApi,
  ListInvoicesFilters,
  ListPayoutsFilters,
  ListPricesFilters,
  ListStripeEventsFilters,
  ListTenantBillingFilters,
  PageFilters,
  PayoutGeneration,
  PayoutPaid,
  PriceUpdate,
} from './api';
export { ConditionChip } from './components/chips';
