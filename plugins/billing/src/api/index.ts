export { billingApiRef } from './BillingApi';
export type {
  BillingApi,
  ListInvoicesFilters,
  ListPricesFilters,
  ListStripeEventsFilters,
  ListTenantBillingFilters,
  PageFilters,
  PriceUpdate,
} from './BillingApi';
export {
  BillingClient,
  errorMessage,
  isConflict,
  isNotFound,
} from './BillingClient';
