import { seededRandom } from '@internal/dezky-test-utils';
import request from 'supertest';
import { as, OPERATOR, OUTSIDER, STAFF } from './__testUtils__/billingPolicy';
import {
  billingRoutesPlugin,
  startBillingRoutes,
  TestServer,
} from './__testUtils__/routesPlugin';
import { InvoiceStore } from './database/InvoiceStore';
import { StripeEventStore } from './database/StripeEventStore';
import { addInvoiceRoutes } from './invoiceRoutes';
import { InvoiceService } from './service/InvoiceService';
import { TenantBillingService } from './service/TenantBillingService';
import { BillingRecord } from './service/tenantBilling';
import { WebhookService } from './service/WebhookService';

jest.setTimeout(60_000);

const NOW = '2026-12-08T10:00:00.000Z';
const T0 = 1_800_000_000;

/** Tenant, partner (none: direct), invoices. */
const TENANTS: Array<[string, string | undefined, number]> = [
  ['a-nord', 'nord', 3],
  ['b-nord', 'nord', 2],
  ['c-sued', 'sued', 4],
  ['d-west', 'west', 1],
  ['e-direct', undefined, 2],
];

const record = (name: string, partner?: string): BillingRecord => ({
  tenant: name,
  tenantRef: `tenant:default/${name}`,
  ...(partner ? { partnerRef: `partner:default/${partner}` } : {}),
  plan: 'business',
  seats: 1,
  lifecycle: 'active',
  activated: true,
  status: 'active',
  mrr: 0,
  pausedMrr: 0,
  condition: { kind: 'in-sync', message: 'ok', since: NOW },
  updatedAt: NOW,
});

/** The billing routes of invoices and events, mounted as router.ts mounts them. */
const testPlugin = billingRoutesPlugin({
  json: false,
  async addRoutes({ knex, tenantStore, kit, tenantScope, router }) {
    const events = new StripeEventStore(knex);
    let n = 0;
    for (const [name, partner, invoices] of TENANTS) {
      const r = record(name, partner);
      await tenantStore.applyEvent(
        {
          id: `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
          seq: n,
          type: 'activated',
          tenantRef: r.tenantRef,
          at: NOW,
          status: 'active',
          plan: 'business',
          seats: 1,
        },
        () => r,
        NOW,
      );
      await knex('billing_tenants')
        .where({ tenant_ref: r.tenantRef })
        .update({ stripe_customer_id: `cus_${name}` });
      for (let i = 0; i < invoices; i++) {
        await events.receive(
          {
            id: `evt_${name}_${i}`,
            type: 'invoice.finalized',
            created: T0 + n * 10 + i,
            data: {
              object: {
                id: `in_${name}_${i}`,
                customer: `cus_${name}`,
                status: i === 0 ? 'paid' : 'open',
                currency: 'eur',
                total: 1000 * (i + 1),
                amount_due: 1000 * (i + 1),
                amount_paid: 0,
                amount_remaining: 1000 * (i + 1),
                created: T0 + n * 10 + i,
                number: `${name.toUpperCase()}-000${i + 1}`,
              },
            },
          },
          NOW,
        );
      }
    }
    const tenants = new TenantBillingService({
      store: tenantStore,
      trail: { record: async () => [] },
      context: {
        resolve: async () => {
          throw new Error('not used');
        },
      },
    });
    addInvoiceRoutes(router, {
      kit,
      invoices: new InvoiceService({
        store: new InvoiceStore(knex),
        tenants,
      }),
      webhooks: new WebhookService({
        store: events,
        stripe: {},
        trail: { record: async () => [] },
      }),
      tenantScope,
    });
  },
});

describe('the billing API: invoices and Stripe events', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startBillingRoutes(testPlugin);
  });

  const get = (path: string, user: string) =>
    request(server).get(`/api/billing${path}`).set('authorization', as(user));

  it("lists a tenant's invoices newest first, paged; 404 for a tenant outside the caller's scope", async () => {
    const res = await get('/tenants/a-nord/invoices?limit=2', OPERATOR);
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(3);
    expect(res.body.items.map((i: { id: string }) => i.id)).toEqual([
      'in_a-nord_2',
      'in_a-nord_1',
    ]);
    expect(res.body.items[0]).toMatchObject({
      tenant: 'a-nord',
      partnerRef: 'partner:default/nord',
      currency: 'EUR',
      total: 3000,
      status: 'open',
      number: 'A-NORD-0003',
    });
    expect((await get('/tenants/a-nord/invoices', STAFF)).body.total).toBe(3);
    const hidden = await get('/tenants/c-sued/invoices', STAFF);
    expect(hidden.status).toBe(404);
    expect(hidden.body.error.message).toBe('No billing for tenant c-sued');
    expect((await get('/tenants/nobody/invoices', OPERATOR)).status).toBe(404);
    expect((await get('/tenants/a-nord/invoices', OUTSIDER)).status).toBe(403);
  });

  it('filters invoices by partner, tenant and status, the scope in SQL: partner staff never get another partner’s rows (random cases)', async () => {
    const all = await get('/invoices?limit=200', OPERATOR);
    expect(all.body.total).toBe(12);
    const paid = await get('/invoices?status=paid', OPERATOR);
    expect(paid.body.total).toBe(5);
    const sued = await get('/invoices?partner=sued', OPERATOR);
    expect(sued.body.items.map((i: { tenant: string }) => i.tenant)).toEqual([
      'c-sued',
      'c-sued',
      'c-sued',
      'c-sued',
    ]);
    const random = seededRandom(11);
    const partners = ['nord', 'sued', 'west', 'nowhere'];
    const statuses = ['', 'paid', 'open', 'void'];
    const statuses200: number[] = [];
    const seenPartners: string[] = [];
    const foreignAnswers: object[] = [];
    for (let round = 0; round < 25; round++) {
      const partner = partners[random(partners.length)];
      const status = statuses[random(statuses.length)];
      const [tenant] = TENANTS[random(TENANTS.length)];
      const params = new URLSearchParams({
        ...(random(2) ? { partner } : {}),
        ...(random(2) ? { tenant } : {}),
        ...(status ? { status } : {}),
      });
      const res = await get(`/invoices?${params}`, STAFF);
      statuses200.push(res.status);
      seenPartners.push(
        ...res.body.items.map((i: { partnerRef?: string }) => i.partnerRef),
      );
      const asked = params.get('partner');
      if (asked && asked !== 'nord') foreignAnswers.push(res.body);
    }
    expect(new Set(statuses200)).toEqual(new Set([200]));
    expect(seenPartners.length).toBeGreaterThan(0);
    expect(new Set(seenPartners)).toEqual(new Set(['partner:default/nord']));
    expect(foreignAnswers.length).toBeGreaterThan(0);
    expect(foreignAnswers).toEqual(
      foreignAnswers.map(() => ({ items: [], total: 0 })),
    );
    const staffAll = await get('/invoices', STAFF);
    expect(staffAll.body.total).toBe(5);
    expect((await get('/invoices', OUTSIDER)).status).toBe(403);
  });

  it('refuses unknown or malformed query parameters with a message naming them', async () => {
    const bad = await get('/invoices?status=settled&limit=0', OPERATOR);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe(
      'status: must be one of draft, open, paid, uncollectible, void; limit: must be at least 1',
    );
    const unknown = await get('/invoices?customer=cus_1', OPERATOR);
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(/customer/);
    expect(
      (await get('/tenants/a-nord/invoices?status=paid', OPERATOR)).status,
    ).toBe(400);
  });

  it('shows operators the events received, newest first, by type; nobody else', async () => {
    const res = await get('/stripe/events?limit=3', OPERATOR);
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(12);
    expect(res.body.items).toHaveLength(3);
    expect(res.body.items[0]).toMatchObject({
      type: 'invoice.finalized',
      outcome: 'applied',
    });
    const typed = await get('/stripe/events?type=invoice.paid', OPERATOR);
    expect(typed.body).toEqual({ items: [], total: 0 });
    expect(
      (await get('/stripe/events?type=DROP%20TABLE', OPERATOR)).status,
    ).toBe(400);
    expect((await get('/stripe/events', STAFF)).status).toBe(403);
    expect((await get('/stripe/events', OUTSIDER)).status).toBe(403);
  });
});
