import { createServiceFactory } from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { recordingAuditTrail } from '@internal/plugin-audit-node';
import { seededRandom } from '@internal/dezky-test-utils';
import { LifecycleEvent } from '@internal/plugin-provisioning-common';
import { provisioningServiceRef } from '@internal/plugin-provisioning-node';
import request from 'supertest';
import {
  as,
  billingPermissionsFactory,
  NORD,
  OPERATOR,
  OUTSIDER,
  STAFF,
} from './__testUtils__/billingPolicy';
import { billingPlugin } from './plugin';

jest.setTimeout(60_000);

const partner = (name: string, currency: string): Entity => ({
  apiVersion: 'dezky.io/v1alpha1',
  kind: 'Partner',
  metadata: { name, namespace: 'default' },
  spec: {
    billing: {
      company: name,
      country: 'DE',
      email: `b@${name}.example`,
      currency,
    },
  },
});
const tenant = (name: string, spec: object = {}): Entity => ({
  apiVersion: 'dezky.io/v1alpha1',
  kind: 'Tenant',
  metadata: { name, namespace: 'default' },
  spec: { plan: 'business', seats: 10, domains: [`${name}.example`], ...spec },
});
const ENTITIES = [
  partner('nord', 'EUR'),
  partner('sued', 'CHF'),
  tenant('d-direct', {
    billing: {
      company: 'D',
      country: 'DE',
      email: 'b@d.example',
      currency: 'EUR',
    },
  }),
  tenant('e-direct'),
];
/** Who each tenant is sold by, and its seats. */
const TENANTS: Array<[string, string | undefined, number]> = [
  ['a-nord', NORD, 10],
  ['b-nord', NORD, 3],
  ['c-sued', 'partner:default/sued', 7],
  ['d-direct', undefined, 2],
  ['e-direct', undefined, 5],
];
const PRICES = [
  { plan: 'business', currency: 'EUR', cycle: 'monthly', perSeatAmount: 1190 },
  { plan: 'business', currency: 'CHF', cycle: 'monthly', perSeatAmount: 1290 },
];

/** The provisioning outbox in the provisioning backend's place. */
function outbox(events: LifecycleEvent[]) {
  let acked = 0;
  return createServiceFactory({
    service: provisioningServiceRef,
    deps: {},
    factory: () => ({
      tenant: async () => undefined,
      tenants: async () => [],
      lifecycleEvents: async (_subscriber: string, o?: { limit?: number }) =>
        events.filter(e => e.seq > acked).slice(0, o?.limit ?? 100),
      ackLifecycleEvents: async (_subscriber: string, seq: number) => {
        acked = Math.max(acked, seq);
      },
    }),
  });
}

const activated = (): LifecycleEvent[] =>
  TENANTS.map(([name, partnerRef, seats], i) => ({
    id: `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`,
    seq: i + 1,
    type: 'activated',
    tenantRef: `tenant:default/${name}`,
    ...(partnerRef ? { partnerRef } : {}),
    at: '2026-12-07T10:00:00.000Z',
    status: 'active',
    plan: 'business',
    seats,
  }));

async function start(config: object = {}, events: LifecycleEvent[] = []) {
  const trail = recordingAuditTrail();
  const { server } = await startTestBackend({
    features: [
      billingPlugin,
      billingPermissionsFactory,
      trail.factory,
      mockServices.database.factory(),
      mockServices.rootConfig.factory({ data: config }),
      catalogServiceMock.factory({ entities: ENTITIES }),
      outbox(events),
    ],
  });
  return { server, trail };
}

describe('the billing API: Stripe not connected', () => {
  it('starts without any Stripe key, says so on GET /status, and refuses webhooks without writing (503)', async () => {
    const { server } = await start();
    const status = await request(server)
      .get('/api/billing/status')
      .set('authorization', as(STAFF));
    expect(status.status).toBe(200);
    expect(status.body).toEqual({
      stripe: {
        connected: false,
        livemode: false,
        message: expect.stringContaining('Stripe is not connected'),
      },
      flag: 'new_billing_engine',
    });
    // no user: refused (the mock auth answers 403 for no credentials)
    expect([401, 403]).toContain(
      (await request(server).get('/api/billing/status')).status,
    );
    const hook = await request(server)
      .post('/api/billing/stripe/webhook')
      .set('content-type', 'application/json')
      .set('stripe-signature', 't=1,v1=00')
      .send('{"id":"evt_1","type":"invoice.paid"}');
    expect(hook.status).toBe(503);
  });
});

describe('the billing API: the price catalog', () => {
  it('lets operators create and edit prices, audited; partner staff read them; others nothing', async () => {
    const { server, trail } = await start();
    const created = await request(server)
      .post('/api/billing/prices')
      .set('authorization', as(OPERATOR))
      .send({
        plan: 'business',
        currency: 'EUR',
        cycle: 'monthly',
        perSeatAmount: 1190,
      });
    expect(created.status).toBe(201);
    const id = created.body.id;

    const edited = await request(server)
      .patch(`/api/billing/prices/${id}`)
      .set('authorization', as(OPERATOR))
      .send({ perSeatAmount: 1290, version: 1 });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ version: 2, perSeatAmount: 1290 });
    const stale = await request(server)
      .patch(`/api/billing/prices/${id}`)
      .set('authorization', as(OPERATOR))
      .send({ perSeatAmount: 1390, version: 1 });
    expect(stale.status).toBe(409);

    expect(
      trail.state.recorded.map(e => [e.action, e.metadata?.amount]),
    ).toEqual([
      ['billing.price.created', '€11.90'],
      ['billing.price.updated', '€12.90'],
    ]);

    const staffList = await request(server)
      .get('/api/billing/prices')
      .set('authorization', as(STAFF));
    expect(staffList.status).toBe(200);
    expect(staffList.body.items.map((p: any) => p.perSeatAmount)).toEqual([
      1290,
    ]);
    const staffDetail = await request(server)
      .get(`/api/billing/prices/${id}`)
      .set('authorization', as(STAFF));
    expect(staffDetail.body.history).toHaveLength(1);

    // every write is refused to partner staff, and the refusal audited
    for (const [method, url, body] of [
      [
        'post',
        '/api/billing/prices',
        { plan: 'x', currency: 'EUR', cycle: 'monthly', perSeatAmount: 1 },
      ],
      ['patch', `/api/billing/prices/${id}`, { perSeatAmount: 1, version: 2 }],
    ] as const) {
      const res = await request(server)
        [method](url)
        .set('authorization', as(STAFF))
        .send(body);
      expect([method, res.status]).toEqual([method, 403]);
    }
    expect(
      trail.state.recorded
        .filter(e => e.outcome === 'failure')
        .map(e => e.action),
    ).toEqual(['billing.price.manage', 'billing.price.manage']);
    expect(
      (
        await request(server)
          .get('/api/billing/prices')
          .set('authorization', as(OUTSIDER))
      ).status,
    ).toBe(403);
    const after = await request(server)
      .get(`/api/billing/prices/${id}`)
      .set('authorization', as(OPERATOR));
    expect(after.body).toMatchObject({ version: 2, perSeatAmount: 1290 });
  });

  it.each([
    [
      {
        plan: 'business',
        currency: 'EUR',
        cycle: 'monthly',
        perSeatAmount: 11.9,
      },
      'perSeatAmount: must be a whole number',
    ],
    [
      { plan: 'business', currency: 'eur', cycle: 'monthly', perSeatAmount: 1 },
      'currency: must be an ISO 4217',
    ],
    [
      { plan: 'business', currency: 'XYZ', cycle: 'monthly', perSeatAmount: 1 },
      'currency: must be an ISO 4217',
    ],
    [
      { plan: 'business', currency: 'EUR', cycle: 'weekly', perSeatAmount: 1 },
      'cycle: must be one of monthly, yearly',
    ],
    [
      {
        plan: 'Business!',
        currency: 'EUR',
        cycle: 'monthly',
        perSeatAmount: 1,
      },
      'plan: must be a plan key',
    ],
    [
      {
        plan: 'business',
        currency: 'EUR',
        cycle: 'monthly',
        perSeatAmount: -1,
      },
      'perSeatAmount: must be at least 0',
    ],
    [
      {
        plan: 'business',
        currency: 'EUR',
        cycle: 'monthly',
        perSeatAmount: 1,
        extra: 1,
      },
      'extra',
    ],
  ])('refuses %j with 400 (%s) and writes nothing', async (body, message) => {
    const { server, trail } = await start();
    const res = await request(server)
      .post('/api/billing/prices')
      .set('authorization', as(OPERATOR))
      .send(body);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(message);
    const list = await request(server)
      .get('/api/billing/prices')
      .set('authorization', as(OPERATOR));
    expect(list.body.items).toEqual([]);
    expect(trail.state.recorded).toEqual([]);
  });

  it('answers 409 for a second price of the same plan, currency and cycle, and 404 for an unknown id', async () => {
    const { server } = await start();
    const body = {
      plan: 'business',
      currency: 'EUR',
      cycle: 'monthly',
      perSeatAmount: 1190,
    };
    const post = () =>
      request(server)
        .post('/api/billing/prices')
        .set('authorization', as(OPERATOR))
        .send(body);
    expect((await post()).status).toBe(201);
    const again = await post();
    expect(again.status).toBe(409);
    expect(again.body.error.message).toContain(
      'already has a monthly price in EUR',
    );
    const missing = await request(server)
      .get('/api/billing/prices/6f1c1c1e-0000-4000-8000-000000000000')
      .set('authorization', as(OPERATOR));
    expect(missing.status).toBe(404);
  });
});

describe('the seeded price catalog', () => {
  it('fills an empty catalog from billing.seedPrices, audited as the plugin', async () => {
    const { server, trail } = await start({
      billing: {
        seedPrices: [
          {
            plan: 'starter',
            currency: 'EUR',
            cycle: 'monthly',
            perSeatAmount: 490,
          },
          {
            plan: 'starter',
            currency: 'EUR',
            cycle: 'yearly',
            perSeatAmount: 4900,
          },
        ],
      },
    });
    const list = await request(server)
      .get('/api/billing/prices')
      .set('authorization', as(OPERATOR));
    expect(list.body.items.map((p: any) => [p.cycle, p.perSeatAmount])).toEqual(
      [
        ['monthly', 490],
        ['yearly', 4900],
      ],
    );
    expect(trail.state.recorded.map(e => [e.action, e.actor])).toEqual([
      ['billing.price.created', { type: 'service', ref: 'plugin:billing' }],
      ['billing.price.created', { type: 'service', ref: 'plugin:billing' }],
    ]);
  });

  it('refuses to start on a bad seed entry, naming it', async () => {
    await expect(
      start({
        billing: {
          seedPrices: [
            {
              plan: 'starter',
              currency: 'EUR',
              cycle: 'monthly',
              perSeatAmount: 4.9,
            },
          ],
        },
      }),
    ).rejects.toThrow(/billing.seedPrices\[0\]: perSeatAmount/);
  });
});

describe('tenants’ billing from their lifecycle events', () => {
  it('moves the subscriptions of an edited price (Stripe not connected: locally) and shows partner staff the outcomes of their own tenants only', async () => {
    const { server } = await start(
      { billing: { seedPrices: PRICES } },
      activated(),
    );
    // the follower has applied every event once the records are there
    for (let i = 0; i < 100; i++) {
      const list = await request(server)
        .get('/api/billing/tenants')
        .set('authorization', as(OPERATOR));
      if (list.body.items.filter((t: any) => t.status).length === 4) break;
      await new Promise(r => setTimeout(r, 100));
    }
    const prices = await request(server)
      .get('/api/billing/prices?currency=EUR')
      .set('authorization', as(OPERATOR));
    const eur = prices.body.items[0];
    const impact = await request(server)
      .get(`/api/billing/prices/${eur.id}/impact?perSeatAmount=1290`)
      .set('authorization', as(OPERATOR));
    expect(impact.body).toMatchObject({
      subscriptions: 3,
      perCurrency: [
        {
          currency: 'EUR',
          subscriptions: 3,
          mrrBefore: 1190 * 15,
          mrrAfter: 1290 * 15,
          mrrChange: 100 * 15,
        },
      ],
    });
    expect(
      (
        await request(server)
          .get(`/api/billing/prices/${eur.id}/impact?perSeatAmount=12.9`)
          .set('authorization', as(OPERATOR))
      ).status,
    ).toBe(400);
    const edited = await request(server)
      .patch(`/api/billing/prices/${eur.id}`)
      .set('authorization', as(OPERATOR))
      .send({ perSeatAmount: 1290, version: eur.version });
    expect(edited.status).toBe(200);
    expect(
      edited.body.repricing.map((o: any) => [o.tenant, o.outcome]).sort(),
    ).toEqual([
      ['a-nord', 'moved'],
      ['b-nord', 'moved'],
      ['d-direct', 'moved'],
    ]);
    const staff = await request(server)
      .get(`/api/billing/prices/${eur.id}`)
      .set('authorization', as(STAFF));
    expect(staff.status).toBe(200);
    expect(staff.body.repricing.map((o: any) => o.tenant).sort()).toEqual([
      'a-nord',
      'b-nord',
    ]);
    const mrr = await request(server)
      .get('/api/billing/mrr')
      .set('authorization', as(OPERATOR));
    expect(mrr.body.total).toContainEqual({
      currency: 'EUR',
      mrr: 1290 * 15,
      pausedMrr: 0,
      subscriptions: 3,
    });
  });

  it('keeps a subscription record per billed tenant and the MRR per currency; partner staff see their partner’s only (random requests)', async () => {
    const { server, trail } = await start(
      { billing: { seedPrices: PRICES } },
      activated(),
    );
    const all = await request(server)
      .get('/api/billing/tenants')
      .set('authorization', as(OPERATOR));
    expect(
      all.body.items.map((t: any) => [
        t.tenant,
        t.status ?? null,
        t.currency ?? null,
        t.mrr,
        t.condition.kind,
      ]),
    ).toEqual([
      ['a-nord', 'active', 'EUR', 11900, 'in-sync'],
      ['b-nord', 'active', 'EUR', 3570, 'in-sync'],
      ['c-sued', 'active', 'CHF', 9030, 'in-sync'],
      ['d-direct', 'active', 'EUR', 2380, 'in-sync'],
      ['e-direct', null, null, 0, 'missing-billing-details'],
    ]);
    const mrr = await request(server)
      .get('/api/billing/mrr')
      .set('authorization', as(OPERATOR));
    expect(mrr.body.total).toEqual([
      { currency: 'CHF', mrr: 9030, pausedMrr: 0, subscriptions: 1 },
      { currency: 'EUR', mrr: 17850, pausedMrr: 0, subscriptions: 3 },
    ]);
    expect(mrr.body.direct).toEqual([
      { currency: 'EUR', mrr: 2380, pausedMrr: 0, subscriptions: 1 },
    ]);
    expect(
      trail.state.recorded.filter(
        e => e.action === 'billing.subscription.created',
      ),
    ).toHaveLength(4);

    // partner staff: nord's tenants only, in lists, sums and single reads
    const staffList = await request(server)
      .get('/api/billing/tenants')
      .set('authorization', as(STAFF));
    expect(staffList.body.items.map((t: any) => t.tenant)).toEqual([
      'a-nord',
      'b-nord',
    ]);
    expect(staffList.body.total).toBe(2);
    const staffMrr = await request(server)
      .get('/api/billing/mrr')
      .set('authorization', as(STAFF));
    expect(staffMrr.body).toEqual({
      total: [{ currency: 'EUR', mrr: 15470, pausedMrr: 0, subscriptions: 2 }],
      partners: [
        {
          partnerRef: NORD,
          totals: [
            { currency: 'EUR', mrr: 15470, pausedMrr: 0, subscriptions: 2 },
          ],
        },
      ],
      direct: [],
    });
    const random = seededRandom(5);
    for (let i = 0; i < 30; i++) {
      const [name, partnerRef] = TENANTS[random(TENANTS.length)];
      const query = [
        '',
        '?condition=in-sync',
        '?condition=missing-billing-details',
        '?limit=1&offset=1',
      ][random(4)];
      const one = await request(server)
        .get(`/api/billing/tenants/${name}`)
        .set('authorization', as(STAFF));
      expect([name, one.status]).toEqual([
        name,
        partnerRef === NORD ? 200 : 404,
      ]);
      const list = await request(server)
        .get(`/api/billing/tenants${query}`)
        .set('authorization', as(STAFF));
      for (const t of list.body.items) {
        expect([query, t.tenant, t.partnerRef]).toEqual([
          query,
          t.tenant,
          NORD,
        ]);
      }
    }
    expect(
      (
        await request(server)
          .get('/api/billing/mrr')
          .set('authorization', as(OUTSIDER))
      ).status,
    ).toBe(403);
  });
});
