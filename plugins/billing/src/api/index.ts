export { billingApiRef } from './BillingApi';
export type {
  BillingApi,
  ListPricesFilters,
  ListTenantBillingFilters,
  PriceUpdate,
} from './BillingApi';
export {
  BillingClient,
  errorMessage,
  isConflict,
  isNotFound,
} from './BillingClient';
