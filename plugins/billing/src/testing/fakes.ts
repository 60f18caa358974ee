import { ResponseError } from '@backstage/errors';
import {
  BillingStatus,
  Invoice,
  InvoiceList,
  MrrReport,
  MrrTotal,
  NewPrice,
  NewSavedReport,
  Payout,
  PayoutList,
  Price,
  PriceDetail,
  PriceImpact,
  PriceList,
  ReconcileSummary,
  ReportFilters,
  ReportId,
  ReportResult,
  REPORT_TITLES,
  RepricingOutcome,
  SavedReport,
  SavedReportList,
  StripeEventList,
  StripeEventRecord,
  TenantBilling,
  TenantBillingList,
} from '@internal/plugin-billing-common';
import {
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
} from '../api';

/**
 * A BillingApi whose every method is a jest mock: an empty catalog, no
 * tenants, no MRR, no invoices, no webhook events, Stripe not connected;
 * an edit moves nothing, a sync finds the tenant in sync; every report
 * without rows, no saved reports, no payouts; a generation creates nothing,
 * marking paid answers the payout paid; downloads save nothing.
 */
export function fakeBillingApi(overrides: Partial<BillingApi> = {}) {
  const api: jest.Mocked<BillingApi> = {
    listPrices: jest.fn<Promise<PriceList>, [ListPricesFilters?]>(async () => ({
      items: [],
    })),
    getPrice: jest.fn<Promise<PriceDetail>, [string]>(async id => ({
      ...aPrice({ id }),
      history: [],
      repricing: [],
    })),
    priceImpact: jest.fn<Promise<PriceImpact>, [string, number]>(
      async (id, perSeatAmount) =>
        aPriceImpact({ priceId: id, newPerSeatAmount: perSeatAmount }),
    ),
    createPrice: jest.fn<Promise<Price>, [NewPrice]>(async price =>
      aPrice({ ...price, id: 'new-price' }),
    ),
    updatePrice: jest.fn<Promise<PriceDetail>, [string, PriceUpdate]>(
      async (id, update) => ({
        ...aPrice({
          id,
          perSeatAmount: update.perSeatAmount,
          version: update.version + 1,
        }),
        history: [],
        repricing: [],
      }),
    ),
    listTenants: jest.fn<
      Promise<TenantBillingList>,
      [ListTenantBillingFilters?]
    >(async () => ({ items: [], total: 0 })),
    getTenant: jest.fn<Promise<TenantBilling>, [string]>(async name =>
      aTenantBilling({ tenant: name, tenantRef: `tenant:default/${name}` }),
    ),
    syncTenant: jest.fn<Promise<TenantBilling>, [string]>(async name =>
      aTenantBilling({ tenant: name, tenantRef: `tenant:default/${name}` }),
    ),
    reconcile: jest.fn<Promise<ReconcileSummary>, []>(async () => ({
      tenants: 0,
      inSync: 0,
      outOfSync: 0,
      repricingMoved: 0,
      repricingFailed: 0,
    })),
    listTenantInvoices: jest.fn<Promise<InvoiceList>, [string, PageFilters?]>(
      async () => ({ items: [], total: 0 }),
    ),
    listInvoices: jest.fn<Promise<InvoiceList>, [ListInvoicesFilters?]>(
      async () => ({ items: [], total: 0 }),
    ),
    listStripeEvents: jest.fn<
      Promise<StripeEventList>,
      [ListStripeEventsFilters?]
    >(async () => ({ items: [], total: 0 })),
    mrr: jest.fn<Promise<MrrReport>, []>(async () => anMrrReport()),
    status: jest.fn<Promise<BillingStatus>, []>(async () => aBillingStatus()),
    report: jest.fn<Promise<ReportResult>, [ReportId, ReportFilters?]>(
      async (id, filters = {}) =>
        aReportResult({
          report: id,
          title: REPORT_TITLES[id],
          ...(filters.from ? { from: filters.from } : {}),
          ...(filters.to ? { to: filters.to } : {}),
        }),
    ),
    downloadReportCsv: jest.fn<Promise<void>, [ReportId, ReportFilters?]>(
      async () => undefined,
    ),
    savedReports: jest.fn<Promise<SavedReportList>, []>(async () => ({
      items: [],
    })),
    saveReport: jest.fn<Promise<SavedReport>, [NewSavedReport]>(async report =>
      aSavedReport({
        id: 'new-saved-report',
        name: report.name,
        report: report.report,
        filters: report.filters,
      }),
    ),
    deleteSavedReport: jest.fn<Promise<void>, [string]>(async () => undefined),
    payouts: jest.fn<Promise<PayoutList>, [ListPayoutsFilters?]>(async () => ({
      items: [],
      total: 0,
    })),
    downloadPayoutsCsv: jest.fn<
      Promise<void>,
      [Omit<ListPayoutsFilters, keyof PageFilters>?]
    >(async () => undefined),
    generatePayouts: jest.fn<Promise<PayoutGeneration>, [string?]>(
      async month => ({
        month: month ?? '2026-12',
        snapshotDay: '2026-12-09',
        closedMonths: [],
        created: 0,
        changed: 0,
        closed: 0,
      }),
    ),
    markPayoutPaid: jest.fn<Promise<Payout>, [string, PayoutPaid]>(
      async (id, paid) =>
        aPayout({
          id,
          state: 'paid',
          paidOn: paid.paidOn,
          paidReference: paid.reference,
          paidBy: 'user:default/anna.schmidt',
        }),
    ),
  };
  Object.assign(api, overrides);
  return api;
}

/** A price row: business, EUR, monthly, 11.90 per seat, version 1, unless told otherwise. */
export function aPrice(partial: Partial<Price> = {}): Price {
  return {
    id: '6f1c3b0e-8a7d-4f5e-9b2a-1c3d5e7f9a0b',
    plan: 'business',
    currency: 'EUR',
    cycle: 'monthly',
    perSeatAmount: 1190,
    version: 1,
    createdAt: '2026-12-01T09:00:00.000Z',
    updatedAt: '2026-12-01T09:00:00.000Z',
    updatedBy: 'user:default/anna.schmidt',
    ...partial,
  };
}

/** The impact of an edit of the business EUR price from 11.90 to 12.50 on nothing, unless told otherwise. */
export function aPriceImpact(partial: Partial<PriceImpact> = {}): PriceImpact {
  return {
    priceId: '6f1c3b0e-8a7d-4f5e-9b2a-1c3d5e7f9a0b',
    version: 1,
    perSeatAmount: 1190,
    newPerSeatAmount: 1250,
    subscriptions: 0,
    perCurrency: [],
    ...partial,
  };
}

/** acme moved from version 1 to 2 of the business EUR price at the first attempt, unless told otherwise. */
export function aRepricingOutcome(
  partial: Partial<RepricingOutcome> = {},
): RepricingOutcome {
  return {
    priceId: '6f1c3b0e-8a7d-4f5e-9b2a-1c3d5e7f9a0b',
    fromVersion: 1,
    toVersion: 2,
    tenant: 'acme',
    tenantRef: 'tenant:default/acme',
    subscriptionId: 'sub_acme',
    outcome: 'moved',
    attempts: 1,
    updatedAt: '2026-12-08T10:00:00.000Z',
    ...partial,
  };
}

/** Stripe not connected (no key), unless told otherwise. */
export function aBillingStatus(
  stripe: Partial<BillingStatus['stripe']> = {},
): BillingStatus {
  return {
    stripe: {
      connected: false,
      livemode: false,
      message: 'Stripe is not connected: billing.stripe.enabled is false',
      ...stripe,
    },
    flag: 'billing-engine',
  };
}

/** acme's paid EUR invoice of 119.00 for December 2026, finalized, unless told otherwise. */
export function anInvoice(partial: Partial<Invoice> = {}): Invoice {
  return {
    id: 'in_acme_2026_12',
    tenant: 'acme',
    tenantRef: 'tenant:default/acme',
    customerId: 'cus_acme',
    subscriptionId: 'sub_acme',
    number: 'ACME-0001',
    status: 'paid',
    currency: 'EUR',
    total: 11_900,
    amountDue: 11_900,
    amountPaid: 11_900,
    amountRemaining: 0,
    periodStart: '2026-12-01T00:00:00.000Z',
    periodEnd: '2027-01-01T00:00:00.000Z',
    dueDate: '2026-12-15T00:00:00.000Z',
    hostedInvoiceUrl: 'https://invoice.stripe.test/i/acme_0001',
    invoicePdf: 'https://invoice.stripe.test/i/acme_0001/pdf',
    billingReason: 'subscription_cycle',
    createdAt: '2026-12-01T00:00:00.000Z',
    updatedAt: '2026-12-01T01:00:00.000Z',
    ...partial,
  };
}

/** An applied invoice.paid event for acme, unless told otherwise. */
export function aStripeEvent(
  partial: Partial<StripeEventRecord> = {},
): StripeEventRecord {
  return {
    id: 'evt_1',
    type: 'invoice.paid',
    objectId: 'in_acme_2026_12',
    tenantRef: 'tenant:default/acme',
    createdAt: '2026-12-01T01:00:00.000Z',
    receivedAt: '2026-12-01T01:00:02.000Z',
    outcome: 'applied',
    ...partial,
  };
}

/** A tenant's billing: acme, 10 seats of business at 11.90 € monthly, active and in sync, unless told otherwise. */
export function aTenantBilling(
  partial: Partial<TenantBilling> = {},
): TenantBilling {
  return {
    tenant: 'acme',
    tenantRef: 'tenant:default/acme',
    plan: 'business',
    seats: 10,
    currency: 'EUR',
    cycle: 'monthly',
    priceId: '6f1c3b0e-8a7d-4f5e-9b2a-1c3d5e7f9a0b',
    priceVersion: 1,
    perSeatAmount: 1190,
    status: 'active',
    mrr: 11_900,
    pausedMrr: 0,
    condition: {
      kind: 'in-sync',
      message: 'The subscription record matches the price catalog.',
      since: '2026-12-01T09:00:00.000Z',
    },
    updatedAt: '2026-12-01T09:00:00.000Z',
    ...partial,
  };
}

/** MRR of one currency: nothing, unless told otherwise. */
export function anMrrTotal(partial: Partial<MrrTotal> = {}): MrrTotal {
  return {
    currency: 'EUR',
    mrr: 0,
    pausedMrr: 0,
    subscriptions: 0,
    ...partial,
  };
}

/** An MRR report: the totals given, no partners, nothing direct. */
export function anMrrReport(
  total: MrrTotal[] = [],
  partial: Partial<MrrReport> = {},
): MrrReport {
  return { total, partners: [], direct: [], ...partial };
}

/** A report's answer: MRR over 2026 with no rows, unless told otherwise. */
export function aReportResult(
  partial: Partial<ReportResult> = {},
): ReportResult {
  return {
    report: 'mrr',
    title: REPORT_TITLES.mrr,
    from: '2026-01-01',
    to: '2026-12-09',
    columns: [
      { key: 'period', title: 'Month', kind: 'month' },
      { key: 'currency', title: 'Currency', kind: 'text' },
      { key: 'mrr', title: 'MRR', kind: 'money', currencyKey: 'currency' },
      {
        key: 'pausedMrr',
        title: 'Paused MRR',
        kind: 'money',
        currencyKey: 'currency',
      },
      { key: 'tenants', title: 'Tenants', kind: 'count' },
    ],
    rows: [],
    ...partial,
  };
}

/** A report saved by an operator for everyone: "EUR in 2026", MRR in EUR, unless told otherwise. */
export function aSavedReport(partial: Partial<SavedReport> = {}): SavedReport {
  return {
    id: '0b6f1c3e-5d7a-4f5e-9b2a-1c3d5e7f9a0b',
    name: 'EUR in 2026',
    report: 'mrr',
    filters: { from: '2026-01-01', to: '2026-12-31', currency: 'EUR' },
    createdBy: 'user:default/anna.schmidt',
    createdAt: '2026-12-09T10:00:00.000Z',
    ...partial,
  };
}

/** nordlicht-it's closed EUR payout for November 2026: 12.5 % of 1,190.00 € = 148.75 €, unless told otherwise. */
export function aPayout(partial: Partial<Payout> = {}): Payout {
  return {
    id: '7d2e4c1a-9b3f-4e5d-8a6c-2b1d3e5f7a9c',
    partnerRef: 'partner:default/nordlicht-it',
    month: '2026-11',
    currency: 'EUR',
    grossMrr: 119_000,
    marginPct: '12.5',
    amount: 14_875,
    state: 'closed',
    snapshotDay: '2026-11-30',
    generatedAt: '2026-12-01T00:05:00.000Z',
    closedAt: '2026-12-01T00:05:00.000Z',
    ...partial,
  };
}

/** The ResponseError the client throws for a refusal with a JSON body. */
export function responseError(status: number, message: string, name = 'Error') {
  return ResponseError.fromResponse(
    new Response(
      JSON.stringify({
        error: { name, message },
        response: { statusCode: status },
      }),
      {
        status,
        statusText: String(status),
        headers: { 'content-type': 'application/json' },
      },
    ),
  );
}

/** A promise with its resolve and reject at hand. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
