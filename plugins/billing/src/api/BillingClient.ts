import { hasStatus } from '@internal/plugin-dezky-react';
import { ResponseError } from '@backstage/errors';
import { DiscoveryApi, FetchApi } from '@backstage/frontend-plugin-api';
import {
  MrrReport,
  NewPrice,
  Price,
  PriceDetail,
  PriceList,
  TenantBilling,
  TenantBillingList,
} from '@internal/plugin-billing-common';
import {
  BillingApi,
  ListPricesFilters,
  ListTenantBillingFilters,
  PriceUpdate,
} from './BillingApi';

const withQuery = (path: string, query: URLSearchParams) => {
  const search = query.toString();
  return search ? `${path}?${search}` : path;
};

/** Talks to the billing backend with the signed-in user's token. */
export class BillingClient implements BillingApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
  }

  async listPrices(filters: ListPricesFilters = {}): Promise<PriceList> {
    const query = new URLSearchParams();
    if (filters.plan) query.set('plan', filters.plan);
    if (filters.currency) query.set('currency', filters.currency);
    if (filters.cycle) query.set('cycle', filters.cycle);
    const res = await this.request(withQuery('/prices', query));
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

  async updatePrice(id: string, update: PriceUpdate): Promise<Price> {
    const res = await this.request(
      `/prices/${encodeURIComponent(id)}`,
      this.json('PATCH', {
        perSeatAmount: update.perSeatAmount,
        version: update.version,
      }),
    );
    return (await res.json()) as Price;
  }

  async listTenants(
    filters: ListTenantBillingFilters = {},
  ): Promise<TenantBillingList> {
    const query = new URLSearchParams();
    if (filters.condition) query.set('condition', filters.condition);
    if (filters.limit !== undefined) query.set('limit', String(filters.limit));
    if (filters.offset !== undefined) {
      query.set('offset', String(filters.offset));
    }
    const res = await this.request(withQuery('/tenants', query));
    return (await res.json()) as TenantBillingList;
  }

  async getTenant(name: string): Promise<TenantBilling> {
    const res = await this.request(`/tenants/${encodeURIComponent(name)}`);
    return (await res.json()) as TenantBilling;
  }

  async mrr(): Promise<MrrReport> {
    const res = await this.request('/mrr');
    return (await res.json()) as MrrReport;
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
