import { createApiRef } from '@backstage/frontend-plugin-api';
import {
  BillingConditionKind,
  BillingCycle,
  MrrReport,
  NewPrice,
  Price,
  PriceDetail,
  PriceList,
  TenantBilling,
  TenantBillingList,
} from '@internal/plugin-billing-common';

/** What `GET /prices` narrows the catalog to. */
export interface ListPricesFilters {
  plan?: string;
  currency?: string;
  cycle?: BillingCycle;
}

/** What `GET /tenants` narrows the list to, and which page of it. */
export interface ListTenantBillingFilters {
  condition?: BillingConditionKind;
  /** 1 to 200; the server's default is 50. */
  limit?: number;
  offset?: number;
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
  /** A new version of the row's amount (PATCH /prices/:id); 409 when `version` is no longer current, 403 for partner staff. */
  updatePrice(id: string, update: PriceUpdate): Promise<Price>;
  /** One page of the tenants' billing the caller may see (GET /tenants). */
  listTenants(filters?: ListTenantBillingFilters): Promise<TenantBillingList>;
  /** One tenant's billing (GET /tenants/:name); 404 when not billed yet, or not the caller's to see. */
  getTenant(name: string): Promise<TenantBilling>;
  /** MRR per currency: total, per partner, direct (GET /mrr). */
  mrr(): Promise<MrrReport>;
}

/** The billing API, implemented by {@link BillingClient}. */
export const billingApiRef = createApiRef<BillingApi>().with({
  id: 'plugin.billing.client',
  pluginId: 'billing',
});
