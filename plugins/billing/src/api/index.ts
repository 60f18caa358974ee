export { billingApiRef } from './BillingApi';
export type { PayoutGeneration } from '@internal/plugin-billing-common';
export type {
  BillingApi,
  ListInvoicesFilters,
  ListPayoutsFilters,
  ListPricesFilters,
  ListStripeEventsFilters,
  ListTenantBillingFilters,
  PageFilters,
  PayoutPaid,
  PriceUpdate,
} from './BillingApi';
export {
  BillingClient,
  errorMessage,
  isConflict,
  isNotFound,
} from './BillingClient';
