/*
 * The billing engine against the local Stripe (the development stand-in of
 * packages/dev-platform, spoken to by the official SDK), on SQLite and
 * PostgreSQL: customers and subscriptions follow the tenants' lifecycle
 * events, Stripe down at activation is caught up by the reconcile, and a
 * price edit moves the live subscriptions (one made to fail, then retried).
 */
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { startDevPlatform, DevPlatform } from '@internal/dev-platform';
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import { AuditEventInput } from '@internal/plugin-audit-common';
import {
  LifecycleEvent,
  LifecycleEventType,
  TenantStatus,
} from '@internal/plugin-provisioning-common';
import { randomUUID } from 'node:crypto';
import { PriceStore } from '../database/PriceStore';
import { RepricingStore } from '../database/RepricingStore';
import { TenantBillingStore } from '../database/TenantBillingStore';
import { BillingContextResolver } from './BillingContextResolver';
import { BillingEngine } from './BillingEngine';
import { BillingReconciler } from './BillingReconciler';
import { PriceService } from './PriceService';
import { Repricer } from './Repricer';
import { connectStripe } from './stripeClient';
import { TenantBillingService } from './TenantBillingService';

jest.setTimeout(120_000);

const databases = dezkyTestDatabases();
const NORD = 'partner:default/nord';

const partner = (name: string, currency: string): Entity => ({
  apiVersion: 'dezky.io/v1alpha1',
  kind: 'Partner',
  metadata: { name, namespace: 'default' },
  spec: {
    billing: { company: name, country: 'DE', email: 'b@x.example', currency },
  },
});
const tenant = (name: string, billing?: object): Entity => ({
  apiVersion: 'dezky.io/v1alpha1',
  kind: 'Tenant',
  metadata: { name, namespace: 'default' },
  spec: { plan: 'business', ...(billing ? { billing } : {}) },
});

const ENTITIES = [
  partner('nord', 'EUR'),
  tenant('direct-billed', {
    company: 'D',
    country: 'DE',
    email: 'b@d.example',
    currency: 'EUR',
  }),
  tenant('direct-nodetails'),
];

interface StripeSub {
  id: string;
  customer: string;
  status: string;
  metadata: Record<string, string>;
  collection_method: string;
  pause_collection: { behavior: string } | null;
  items: {
    data: Array<{
      id: string;
      quantity: number;
      price: { id: string; unit_amount: number; currency: string };
    }>;
  };
}
interface StripeCustomer {
  id: string;
  metadata: Record<string, string>;
}

describe.each(databases.eachSupportedId())('billing engine on %p', id => {
  let platform: DevPlatform;
  let flagOff: Set<string>;
  let recorded: AuditEventInput[];
  let seq: number;
  let store: TenantBillingStore;
  let prices: PriceStore;
  let priceService: PriceService;
  let tenants: TenantBillingService;
  let engine: BillingEngine;
  let reconciler: BillingReconciler;

  beforeAll(async () => {
    platform = await startDevPlatform({ stripeFrozenClock: true });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  beforeEach(async () => {
    platform.reset();
    flagOff = new Set();
    recorded = [];
    seq = 0;
    const knex = await databases.init(id);
    prices = await PriceStore.create({
      database: mockServices.database({ knex }),
    });
    store = new TenantBillingStore(knex);
    const stripe = connectStripe(
      new ConfigReader({
        billing: {
          stripe: {
            enabled: 'true',
            secretKey: 'sk_test_dev_platform',
            webhookSecret: 'whsec_dev_platform',
            apiUrl: platform.urls.stripe,
            daysUntilDue: 10,
          },
        },
      }),
    );
    if (!stripe.client) throw new Error('Stripe should be connected');
    const trail = {
      record: async (inputs: AuditEventInput[]) => {
        recorded.push(...inputs);
        return [];
      },
    };
    const logger = mockServices.logger.mock();
    tenants = new TenantBillingService({
      store,
      trail,
      context: new BillingContextResolver({
        catalog: catalogServiceMock({ entities: ENTITIES }),
        auth: mockServices.auth(),
        prices,
        cycle: 'monthly',
        stripeConnected: true,
      }),
    });
    engine = new BillingEngine({
      store,
      prices,
      stripe,
      flags: { isEnabled: async (_flag, ref) => !flagOff.has(ref) },
      trail,
      logger,
    });
    const outcomes = new RepricingStore(knex);
    const repricer = new Repricer({
      tenants: store,
      outcomes,
      engine,
      trail,
      logger,
    });
    reconciler = new BillingReconciler({ store, tenants, engine, repricer });
    priceService = new PriceService({
      store: prices,
      trail,
      repricer,
      outcomes,
    });
    await prices.create(
      {
        plan: 'business',
        currency: 'EUR',
        cycle: 'monthly',
        perSeatAmount: 1190,
      },
      undefined,
      new Date().toISOString(),
    );
  });

  /** As the plugin's lifecycle follower does: the local record, then Stripe. */
  async function announce(
    name: string,
    type: LifecycleEventType,
    o: {
      seats?: number;
      plan?: string;
      status?: TenantStatus;
      partner?: string | null;
    } = {},
  ) {
    const tenantRef = `tenant:default/${name}`;
    const prev = await store.get(tenantRef);
    const partnerRef =
      o.partner === null ? undefined : o.partner ?? prev?.partnerRef ?? NORD;
    const event: LifecycleEvent = {
      id: randomUUID(),
      seq: ++seq,
      type,
      tenantRef,
      ...(partnerRef ? { partnerRef } : {}),
      at: new Date().toISOString(),
      status:
        o.status ??
        (
          {
            activated: 'active',
            suspended: 'suspended',
            resumed: 'active',
            terminating: 'terminating',
            terminated: 'terminated',
          } as Record<string, TenantStatus>
        )[type] ??
        prev?.lifecycle ??
        'active',
      plan: o.plan ?? prev?.plan ?? 'business',
      seats: o.seats ?? prev?.seats ?? 5,
    };
    await tenants.handle(event);
    await engine.sync(tenantRef);
    return event;
  }

  const stripeState = () => platform.state().stripe;
  const subsOf = (name: string) =>
    (stripeState().subscriptions as StripeSub[]).filter(
      s => s.metadata.tenant === `tenant:default/${name}`,
    );
  const customersOf = (name: string) =>
    (stripeState().customers as StripeCustomer[]).filter(
      c => c.metadata.tenant === `tenant:default/${name}`,
    );

  it('activation: exactly one customer per tenant, one send_invoice subscription per priced tenant with seats ≥ 1, at its price and quantity — also after repeats and reconciles', async () => {
    await announce('priced', 'activated', { seats: 5 });
    await announce('no-seats', 'activated', { seats: 0 });
    await announce('free', 'activated', { plan: 'free', seats: 9 });
    await announce('direct-billed', 'activated', { seats: 2, partner: null });
    await announce('direct-nodetails', 'activated', {
      seats: 4,
      partner: null,
    });
    // the same again, and two reconciles: nothing new in Stripe
    await engine.sync('tenant:default/priced');
    await reconciler.reconcile();
    await reconciler.reconcile();

    for (const name of [
      'priced',
      'no-seats',
      'free',
      'direct-billed',
      'direct-nodetails',
    ]) {
      expect(customersOf(name)).toHaveLength(1);
    }
    expect(stripeState().customers).toHaveLength(5);
    expect(stripeState().subscriptions).toHaveLength(2);
    const [priced] = subsOf('priced');
    expect(priced.collection_method).toBe('send_invoice');
    expect(priced.items.data).toHaveLength(1);
    expect(priced.items.data[0].quantity).toBe(5);
    expect(priced.items.data[0].price.unit_amount).toBe(1190);
    expect(priced.items.data[0].price.currency).toBe('eur');
    expect(priced.customer).toBe(customersOf('priced')[0].id);
    expect(subsOf('direct-billed')[0].items.data[0].quantity).toBe(2);

    const record = await store.get('tenant:default/priced');
    expect(record?.condition).toMatchObject({
      kind: 'in-sync',
      message: 'in sync with Stripe',
    });
    expect(record?.stripe).toMatchObject({
      customerId: priced.customer,
      subscriptionId: priced.id,
      itemId: priced.items.data[0].id,
      quantity: 5,
      status: 'active',
      collectionPaused: false,
    });
    expect(
      (await store.get('tenant:default/direct-nodetails'))?.condition.kind,
    ).toBe('missing-billing-details');
    expect(
      recorded.filter(e => e.action === 'billing.stripe.subscription.created'),
    ).toHaveLength(2);
  });

  it('follows the lifecycle: seats → quantity, plan → price, suspend pauses collection, resume unpauses, terminate cancels', async () => {
    await announce('acme', 'activated', { seats: 5 });
    await announce('acme', 'seatsChanged', { seats: 8 });
    expect(subsOf('acme')[0].items.data[0].quantity).toBe(8);

    // a plan change: the same subscription, on the new plan's price
    await prices.create(
      {
        plan: 'enterprise',
        currency: 'EUR',
        cycle: 'monthly',
        perSeatAmount: 2290,
      },
      undefined,
      new Date().toISOString(),
    );
    await announce('acme', 'planChanged', { plan: 'enterprise' });
    expect(subsOf('acme')).toHaveLength(1);
    expect(subsOf('acme')[0].items.data[0].price.unit_amount).toBe(2290);
    expect(subsOf('acme')[0].items.data[0].quantity).toBe(8);
    expect((await store.get('tenant:default/acme'))?.mrr).toBe(2290 * 8);

    await announce('acme', 'suspended');
    let [sub] = subsOf('acme');
    expect(sub.pause_collection).toEqual(
      expect.objectContaining({ behavior: 'void' }),
    );
    expect(sub.status).toBe('active'); // pausing collection keeps the status
    expect(
      (await store.get('tenant:default/acme'))?.stripe?.collectionPaused,
    ).toBe(true);

    await announce('acme', 'resumed');
    [sub] = subsOf('acme');
    expect(sub.pause_collection).toBeNull();

    await announce('acme', 'terminated');
    [sub] = subsOf('acme');
    expect(sub.status).toBe('canceled');
    expect(subsOf('acme')).toHaveLength(1);
    const record = await store.get('tenant:default/acme');
    expect(record?.status).toBe('canceled');
    expect(record?.stripe?.status).toBe('canceled');
    expect(record?.mrr).toBe(0);
  });

  it('Stripe down at activation: the tenant is billed locally and out of sync; the next reconcile creates exactly one customer and subscription', async () => {
    platform.setFault('stripe', { down: true });
    await announce('acme', 'activated', { seats: 3 });
    const down = await store.get('tenant:default/acme');
    expect(down?.status).toBe('active');
    expect(down?.mrr).toBe(3570);
    expect(down?.condition.kind).toBe('out-of-sync');
    expect(down?.condition.message).toMatch(/Stripe cannot be reached/);
    expect(stripeState().customers).toHaveLength(0);

    // still down: the reconcile changes nothing and says so
    expect(await reconciler.reconcile()).toMatchObject({ outOfSync: 1 });
    platform.clearFaults('stripe');
    expect(await reconciler.reconcile()).toMatchObject({
      inSync: 1,
      outOfSync: 0,
    });
    await reconciler.reconcile();
    expect(customersOf('acme')).toHaveLength(1);
    expect(subsOf('acme')).toHaveLength(1);
    expect(subsOf('acme')[0].items.data[0].quantity).toBe(3);
    expect((await store.get('tenant:default/acme'))?.condition.kind).toBe(
      'in-sync',
    );
  });

  it('a failure after Stripe made the object (the answer lost) is retried under the same idempotency key: still one subscription', async () => {
    await announce('acme', 'activated', { seats: 3 });
    const record = await store.get('tenant:default/acme');
    // forget the subscription locally, as if the answer had never arrived
    await store.updateStripe('tenant:default/acme', {
      subscriptionId: null,
      generation: 0,
    });
    await engine.sync('tenant:default/acme');
    expect(subsOf('acme')).toHaveLength(1);
    expect(
      (await store.get('tenant:default/acme'))?.stripe?.subscriptionId,
    ).toBe(record?.stripe?.subscriptionId);
  });

  it('the flag off: no Stripe calls for the tenant, its condition says why, MRR stays local', async () => {
    flagOff.add('tenant:default/acme');
    await announce('acme', 'activated', { seats: 3 });
    expect(stripeState().customers).toHaveLength(0);
    const record = await store.get('tenant:default/acme');
    expect(record?.condition).toMatchObject({ kind: 'not-billed' });
    expect(record?.condition.message).toMatch(/new_billing_engine is off/);
    expect(record?.mrr).toBe(3570);
  });

  it('a price edit: the impact preview counts exactly the subscriptions moved; one made to fail is recorded, retried and moved; new subscriptions take the new price', async () => {
    for (const [name, seats] of [
      ['a', 2],
      ['b', 3],
      ['c', 4],
    ] as const) {
      await announce(name, 'activated', { seats });
    }
    await announce('c', 'suspended'); // paused: live, moved too
    const [price] = await prices.list({});
    const impact = await priceService.impact(price.id, 1290);
    expect(impact.subscriptions).toBe(3);
    expect(impact.perCurrency).toEqual([
      {
        currency: 'EUR',
        subscriptions: 3,
        mrrBefore: 1190 * 5,
        mrrAfter: 1290 * 5,
        mrrChange: 100 * 5,
        pausedMrrBefore: 1190 * 4,
        pausedMrrAfter: 1290 * 4,
      },
    ]);

    const failing = subsOf('b')[0].id;
    platform.setFault('stripe', {
      failPaths: [`/v1/subscriptions/${failing}`],
    });
    const detail = await priceService.updateAmount(price.id, 1290, 1, {
      $$type: '@backstage/BackstageCredentials',
      principal: { type: 'user', userEntityRef: 'user:default/anna' },
    } as any);
    expect(detail.repricing).toHaveLength(impact.subscriptions);
    const outcome = (name: string) =>
      detail.repricing.find(o => o.tenant === name);
    expect(outcome('a')).toMatchObject({ outcome: 'moved', attempts: 1 });
    expect(outcome('c')).toMatchObject({ outcome: 'moved', attempts: 1 });
    expect(outcome('b')).toMatchObject({
      outcome: 'failed',
      attempts: 1,
      subscriptionId: failing,
    });
    expect(outcome('b')?.error).toMatch(/HTTP 500/);
    const newStripePrice = (await prices.list({}))[0].stripePriceId!;
    expect(subsOf('a')[0].items.data[0].price.id).toBe(newStripePrice);
    expect(subsOf('b')[0].items.data[0].price.id).not.toBe(newStripePrice);
    // the failed one keeps billing the old amount locally as in Stripe
    expect((await store.get('tenant:default/b'))?.mrr).toBe(1190 * 3);
    expect((await store.get('tenant:default/a'))?.mrr).toBe(1290 * 2);
    expect((await store.get('tenant:default/c'))?.pausedMrr).toBe(1290 * 4);
    // the old Stripe price is archived
    const oldStripePrice = (await prices.get(price.id))!.history[0]
      .stripePriceId;
    expect(
      (stripeState().prices as Array<{ id: string; active: boolean }>).find(
        p => p.id === oldStripePrice,
      )?.active,
    ).toBe(false);

    // still failing: the reconcile tries again, it stays listed
    await reconciler.reconcile();
    expect(
      (await priceService.get(price.id)).repricing.find(o => o.tenant === 'b'),
    ).toMatchObject({ outcome: 'failed', attempts: 2 });
    platform.clearFaults('stripe');
    expect(await reconciler.reconcile()).toMatchObject({ repricingMoved: 1 });
    expect(
      (await priceService.get(price.id)).repricing.find(o => o.tenant === 'b'),
    ).toMatchObject({ outcome: 'moved', attempts: 3 });
    expect(subsOf('b')[0].items.data[0].price.id).toBe(newStripePrice);
    expect((await store.get('tenant:default/b'))?.mrr).toBe(1290 * 3);

    // a tenant activated after the edit starts at the new price
    await announce('d', 'activated', { seats: 1 });
    expect(subsOf('d')[0].items.data[0].price.id).toBe(newStripePrice);
    expect((await store.get('tenant:default/d'))?.perSeatAmount).toBe(1290);
  });
});
