import { createApiRef } from '@backstage/frontend-plugin-api';
import {
  BillingConditionKind,
  BillingCycle,
  BillingStatus,
  Invoice,
  InvoiceList,
  MrrReport,
  NewPrice,
  NewSavedReport,
  Payout,
  PayoutGeneration,
  PayoutList,
  PayoutState,
  Price,
  PriceDetail,
  PriceImpact,
  PriceList,
  ReconcileSummary,
  ReportFilters,
  ReportId,
  ReportResult,
  SavedReport,
  SavedReportList,
  StripeEventList,
  TenantBilling,
  TenantBillingList,
} from '@internal/plugin-billing-common';

/** What `GET /prices` narrows the catalog to. */
export interface ListPricesFilters {
  plan?: string;
  currency?: string;
  cycle?: BillingCycle;
}

/** Which page of a list the server pages. */
export interface PageFilters {
  /** 1 to 200; the server's default is 50. */
  limit?: number;
  offset?: number;
}

/** What `GET /tenants` narrows the list to, and which page of it. */
export interface ListTenantBillingFilters extends PageFilters {
  condition?: BillingConditionKind;
}

/** What `GET /invoices` narrows the invoices to (within the caller's partner), and which page. */
export interface ListInvoicesFilters extends PageFilters {
  /** A Partner entity's `metadata.name`. */
  partner?: string;
  /** A Tenant entity's `metadata.name`. */
  tenant?: string;
  status?: Invoice['status'];
}

/** What `GET /stripe/events` narrows the received webhook events to, and which page. */
export interface ListStripeEventsFilters extends PageFilters {
  /** A Stripe event type, e.g. `invoice.paid`. */
  type?: string;
}

/** What `GET /payouts` narrows the ledger to (within the caller's partners), and which page. */
export interface ListPayoutsFilters extends PageFilters {
  /** A Partner entity's `metadata.name`. */
  partner?: string;
  /** YYYY-MM. */
  month?: string;
  /** ISO 4217. */
  currency?: string;
  state?: PayoutState;
}

/** How a payout was paid: the transfer's reference and its day. */
export interface PayoutPaid {
  reference: string;
  /** YYYY-MM-DD. */
  paidOn: string;
}

/** A price edit: the new amount and the version it was made on. */
export interface PriceUpdate {
  /** Minor units. */
  perSeatAmount: number;
  /** The version on screen; 409 when another edit came first. */
  version: number;
}

/**
 * The billing backend as the portal uses it. Every method rejects with a
 * `ResponseError` (from `@backstage/errors`) when the server refuses.
 */
export interface BillingApi {
  /** The price catalog by plan, currency, cycle (GET /prices). */
  listPrices(filters?: ListPricesFilters): Promise<PriceList>;
  /** A price row with its earlier versions (GET /prices/:id); 404 when unknown. */
  getPrice(id: string): Promise<PriceDetail>;
  /** Adds a price row, version 1 (POST /prices); 409 when the plan has that currency and cycle, 403 for partner staff. */
  createPrice(price: NewPrice): Promise<Price>;
  /**
   * What changing the row's amount to `perSeatAmount` would change: the live
   * subscriptions it moves and their MRR before and after, per currency
   * (GET /prices/:id/impact); 403 for partner staff.
   */
  priceImpact(id: string, perSeatAmount: number): Promise<PriceImpact>;
  /**
   * A new version of the row's amount, with the re-pricing of the
   * subscriptions it moved (PATCH /prices/:id); 409 when `version` is no
   * longer current, 403 for partner staff.
   */
  updatePrice(id: string, update: PriceUpdate): Promise<PriceDetail>;
  /** One page of the tenants' billing the caller may see (GET /tenants). */
  listTenants(filters?: ListTenantBillingFilters): Promise<TenantBillingList>;
  /** One tenant's billing (GET /tenants/:name); 404 when not billed yet, or not the caller's to see. */
  getTenant(name: string): Promise<TenantBilling>;
  /**
   * Compares the tenant's billing with Stripe now and fixes what differs;
   * the tenant's billing after (POST /tenants/:name/sync); 403 for partner staff.
   */
  syncTenant(name: string): Promise<TenantBilling>;
  /** Runs the billing reconcile over every tenant now (POST /reconcile); 403 for partner staff. */
  reconcile(): Promise<ReconcileSummary>;
  /** One page of a tenant's invoices, newest first (GET /tenants/:name/invoices); 404 when not the caller's to see. */
  listTenantInvoices(name: string, page?: PageFilters): Promise<InvoiceList>;
  /** One page of the invoices the caller may see (GET /invoices). */
  listInvoices(filters?: ListInvoicesFilters): Promise<InvoiceList>;
  /** One page of the Stripe webhook events received (GET /stripe/events); 403 for partner staff. */
  listStripeEvents(filters?: ListStripeEventsFilters): Promise<StripeEventList>;
  /** MRR per currency: total, per partner, direct (GET /mrr). */
  mrr(): Promise<MrrReport>;
  /** Whether billing makes live Stripe calls, and why (not) (GET /status). */
  status(): Promise<BillingStatus>;
  /**
   * A report's columns and rows (GET /reports/:report); partner staff get
   * their partners' rows, and a 403 for operator reports.
   */
  report(id: ReportId, filters?: ReportFilters): Promise<ReportResult>;
  /** Saves the same report's rows as CSV (GET /reports/:report.csv), fetched with the user's token. */
  downloadReportCsv(id: ReportId, filters?: ReportFilters): Promise<void>;
  /** The saved reports the caller may see: their partner's and the operators' (GET /reports/saved). */
  savedReports(): Promise<SavedReportList>;
  /** Saves a report with its filters under a name (POST /reports/saved). */
  saveReport(report: NewSavedReport): Promise<SavedReport>;
  /** Deletes a saved report (DELETE /reports/saved/:id); 403 for an operators' one asked by partner staff. */
  deleteSavedReport(id: string): Promise<void>;
  /** One page of the payout ledger the caller may see (GET /payouts). */
  payouts(filters?: ListPayoutsFilters): Promise<PayoutList>;
  /** Saves the payouts matching the filters as CSV, every page (GET /payouts.csv). */
  downloadPayoutsCsv(
    filters?: Omit<ListPayoutsFilters, keyof PageFilters>,
  ): Promise<void>;
  /**
   * Generates a month's payouts (the current one by default), closing the
   * months that ended (POST /payouts/generate); 403 for partner staff, 409
   * when the month has no MRR snapshot.
   */
  generatePayouts(month?: string): Promise<PayoutGeneration>;
  /**
   * Marks a closed payout paid (POST /payouts/:id/paid); 409 for an open or
   * a paid one, 403 for partner staff.
   */
  markPayoutPaid(id: string, paid: PayoutPaid): Promise<Payout>;
}

/** The billing API, implemented by {@link BillingClient}. */
export const billingApiRef = createApiRef<BillingApi>().with({
  id: 'plugin.billing.client',
  pluginId: 'billing',
});
