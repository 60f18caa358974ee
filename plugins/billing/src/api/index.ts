export { billingApiRef } from './BillingApi';
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
} from './BillingApi';
export {
  BillingClient,
  errorMessage,
  isConflict,
  isNotFound,
} from './BillingClient';
