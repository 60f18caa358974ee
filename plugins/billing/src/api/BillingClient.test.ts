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

  it('asks for the impact of an amount, and takes the edit’s re-pricing back', async () => {
    const impact = { priceId: 'a/b', subscriptions: 2, perCurrency: [] };
    const detail = { id: 'a/b', version: 4, history: [], repricing: [] };
    const fetch = jest.fn(
      async (_input: RequestInfo | URL, init?: RequestInit) =>
        json(200, init?.method === 'PATCH' ? detail : impact),
    );
    const client = new BillingClient({ discoveryApi, fetchApi: { fetch } });

    await expect(client.priceImpact('a/b', 1250)).resolves.toEqual(impact);
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/billing/prices/a%2Fb/impact?perSeatAmount=1250',
      undefined,
    );
    // 0 is an amount
    await client.priceImpact('p1', 0);
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/billing/prices/p1/impact?perSeatAmount=0',
      undefined,
    );
    await expect(
      client.updatePrice('a/b', { perSeatAmount: 1250, version: 3 }),
    ).resolves.toEqual(detail);
  });

  it('syncs a tenant and reconciles all with a POST', async () => {
    const tenant = { tenant: 'a b', condition: { kind: 'in-sync' } };
    const summary = { tenants: 3, inSync: 3, outOfSync: 0 };
    const fetch = jest.fn(async (input: RequestInfo | URL) =>
      json(200, String(input).endsWith('/reconcile') ? summary : tenant),
    );
    const client = new BillingClient({ discoveryApi, fetchApi: { fetch } });

    await expect(client.syncTenant('a b')).resolves.toEqual(tenant);
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/billing/tenants/a%20b/sync',
      { method: 'POST' },
    );
    await expect(client.reconcile()).resolves.toEqual(summary);
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/billing/reconcile',
      { method: 'POST' },
    );
  });

  it('pages a tenant’s invoices, and filters the invoices by partner, tenant and status', async () => {
    const list = { items: [{ id: 'in_1' }], total: 1 };
    const fetch = jest.fn(async () => json(200, list));
    const client = new BillingClient({ discoveryApi, fetchApi: { fetch } });

    await expect(client.listTenantInvoices('a b')).resolves.toEqual(list);
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/billing/tenants/a%20b/invoices',
      undefined,
    );
    await client.listTenantInvoices('acme', { limit: 20, offset: 0 });
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/billing/tenants/acme/invoices?limit=20&offset=0',
      undefined,
    );

    await expect(client.listInvoices()).resolves.toEqual(list);
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/billing/invoices',
      undefined,
    );
    await client.listInvoices({
      partner: 'nordlicht-it',
      tenant: 'acme',
      status: 'open',
      limit: 50,
      offset: 100,
    });
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/billing/invoices?partner=nordlicht-it&tenant=acme&status=open&limit=50&offset=100',
      undefined,
    );
  });

  it('pages the webhook events, by type, and reads the status', async () => {
    const events = { items: [{ id: 'evt_1' }], total: 1 };
    const status = { stripe: { connected: false }, flag: 'billing-engine' };
    const fetch = jest.fn(async (input: RequestInfo | URL) =>
      json(200, String(input).endsWith('/status') ? status : events),
    );
    const client = new BillingClient({ discoveryApi, fetchApi: { fetch } });

    await expect(client.listStripeEvents()).resolves.toEqual(events);
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/billing/stripe/events',
      undefined,
    );
    await client.listStripeEvents({
      type: 'invoice.paid',
      limit: 20,
      offset: 20,
    });
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/billing/stripe/events?type=invoice.paid&limit=20&offset=20',
      undefined,
    );
    await expect(client.status()).resolves.toEqual(status);
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/billing/status',
      undefined,
    );
  });

  it('runs a report with its filters in the documented order, and without a query when none', async () => {
    const result = { report: 'mrr', columns: [], rows: [] };
    const fetch = jest.fn(async () => json(200, result));
    const client = new BillingClient({ discoveryApi, fetchApi: { fetch } });
    await expect(client.report('mrr')).resolves.toEqual(result);
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/billing/reports/mrr',
      undefined,
    );
    await client.report('top-tenants', {
      limit: 25,
      by: 'seats',
      currency: 'CHF',
      partner: 'nordlicht-it',
      to: '2026-12-09',
      from: '2026-01-01',
      interval: 'day',
    });
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/billing/reports/top-tenants?from=2026-01-01&to=2026-12-09&partner=nordlicht-it&currency=CHF&interval=day&by=seats&limit=25',
      undefined,
    );
    await client.report('revenue-by-plan', { partner: 'direct' });
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/billing/reports/revenue-by-plan?partner=direct',
      undefined,
    );
  });

  describe('CSV downloads', () => {
    let saved: Array<{ name: string; href: string; text: Promise<string> }>;
    let click: jest.SpyInstance;
    beforeEach(() => {
      saved = [];
      const blobs = new Map<string, Blob>();
      Object.assign(URL, {
        createObjectURL: jest.fn((blob: Blob) => {
          const url = `blob:${blobs.size}`;
          blobs.set(url, blob);
          return url;
        }),
        revokeObjectURL: jest.fn(),
      });
      click = jest
        .spyOn(HTMLAnchorElement.prototype, 'click')
        .mockImplementation(function save(this: HTMLAnchorElement) {
          saved.push({
            name: this.download,
            href: this.href,
            text: blobs.get(this.href)!.text(),
          });
        });
    });
    afterEach(() => click.mockRestore());

    const csv = (body: string, filename?: string) =>
      new Response(body, {
        status: 200,
        headers: {
          'content-type': 'text/csv; charset=utf-8',
          ...(filename
            ? { 'content-disposition': `attachment; filename="${filename}"` }
            : {}),
        },
      });

    it('fetches a report’s CSV with the user’s fetch (the token) and saves it under the server’s name', async () => {
      const fetch = jest.fn(async () =>
        csv(
          'period,currency,mrr\r\n2026-11,EUR,1190\r\n',
          'mrr-2026-01-01-2026-12-09.csv',
        ),
      );
      const client = new BillingClient({ discoveryApi, fetchApi: { fetch } });
      await client.downloadReportCsv('mrr', {
        from: '2026-01-01',
        to: '2026-12-09',
        currency: 'EUR',
      });
      expect(fetch).toHaveBeenLastCalledWith(
        'http://backend/api/billing/reports/mrr.csv?from=2026-01-01&to=2026-12-09&currency=EUR',
        { headers: { accept: 'text/csv' } },
      );
      expect(saved.map(f => f.name)).toEqual(['mrr-2026-01-01-2026-12-09.csv']);
      await expect(saved[0].text).resolves.toBe(
        'period,currency,mrr\r\n2026-11,EUR,1190\r\n',
      );
    });

    it('names the file after the report or the ledger when the server gives no name', async () => {
      const fetch = jest.fn(async () => csv('x\r\n'));
      const client = new BillingClient({ discoveryApi, fetchApi: { fetch } });
      await client.downloadReportCsv('growth');
      expect(fetch).toHaveBeenLastCalledWith(
        'http://backend/api/billing/reports/growth.csv',
        { headers: { accept: 'text/csv' } },
      );
      await client.downloadPayoutsCsv();
      expect(fetch).toHaveBeenLastCalledWith(
        'http://backend/api/billing/payouts.csv',
        { headers: { accept: 'text/csv' } },
      );
      expect(saved.map(f => f.name)).toEqual(['growth.csv', 'payouts.csv']);
    });

    it('puts the ledger’s filters in the payouts CSV query, never a page', async () => {
      const fetch = jest.fn(async () => csv('id\r\n', 'payouts-2026-11.csv'));
      const client = new BillingClient({ discoveryApi, fetchApi: { fetch } });
      await client.downloadPayoutsCsv({
        partner: 'nordlicht-it',
        month: '2026-11',
        currency: 'EUR',
        state: 'closed',
        ...({ limit: 20, offset: 40 } as object),
      });
      expect(fetch).toHaveBeenLastCalledWith(
        'http://backend/api/billing/payouts.csv?partner=nordlicht-it&month=2026-11&currency=EUR&state=closed',
        { headers: { accept: 'text/csv' } },
      );
      expect(saved.map(f => f.name)).toEqual(['payouts-2026-11.csv']);
    });

    it('saves nothing when the server refuses the CSV, and rejects with its reason', async () => {
      const fetch = jest.fn(async () =>
        refusal(
          403,
          'NotAllowedError',
          'the Partner leaderboard report compares every partner: operators only',
        ),
      );
      const client = new BillingClient({ discoveryApi, fetchApi: { fetch } });
      const error = await client.downloadReportCsv('partners').catch(e => e);
      expect(error.statusCode).toBe(403);
      expect(errorMessage(error)).toBe(
        'the Partner leaderboard report compares every partner: operators only',
      );
      expect(saved).toEqual([]);
    });
  });

  it('lists, saves and deletes saved reports', async () => {
    const report = {
      id: '0b6f1c3e-1111-4f5e-9b2a-1c3d5e7f9a0b',
      name: 'EUR this year',
      report: 'mrr',
      filters: { currency: 'EUR' },
      createdBy: 'user:default/anna',
      createdAt: '2026-12-09T10:00:00.000Z',
    };
    const fetch = jest.fn(
      async (_input: RequestInfo | URL, init?: RequestInit) => {
        if (init?.method === 'DELETE')
          return new Response(null, { status: 204 });
        return json(
          init?.method === 'POST' ? 201 : 200,
          init?.method === 'POST' ? report : { items: [report] },
        );
      },
    );
    const client = new BillingClient({ discoveryApi, fetchApi: { fetch } });
    await expect(client.savedReports()).resolves.toEqual({ items: [report] });
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/billing/reports/saved',
      undefined,
    );
    await expect(
      client.saveReport({
        name: 'EUR this year',
        report: 'mrr',
        filters: { from: '2026-01-01', currency: 'EUR' },
      }),
    ).resolves.toEqual(report);
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/billing/reports/saved',
      send('POST', {
        name: 'EUR this year',
        report: 'mrr',
        filters: { from: '2026-01-01', currency: 'EUR' },
      }),
    );
    // staff of several partners say for which
    await client.saveReport({
      name: 'Plans',
      report: 'revenue-by-plan',
      filters: {},
      partner: 'nordlicht-it',
    });
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/billing/reports/saved',
      send('POST', {
        name: 'Plans',
        report: 'revenue-by-plan',
        filters: {},
        partner: 'nordlicht-it',
      }),
    );
    await expect(client.deleteSavedReport('a/b')).resolves.toBeUndefined();
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/billing/reports/saved/a%2Fb',
      { method: 'DELETE' },
    );
  });

  it('pages the payout ledger by partner, month, currency and state', async () => {
    const list = { items: [{ id: 'p1' }], total: 1 };
    const fetch = jest.fn(async () => json(200, list));
    const client = new BillingClient({ discoveryApi, fetchApi: { fetch } });
    await expect(client.payouts()).resolves.toEqual(list);
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/billing/payouts',
      undefined,
    );
    await client.payouts({
      partner: 'nordlicht-it',
      month: '2026-11',
      currency: 'CHF',
      state: 'paid',
      limit: 20,
      offset: 0,
    });
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/billing/payouts?partner=nordlicht-it&month=2026-11&currency=CHF&state=paid&limit=20&offset=0',
      undefined,
    );
  });

  it('generates payouts for the current month or the one given, and marks one paid', async () => {
    const generation = {
      month: '2026-11',
      snapshotDay: '2026-11-30',
      closedMonths: [],
      created: 3,
      changed: 0,
      closed: 3,
    };
    const payout = { id: 'p 1', state: 'paid', paidReference: 'TRX-1' };
    const fetch = jest.fn(async (input: RequestInfo | URL) =>
      json(200, String(input).endsWith('/generate') ? generation : payout),
    );
    const client = new BillingClient({ discoveryApi, fetchApi: { fetch } });
    await expect(client.generatePayouts()).resolves.toEqual(generation);
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/billing/payouts/generate',
      send('POST', {}),
    );
    await client.generatePayouts('2026-11');
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/billing/payouts/generate',
      send('POST', { month: '2026-11' }),
    );
    await expect(
      client.markPayoutPaid('p 1', {
        reference: 'TRX-1',
        paidOn: '2026-12-05',
      }),
    ).resolves.toEqual(payout);
    expect(fetch).toHaveBeenLastCalledWith(
      'http://backend/api/billing/payouts/p%201/paid',
      send('POST', { reference: 'TRX-1', paidOn: '2026-12-05' }),
    );
  });

  it('rejects marking an open payout paid with the server’s reason', async () => {
    const fetch = jest.fn(async () =>
      refusal(
        409,
        'ConflictError',
        'payout p1 is open: the month is not over (a month is closed by the first generation after it ends)',
      ),
    );
    const client = new BillingClient({ discoveryApi, fetchApi: { fetch } });
    const error = await client
      .markPayoutPaid('p1', { reference: 'x', paidOn: '2026-12-01' })
      .catch(e => e);
    expect(isConflict(error)).toBe(true);
    expect(errorMessage(error)).toMatch(/^payout p1 is open/);
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
    const noInvoices = await client.listTenantInvoices('nobody').catch(e => e);
    expect(isNotFound(noInvoices)).toBe(true);

    fetch.mockImplementation(async () =>
      refusal(403, 'NotAllowedError', 'Not allowed: billing.tenant.sync'),
    );
    const notSynced = await client.syncTenant('acme').catch(e => e);
    expect(notSynced.statusCode).toBe(403);
    expect(errorMessage(notSynced)).toBe('Not allowed: billing.tenant.sync');
    expect(isNotFound(new Error('x'))).toBe(false);
  });
});
