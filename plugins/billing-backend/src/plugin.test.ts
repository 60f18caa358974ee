import {
  BackstageCredentials,
  coreServices,
  createServiceFactory,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import {
  AuthorizeResult,
  Permission,
} from '@backstage/plugin-permission-common';
import { recordingAuditTrail } from '@internal/plugin-audit-node';
import { billingPriceReadPermission } from '@internal/plugin-billing-common';
import request from 'supertest';
import { billingPlugin } from './plugin';

jest.setTimeout(60_000);

const OPERATOR = 'user:default/anna';
const STAFF = 'user:default/jana';
const OUTSIDER = 'user:default/olaf';

/** As the portal's policy decides for billing (permission-backend-module-dezky). */
function allowed(permission: Permission, credentials: BackstageCredentials) {
  const user = (credentials.principal as { userEntityRef?: string })
    .userEntityRef;
  if (user === OPERATOR) return true;
  return user === STAFF && permission.name === billingPriceReadPermission.name;
}

const permissions = createServiceFactory({
  service: coreServices.permissions,
  deps: {},
  factory: (): PermissionsService => ({
    authorize: async (requests, { credentials }) =>
      requests.map(r => ({
        result: allowed(r.permission, credentials)
          ? AuthorizeResult.ALLOW
          : AuthorizeResult.DENY,
      })),
    authorizeConditional: async (requests, { credentials }) =>
      requests.map(r => ({
        result: allowed(r.permission, credentials)
          ? AuthorizeResult.ALLOW
          : AuthorizeResult.DENY,
      })),
  }),
});

const as = (user: string) =>
  mockCredentials.user.header(user) as unknown as string;

async function start(config: object = {}) {
  const trail = recordingAuditTrail();
  const { server } = await startTestBackend({
    features: [
      billingPlugin,
      permissions,
      trail.factory,
      mockServices.database.factory(),
      mockServices.rootConfig.factory({ data: config }),
    ],
  });
  return { server, trail };
}

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
