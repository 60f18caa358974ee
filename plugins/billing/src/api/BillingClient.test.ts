import { ResponseError } from '@backstage/errors';
import {
  BillingClient,
  errorMessage,
  isConflict,
  isNotFound,
} from './BillingClient';

describe('BillingClient', () => {
  const discoveryApi = {
    getBaseUrl: jest.fn(async (id: string) => `http://backend/api/${id}`),
  };
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json' },
    });
  const refusal = (status: number, name: string, message: string) =>
    json(status, {
      error: { name, message },
      response: { statusCode: status },
    });
  const send = (method: string, body: object) => ({
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

  it('lists prices without a query when no filter is given, and with every filter given', async () => {
    const list = { items: [{ id: 'p1', plan: 'business' }] };
    const fetch = jest.fn(async () => json(200, list));
    const client = new BillingClient({ discoveryApi, fetchApi: { fetch } });

    await expect(client.listPrices()).resolves.toEqual(list);
    expect(discoveryApi.getBaseUrl).toHaveBeenCalledWith('billing');
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/billing/prices',
      undefined,
    );
    await client.listPrices({
      plan: 'business',
      currency: 'EUR',
      cycle: 'yearly',
    });
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/billing/prices?plan=business&currency=EUR&cycle=yearly',
      undefined,
    );
  });

  it('reads a price with its history', async () => {
    const detail = { id: 'a/b', version: 2, history: [{ version: 1 }] };
    const fetch = jest.fn(async () => json(200, detail));
    const client = new BillingClient({ discoveryApi, fetchApi: { fetch } });
    await expect(client.getPrice('a/b')).resolves.toEqual(detail);
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/billing/prices/a%2Fb',
      undefined,
    );
  });

  it('creates a price and edits one with the version it was made on, as JSON', async () => {
    const price = { id: 'p1', perSeatAmount: 1190, version: 1 };
    const fetch = jest.fn(async () => json(200, price));
    const client = new BillingClient({ discoveryApi, fetchApi: { fetch } });

    const created = {
      plan: 'business',
      currency: 'EUR',
      cycle: 'monthly' as const,
      perSeatAmount: 1190,
    };
    await expect(client.createPrice(created)).resolves.toEqual(price);
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/billing/prices',
      send('POST', created),
    );
    await client.updatePrice('p1', { perSeatAmount: 1250, version: 3 });
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/billing/prices/p1',
      send('PATCH', { perSeatAmount: 1250, version: 3 }),
    );
  });

  it('puts the condition and the page in the tenants query', async () => {
    const list = { items: [{ tenant: 'acme' }], total: 1 };
    const fetch = jest.fn(async () => json(200, list));
    const client = new BillingClient({ discoveryApi, fetchApi: { fetch } });

    await expect(client.listTenants()).resolves.toEqual(list);
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/billing/tenants',
      undefined,
    );
    await client.listTenants({
      condition: 'payment-failed',
      limit: 20,
      offset: 40,
    });
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/billing/tenants?condition=payment-failed&limit=20&offset=40',
      undefined,
    );
    // offset 0 is a value, not an absent one
    await client.listTenants({ offset: 0 });
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/billing/tenants?offset=0',
      undefined,
    );
  });

  it('reads a tenant and the MRR report', async () => {
    const tenant = { tenant: 'a b', mrr: 0 };
    const report = { total: [], partners: [], direct: [] };
    const fetch = jest.fn(async (input: RequestInfo | URL) =>
      json(200, String(input).endsWith('/mrr') ? report : tenant),
    );
    const client = new BillingClient({ discoveryApi, fetchApi: { fetch } });

    await expect(client.getTenant('a b')).resolves.toEqual(tenant);
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/billing/tenants/a%20b',
      undefined,
    );
    await expect(client.mrr()).resolves.toEqual(report);
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/billing/mrr',
      undefined,
    );
  });

  it("rejects an edit another edit came before, with the server's reason", async () => {
    const fetch = jest.fn(async () =>
      refusal(
        409,
        'ConflictError',
        'price p1 is at version 4, not 3: reload and edit again',
      ),
    );
    const client = new BillingClient({ discoveryApi, fetchApi: { fetch } });
    const error = await client
      .updatePrice('p1', { perSeatAmount: 1, version: 3 })
      .catch(e => e);
    expect(ResponseError.is(error)).toBe(true);
    expect(error.statusCode).toBe(409);
    expect(isConflict(error)).toBe(true);
    expect(errorMessage(error)).toBe(
      'price p1 is at version 4, not 3: reload and edit again',
    );
  });

  it('turns a refusal into a ResponseError with the server message, and tells a 404 apart', async () => {
    const fetch = jest.fn(async () =>
      refusal(403, 'NotAllowedError', 'Not allowed: billing.price.manage'),
    );
    const client = new BillingClient({ discoveryApi, fetchApi: { fetch } });
    const refused = await client
      .createPrice({
        plan: 'x',
        currency: 'EUR',
        cycle: 'monthly',
        perSeatAmount: 1,
      })
      .catch(e => e);
    expect(refused.statusCode).toBe(403);
    expect(errorMessage(refused)).toBe('Not allowed: billing.price.manage');
    expect(isNotFound(refused)).toBe(false);
    expect(isConflict(refused)).toBe(false);

    fetch.mockImplementation(async () =>
      refusal(404, 'NotFoundError', 'No billing for tenant nobody'),
    );
    const missing = await client.getTenant('nobody').catch(e => e);
    expect(isNotFound(missing)).toBe(true);
    expect(errorMessage(missing)).toBe('No billing for tenant nobody');
    expect(isNotFound(new Error('x'))).toBe(false);
  });
});
