/*
 * POST /api/billing/stripe/webhook end to end: the production router and
 * WebhookService mounted in a test backend (unauthenticated, as plugin.ts
 * mounts it), fed by hand-signed requests and by the Stripe stand-in
 * (@internal/dev-platform) delivering the events the real SDK calls cause.
 */
import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import {
  mockServices,
  startTestBackend,
  TestBackend,
} from '@backstage/backend-test-utils';
import {
  DEV_PLATFORM_CREDENTIALS,
  DevPlatform,
  STRIPE_API_VERSION,
  startDevPlatform,
} from '@internal/dev-platform';
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import {
  auditTrailServiceRef,
  recordingAuditTrail,
} from '@internal/plugin-audit-node';
import { Knex } from 'knex';
import Stripe from 'stripe';
import request from 'supertest';
import { PriceStore } from './database/PriceStore';
import { StripeEventStore } from './database/StripeEventStore';
import { TenantBillingStore } from './database/TenantBillingStore';
import { StripeConnection } from './service/stripeClient';
import { BillingRecord } from './service/tenantBilling';
import { WebhookService } from './service/WebhookService';
import { createWebhookRouter } from './webhookRouter';

jest.setTimeout(120_000);

const databases = dezkyTestDatabases();
const C = DEV_PLATFORM_CREDENTIALS.stripe;
const PATH = '/api/billing/stripe/webhook';
const NOW = '2026-12-08T10:00:00.000Z';
const TENANT = 'tenant:default/kiel-klinik';

let platform: DevPlatform;
let stripe: Stripe;

beforeAll(async () => {
  // a frozen clock: only advancing it finalizes invoices
  platform = await startDevPlatform({ stripeFrozenClock: true });
  const { hostname, port } = new URL(platform.urls.stripe);
  stripe = new Stripe(C.secretKey, {
    apiVersion: STRIPE_API_VERSION,
    host: hostname,
    port: Number(port),
    protocol: 'http',
    maxNetworkRetries: 0,
  });
});

afterAll(() => platform.stop());

const record = (): BillingRecord => ({
  tenant: 'kiel-klinik',
  tenantRef: TENANT,
  partnerRef: 'partner:default/nord',
  plan: 'business',
  seats: 10,
  lifecycle: 'active',
  activated: true,
  currency: 'EUR',
  cycle: 'monthly',
  priceId: 'p',
  priceVersion: 1,
  perSeatAmount: 800,
  status: 'active',
  mrr: 8000,
  pausedMrr: 0,
  condition: { kind: 'in-sync', message: 'ok', since: NOW },
  updatedAt: NOW,
});

describe.each(databases.eachSupportedId())('Stripe webhooks on %p', id => {
  let knex: Knex;
  let backend: TestBackend;
  let trail: ReturnType<typeof recordingAuditTrail>;
  let webhooks: WebhookService;
  let connection: Pick<StripeConnection, 'client' | 'webhookSecret'>;

  const count = async (table: string) =>
    Number(
      (
        (await knex(table).count({ n: '*' })) as Array<{ n: number | string }>
      )[0].n,
    );
  /** Everything a delivery could change (its audit events forwarded first). */
  const snapshot = async () => ({
    forwarded: await webhooks.forwardAudit(),
    events: await count('billing_stripe_events'),
    invoices: await count('billing_invoices'),
    tenants: await knex('billing_tenants').orderBy('tenant_ref'),
    audited: trail.state.recorded.length,
    unaudited: await knex('billing_stripe_events')
      .whereNull('audited_at')
      .whereNotNull('audit')
      .count({ n: '*' }),
  });
  const tenantRow = () =>
    knex('billing_tenants').where({ tenant_ref: TENANT }).first();

  beforeEach(async () => {
    platform.reset();
    knex = await databases.init(id);
    trail = recordingAuditTrail();
    connection = { client: stripe, webhookSecret: C.webhookSecret };
    const testPlugin = createBackendPlugin({
      pluginId: 'billing',
      register(env) {
        env.registerInit({
          deps: {
            database: coreServices.database,
            httpRouter: coreServices.httpRouter,
            trail: auditTrailServiceRef,
          },
          async init(deps) {
            await PriceStore.create({ database: deps.database });
            webhooks = new WebhookService({
              store: new StripeEventStore(await deps.database.getClient()),
              stripe: connection,
              trail: deps.trail,
            });
            // as plugin.ts mounts it: unauthenticated, before any JSON parser
            deps.httpRouter.use(createWebhookRouter({ webhooks }));
            deps.httpRouter.addAuthPolicy({
              path: '/stripe/webhook',
              allow: 'unauthenticated',
            });
          },
        });
      },
    });
    backend = await startTestBackend({
      features: [
        testPlugin,
        trail.factory,
        mockServices.database.factory({ knex }),
      ],
    });
    const r = record();
    await new TenantBillingStore(knex).applyEvent(
      {
        id: '00000000-0000-4000-8000-000000000001',
        seq: 1,
        type: 'activated',
        tenantRef: TENANT,
        at: NOW,
        status: 'active',
        plan: 'business',
        seats: 10,
      },
      () => r,
      NOW,
    );
  });

  afterEach(async () => {
    platform.stripe.setWebhook(undefined);
    await backend.stop();
  });

  describe('signature', () => {
    const payload = JSON.stringify({
      id: 'evt_signed_1',
      object: 'event',
      type: 'invoice.payment_failed',
      created: Math.floor(Date.now() / 1000),
      data: {
        object: {
          id: 'in_1',
          object: 'invoice',
          customer: 'cus_1',
          status: 'open',
          currency: 'eur',
          total: 8000,
          amount_due: 8000,
          amount_paid: 0,
          amount_remaining: 8000,
          created: Math.floor(Date.now() / 1000),
          number: 'KIEL-0001',
          parent: {
            subscription_details: {
              subscription: 'sub_1',
              metadata: { tenant: TENANT },
            },
          },
        },
      },
    });
    const sign = (
      body: string,
      options: { secret?: string; timestamp?: number } = {},
    ) =>
      stripe.webhooks.generateTestHeaderString({
        payload: body,
        secret: options.secret ?? C.webhookSecret,
        ...(options.timestamp ? { timestamp: options.timestamp } : {}),
      });
    const post = (body: string, signature?: string) => {
      const req = request(backend.server)
        .post(PATH)
        .set('Content-Type', 'application/json');
      if (signature) req.set('Stripe-Signature', signature);
      return req.send(body);
    };

    it.each<[string, () => [string, string | undefined], RegExp]>([
      ['unsigned', () => [payload, undefined], /the header is missing/],
      [
        'signed with another secret',
        () => [payload, sign(payload, { secret: 'whsec_other' })],
        /does not match the body/,
      ],
      [
        'changed after signing',
        () => [payload.replace('8000', '1'), sign(payload)],
        /does not match the body/,
      ],
      [
        'signed more than 300 s ago',
        () => [
          payload,
          sign(payload, { timestamp: Math.floor(Date.now() / 1000) - 301 }),
        ],
        /outside the tolerance/,
      ],
      ['a malformed header', () => [payload, 'garbage'], /not a Stripe/],
    ])(
      'refuses a delivery %s with 400 and writes nothing',
      async (_what, make, message) => {
        const before = await snapshot();
        const [body, signature] = make();
        const res = await post(body, signature);
        expect(res.status).toBe(400);
        expect(res.body.error).toMatchObject({ name: 'InputError' });
        expect(res.body.error.message).toMatch(message);
        // never the SDK's hints about the configured secret
        expect(res.body.error.message).not.toContain('characters long');
        expect(await snapshot()).toEqual(before);
      },
    );

    it('answers 503 and writes nothing while Stripe is not connected', async () => {
      const before = await snapshot();
      connection.client = undefined;
      const res = await post(payload, sign(payload));
      expect(res.status).toBe(503);
      expect(res.body.error.name).toBe('ServiceUnavailableError');
      connection.client = stripe;
      connection.webhookSecret = undefined;
      expect((await post(payload, sign(payload))).status).toBe(503);
      expect(await snapshot()).toEqual(before);
    });

    it('refuses a body over 1 MB with 413', async () => {
      const big = JSON.stringify({ pad: 'x'.repeat(1_100_000) });
      const res = await post(big, sign(big));
      expect(res.status).toBe(413);
      expect(await count('billing_stripe_events')).toBe(0);
    });

    it('applies a verified event once: a replay answers 200, changes nothing and is not audited again', async () => {
      const first = await post(payload, sign(payload));
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ received: true });
      expect(first.headers['cache-control']).toBe('no-store');
      expect(await tenantRow()).toMatchObject({
        condition_kind: 'payment-failed',
        payment_failed_invoice: 'in_1',
      });
      await webhooks.forwardAudit();
      expect(trail.state.recorded).toEqual([
        expect.objectContaining({
          actor: { type: 'service', ref: 'plugin:billing' },
          action: 'billing.invoice.payment_failed',
          outcome: 'success',
          resource: { type: 'billing-invoice', ref: 'in_1', name: 'KIEL-0001' },
          tenant: TENANT,
          partner: 'partner:default/nord',
          source: 'billing',
          externalId: 'stripe:evt_signed_1',
        }),
      ]);
      const before = await snapshot();
      // the same delivery again, freshly signed, and in another content type
      const replay = await request(backend.server)
        .post(PATH)
        .set('Content-Type', 'text/plain')
        .set('Stripe-Signature', sign(payload))
        .send(payload);
      expect(replay.status).toBe(200);
      expect(replay.body).toEqual({ received: true, duplicate: true });
      expect(await snapshot()).toEqual(before);
    });

    it('refuses a verified body that is not an event, writing nothing', async () => {
      const body = JSON.stringify({ id: 'evt_x', object: 'event' });
      const res = await post(body, sign(body));
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/not a Stripe event/);
      expect(await count('billing_stripe_events')).toBe(0);
    });
  });

  describe('events from the Stripe stand-in', () => {
    const url = () => `http://127.0.0.1:${backend.server.port()}${PATH}`;

    /** A customer of the tenant (as the billing engine records it) with a 10-seat send_invoice subscription. */
    async function subscribe() {
      const customer = await stripe.customers.create({
        name: 'Kiel Klinik',
        metadata: { tenant: TENANT },
      });
      await knex('billing_tenants')
        .where({ tenant_ref: TENANT })
        .update({ stripe_customer_id: customer.id });
      const price = await stripe.prices.create({
        currency: 'eur',
        unit_amount: 800,
        recurring: { interval: 'month' },
        product_data: { name: 'Business seats' },
      });
      const subscription = await stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: price.id, quantity: 10 }],
        collection_method: 'send_invoice',
        days_until_due: 14,
        metadata: { tenant: TENANT },
      });
      return { customer, price, subscription };
    }
    const invoiceRow = () => knex('billing_invoices').first();
    const actions = async () => {
      await webhooks.forwardAudit();
      return trail.state.recorded.map(e => e.action);
    };

    it('mirrors the invoice and the subscription from real deliveries; a redelivery changes nothing', async () => {
      platform.stripe.setWebhook({ url: url() });
      const { subscription, price } = await subscribe();
      platform.stripe.advanceClock(3600); // the first invoice is finalized
      const [{ id: invoiceId }] = (
        await stripe.invoices.list({ subscription: subscription.id })
      ).data;
      await stripe.invoices.pay(invoiceId!, { paid_out_of_band: true });
      const deliveries = await platform.stripe.flushWebhooks();
      expect(deliveries.map(d => [d.type, d.status])).toEqual(
        deliveries.map(d => [d.type, 200]),
      );

      expect(await invoiceRow()).toMatchObject({
        id: invoiceId,
        tenant_ref: TENANT,
        tenant_name: 'kiel-klinik',
        partner_ref: 'partner:default/nord',
        subscription_id: subscription.id,
        status: 'paid',
        currency: 'EUR',
        billing_reason: 'subscription_create',
      });
      const inv = await invoiceRow();
      expect(Number(inv.total)).toBe(8000);
      expect(Number(inv.amount_paid)).toBe(8000);
      expect(inv.number).toMatch(/-0001$/);
      expect(inv.hosted_invoice_url).toContain(invoiceId);
      const tenant = await tenantRow();
      expect(tenant).toMatchObject({
        stripe_subscription_id: subscription.id,
        stripe_item_id: subscription.items.data[0].id,
        stripe_price_id: price.id,
        stripe_quantity: 10,
        stripe_status: 'active',
        condition_kind: 'in-sync',
      });
      expect(Boolean(tenant.stripe_paused)).toBe(false);
      expect(await actions()).toEqual(
        expect.arrayContaining([
          'billing.stripe.subscription.created',
          'billing.invoice.created',
          'billing.invoice.finalized',
          'billing.invoice.paid',
        ]),
      );
      const ignored = await knex('billing_stripe_events')
        .where({ type: 'customer.created' })
        .first();
      expect(ignored.outcome).toBe('ignored');

      // Stripe sends the finalization again, after the payment
      const before = await snapshot();
      const finalizedEvent = deliveries.find(
        d => d.type === 'invoice.finalized',
      )!.event;
      const [again] = await platform.stripe.deliverWebhooks([finalizedEvent]);
      expect(again).toMatchObject({ ok: true, status: 200 });
      expect(await snapshot()).toEqual(before);
    });

    it('keeps the invoice paid when the events arrive in reverse order', async () => {
      platform.stripe.setWebhook({ url: url(), autoDeliver: false });
      const { subscription } = await subscribe();
      platform.stripe.advanceClock(3600);
      const [{ id: invoiceId }] = (
        await stripe.invoices.list({ subscription: subscription.id })
      ).data;
      await stripe.invoices.pay(invoiceId!, { paid_out_of_band: true });
      const events = (await stripe.events.list({ limit: 100 })).data; // newest first
      const delivered = await platform.stripe.deliverWebhooks(
        events.map(e => e.id),
      );
      expect(delivered.every(d => d.ok)).toBe(true);
      const inv = await invoiceRow();
      expect(inv.status).toBe('paid');
      expect(inv.number).toMatch(/-0001$/);
      const outcomes = await knex('billing_stripe_events')
        .whereIn('type', ['invoice.created', 'invoice.finalized'])
        .pluck('outcome');
      expect(outcomes).toEqual(['stale', 'stale']);
    });

    it('flags the tenant when a payment fails and clears it once the invoice is paid', async () => {
      platform.stripe.setWebhook({ url: url() });
      const { subscription } = await subscribe();
      platform.stripe.advanceClock(3600);
      const [{ id: invoiceId }] = (
        await stripe.invoices.list({ subscription: subscription.id })
      ).data;
      platform.stripe.failInvoicePayment(invoiceId!);
      await platform.stripe.flushWebhooks();
      const flagged = await tenantRow();
      expect(flagged).toMatchObject({
        condition_kind: 'payment-failed',
        payment_failed_invoice: invoiceId,
      });
      expect(flagged.condition_message).toMatch(
        /^Payment of invoice .*-0001 failed$/,
      );
      await stripe.invoices.pay(invoiceId!, { paid_out_of_band: true });
      await platform.stripe.flushWebhooks();
      expect(await tenantRow()).toMatchObject({
        condition_kind: 'in-sync',
        condition_message: 'in sync with Stripe',
        payment_failed_invoice: null,
      });
      expect(await actions()).toEqual(
        expect.arrayContaining([
          'billing.invoice.payment_failed',
          'billing.invoice.paid',
        ]),
      );
    });
  });
});
