import { ResponseError } from '@backstage/errors';
import {
  MrrReport,
  MrrTotal,
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
} from '../api';

/** A BillingApi whose every method is a jest mock: an empty catalog, no tenants, no MRR. */
export function fakeBillingApi(overrides: Partial<BillingApi> = {}) {
  const api: jest.Mocked<BillingApi> = {
    listPrices: jest.fn<Promise<PriceList>, [ListPricesFilters?]>(async () => ({
      items: [],
    })),
    getPrice: jest.fn<Promise<PriceDetail>, [string]>(async id => ({
      ...aPrice({ id }),
      history: [],
    })),
    createPrice: jest.fn<Promise<Price>, [NewPrice]>(async price =>
      aPrice({ ...price, id: 'new-price' }),
    ),
    updatePrice: jest.fn<Promise<Price>, [string, PriceUpdate]>(
      async (id, update) =>
        aPrice({
          id,
          perSeatAmount: update.perSeatAmount,
          version: update.version + 1,
        }),
    ),
    listTenants: jest.fn<
      Promise<TenantBillingList>,
      [ListTenantBillingFilters?]
    >(async () => ({ items: [], total: 0 })),
    getTenant: jest.fn<Promise<TenantBilling>, [string]>(async name =>
      aTenantBilling({ tenant: name, tenantRef: `tenant:default/${name}` }),
    ),
    mrr: jest.fn<Promise<MrrReport>, []>(async () => anMrrReport()),
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
