import {
  attachmentFileName,
  hasStatus,
  saveFile,
} from '@internal/plugin-dezky-react';
import { ResponseError } from '@backstage/errors';
import { DiscoveryApi, FetchApi } from '@backstage/frontend-plugin-api';
import {
  BillingStatus,
  InvoiceList,
  MrrReport,
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
  SavedReport,
  SavedReportList,
  StripeEventList,
  TenantBilling,
  TenantBillingList,
  PayoutGeneration,
} from '@internal/plugin-billing-common';
import {
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

/**
 * `path?a=1&b=2` with the parameters that have a value, in the order
 * given (0 is a value, `undefined` and `''` are not); `path` without any.
 */
const withQuery = (
  path: string,
  params: Record<string, string | number | undefined>,
) => {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') query.set(name, String(value));
  }
  const search = query.toString();
  return search ? `${path}?${search}` : path;
};

const pageParams = (page: PageFilters) => ({
  limit: page.limit,
  offset: page.offset,
});

/** A report's query parameters, in the order the API documents them. */
const reportParams = (filters: ReportFilters) => ({
  from: filters.from,
  to: filters.to,
  partner: filters.partner,
  currency: filters.currency,
  interval: filters.interval,
  by: filters.by,
  limit: filters.limit,
});

/** The payout ledger's filters as query parameters (without the page). */
const payoutParams = (filters: ListPayoutsFilters) => ({
  partner: filters.partner,
  month: filters.month,
  currency: filters.currency,
  state: filters.state,
});

const CSV: RequestInit = { headers: { accept: 'text/csv' } };

/** Talks to the billing backend with the signed-in user's token. */
export class BillingClient implements BillingApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
  }

  async listPrices(filters: ListPricesFilters = {}): Promise<PriceList> {
    const res = await this.request(
      withQuery('/prices', {
        plan: filters.plan,
        currency: filters.currency,
        cycle: filters.cycle,
      }),
    );
    return (await res.json()) as PriceList;
  }

  async getPrice(id: string): Promise<PriceDetail> {
    const res = await this.request(`/prices/${encodeURIComponent(id)}`);
    return (await res.json()) as PriceDetail;
  }

  async createPrice(price: NewPrice): Promise<Price> {
    const res = await this.request('/prices', this.json('POST', price));
    return (await res.json()) as Price;
  }

  async priceImpact(id: string, perSeatAmount: number): Promise<PriceImpact> {
    const res = await this.request(
      withQuery(`/prices/${encodeURIComponent(id)}/impact`, { perSeatAmount }),
    );
    return (await res.json()) as PriceImpact;
  }

  async updatePrice(id: string, update: PriceUpdate): Promise<PriceDetail> {
    const res = await this.request(
      `/prices/${encodeURIComponent(id)}`,
      this.json('PATCH', {
        perSeatAmount: update.perSeatAmount,
        version: update.version,
      }),
    );
    return (await res.json()) as PriceDetail;
  }

  async listTenants(
    filters: ListTenantBillingFilters = {},
  ): Promise<TenantBillingList> {
    const res = await this.request(
      withQuery('/tenants', {
        condition: filters.condition,
        ...pageParams(filters),
      }),
    );
    return (await res.json()) as TenantBillingList;
  }

  async getTenant(name: string): Promise<TenantBilling> {
    const res = await this.request(`/tenants/${encodeURIComponent(name)}`);
    return (await res.json()) as TenantBilling;
  }

  async syncTenant(name: string): Promise<TenantBilling> {
    const res = await this.request(
      `/tenants/${encodeURIComponent(name)}/sync`,
      { method: 'POST' },
    );
    return (await res.json()) as TenantBilling;
  }

  async reconcile(): Promise<ReconcileSummary> {
    const res = await this.request('/reconcile', { method: 'POST' });
    return (await res.json()) as ReconcileSummary;
  }

  async listTenantInvoices(
    name: string,
    page: PageFilters = {},
  ): Promise<InvoiceList> {
    const res = await this.request(
      withQuery(
        `/tenants/${encodeURIComponent(name)}/invoices`,
        pageParams(page),
      ),
    );
    return (await res.json()) as InvoiceList;
  }

  async listInvoices(filters: ListInvoicesFilters = {}): Promise<InvoiceList> {
    const res = await this.request(
      withQuery('/invoices', {
        partner: filters.partner,
        tenant: filters.tenant,
        status: filters.status,
        ...pageParams(filters),
      }),
    );
    return (await res.json()) as InvoiceList;
  }

  async listStripeEvents(
    filters: ListStripeEventsFilters = {},
  ): Promise<StripeEventList> {
    const res = await this.request(
      withQuery('/stripe/events', {
        type: filters.type,
        ...pageParams(filters),
      }),
    );
    return (await res.json()) as StripeEventList;
  }

  async mrr(): Promise<MrrReport> {
    const res = await this.request('/mrr');
    return (await res.json()) as MrrReport;
  }

  async status(): Promise<BillingStatus> {
    const res = await this.request('/status');
    return (await res.json()) as BillingStatus;
  }

  async report(
    id: ReportId,
    filters: ReportFilters = {},
  ): Promise<ReportResult> {
    const res = await this.request(
      withQuery(`/reports/${encodeURIComponent(id)}`, reportParams(filters)),
    );
    return (await res.json()) as ReportResult;
  }

  async downloadReportCsv(
    id: ReportId,
    filters: ReportFilters = {},
  ): Promise<void> {
    const res = await this.request(
      withQuery(
        `/reports/${encodeURIComponent(id)}.csv`,
        reportParams(filters),
      ),
      CSV,
    );
    saveFile(await res.blob(), attachmentFileName(res, `${id}.csv`));
  }

  async savedReports(): Promise<SavedReportList> {
    const res = await this.request('/reports/saved');
    return (await res.json()) as SavedReportList;
  }

  async saveReport(report: NewSavedReport): Promise<SavedReport> {
    const res = await this.request(
      '/reports/saved',
      this.json('POST', {
        name: report.name,
        report: report.report,
        filters: report.filters,
        ...(report.partner ? { partner: report.partner } : {}),
      }),
    );
    return (await res.json()) as SavedReport;
  }

  async deleteSavedReport(id: string): Promise<void> {
    await this.request(`/reports/saved/${encodeURIComponent(id)}`, {
      method: 'DELETE',
    });
  }

  async payouts(filters: ListPayoutsFilters = {}): Promise<PayoutList> {
    const res = await this.request(
      withQuery('/payouts', {
        ...payoutParams(filters),
        ...pageParams(filters),
      }),
    );
    return (await res.json()) as PayoutList;
  }

  async downloadPayoutsCsv(
    filters: Omit<ListPayoutsFilters, keyof PageFilters> = {},
  ): Promise<void> {
    const res = await this.request(
      withQuery('/payouts.csv', payoutParams(filters)),
      CSV,
    );
    saveFile(await res.blob(), attachmentFileName(res, 'payouts.csv'));
  }

  async generatePayouts(month?: string): Promise<PayoutGeneration> {
    const res = await this.request(
      '/payouts/generate',
      this.json('POST', month ? { month } : {}),
    );
    return (await res.json()) as PayoutGeneration;
  }

  async markPayoutPaid(id: string, paid: PayoutPaid): Promise<Payout> {
    const res = await this.request(
      `/payouts/${encodeURIComponent(id)}/paid`,
      this.json('POST', { reference: paid.reference, paidOn: paid.paidOn }),
    );
    return (await res.json()) as Payout;
  }

  private json(method: string, body: object): RequestInit {
    return {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    };
  }

  private async request(path: string, init?: RequestInit): Promise<Response> {
    const base = await this.discoveryApi.getBaseUrl('billing');
    const res = await this.fetchApi.fetch(`${base}${path}`, init);
    if (!res.ok) {
      throw await ResponseError.fromResponse(res);
    }
    return res;
  }
}

/** True for the server's 404: not billed yet, or not the caller's to see. */
export const isNotFound = (error: unknown): boolean => hasStatus(error, 404);

/** True for the server's 409: another edit came first, or the row exists already. */
export const isConflict = (error: unknown): boolean => hasStatus(error, 409);

/** What to show for a failed call (the server's own message when it sent one). */
export { errorMessage } from '@internal/plugin-dezky-react';
