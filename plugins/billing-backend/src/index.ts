/**
 * The billing backend (docs/billing.md).
 *
 * @packageDocumentation
 */
export { billingPlugin as default } from './plugin';

// for scripts/bench/billing, which drives the production classes directly
export { StripeEventStore } from './database/StripeEventStore';
export { TenantBillingStore } from './database/TenantBillingStore';
export { WebhookService } from './service/WebhookService';
export type { WebhookReceipt } from './service/WebhookService';
export { connectStripe, STRIPE_API_VERSION } from './service/stripeClient';
export { applyLifecycleEvent } from './service/tenantBilling';
export type { BillingContext, BillingRecord } from './service/tenantBilling';

// for scripts/bench/reports: the reports and payout generation, driven directly
export { MrrHistoryStore, writeTotals } from './database/MrrHistoryStore';
export { PayoutStore } from './database/PayoutStore';
export { PayoutService } from './service/PayoutService';
export type { PartnerTerms } from './service/payouts';
export { ReportService } from './service/ReportService';
