import {
  BackstageCredentials,
  coreServices,
  createBackendPlugin,
  createServiceFactory,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  AuthorizeResult,
  Permission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import { createConditionExports } from '@backstage/plugin-permission-node';
import { AuditEvent } from '@internal/plugin-audit-common';
import {
  auditEventPermissionRules,
  auditEventResourceRef,
  recordingAuditTrail,
} from '@internal/plugin-audit-node';
// the audit backend is the chain the flags plugin records into; in the
// portal it is installed beside it (packages/backend)
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import {
  auditChainServiceFactory,
  auditPlugin,
  auditTrailServiceFactory,
  chainAuditorServiceFactory,
} from '@internal/plugin-audit-backend';
import {
  Flag,
  flagEvaluatePermission,
  flagReadPermission,
} from '@internal/plugin-flags-common';
import {
  flagsServiceRef,
  flagTenantPermissionRules,
  flagTenantResourceRef,
  rolloutBucket,
} from '@internal/plugin-flags-node';
import express from 'express';
import request from 'supertest';
import { flagsPlugin } from './plugin';
import { SEED_FLAGS } from './service/seedFlags';

jest.setTimeout(60_000);

const flagTenants = createConditionExports({
  resourceRef: flagTenantResourceRef,
  rules: flagTenantPermissionRules,
});
const auditEvents = createConditionExports({
  resourceRef: auditEventResourceRef,
  rules: auditEventPermissionRules,
});

const OPERATOR = 'user:default/anna';
const STAFF = 'user:default/jana'; // staff of nordlicht-it
const OUTSIDER = 'user:default/olaf';
const NORDLICHT = 'partner:default/nordlicht-it';

/** Users the policy denies everything, whatever their role (a test changes it). */
const revoked = new Set<string>();

/** As packages/backend's policy decides (permission-backend-module-dezky). */
function decide(
  permission: Permission,
  credentials: BackstageCredentials,
): PolicyDecision {
  const principal = credentials.principal as {
    type: string;
    userEntityRef?: string;
  };
  if (principal.userEntityRef && revoked.has(principal.userEntityRef)) {
    return { result: AuthorizeResult.DENY };
  }
  if (principal.type === 'service' || principal.userEntityRef === OPERATOR) {
    return { result: AuthorizeResult.ALLOW };
  }
  if (principal.userEntityRef === STAFF) {
    if (permission.name === flagReadPermission.name) {
      return { result: AuthorizeResult.ALLOW };
    }
    if (permission.name === flagEvaluatePermission.name) {
      return flagTenants.createConditionalDecision(
        flagEvaluatePermission,
        flagTenants.conditions.isTenantOfPartner({ partnerRefs: [NORDLICHT] }),
      );
    }
    if (permission.name === 'audit.event.read') {
      return {
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'audit',
        resourceType: 'audit-event',
        conditions: auditEvents.conditions.belongsToPartner({
          partnerRefs: [NORDLICHT],
        }),
      };
    }
  }
  return { result: AuthorizeResult.DENY };
}

const permissionsFactory = createServiceFactory({
  service: coreServices.permissions,
  deps: {},
  factory: (): PermissionsService => ({
    authorize: async (reqs, { credentials }) =>
      reqs.map(r => ({
        result:
          decide(r.permission, credentials).result === AuthorizeResult.ALLOW
            ? AuthorizeResult.ALLOW
            : AuthorizeResult.DENY,
      })) as any,
    authorizeConditional: async (reqs, { credentials }) =>
      reqs.map(r => decide(r.permission, credentials)) as any,
  }),
});

const tenant = (name: string, plan: string, partner?: string): Entity => ({
  apiVersion: 'dezky.io/v1alpha1',
  kind: 'Tenant',
  metadata: { name, namespace: 'default' },
  spec: {
    owner: 'group:default/x',
    plan,
    seats: 5,
    domains: [`${name}.example`],
    ...(partner ? { partner } : {}),
  },
});
const TENANTS = [
  tenant('acme', 'business', 'nordlicht-it'),
  tenant('hafenkontor', 'starter', 'nordlicht-it'),
  tenant('bergblick-hotels', 'business', 'alpenwerk-systems'),
  tenant('kiel-klinik', 'enterprise'),
];
const partner = (name: string): Entity => ({
  apiVersion: 'dezky.io/v1alpha1',
  kind: 'Partner',
  metadata: { name, namespace: 'default' },
  spec: { owner: `group:default/partner-${name}` },
});
const PARTNERS = [partner('nordlicht-it'), partner('alpenwerk-systems')];

/**
 * The catalog's HTTP API as the flags client (flags-node) reads it, and a
 * plugin using the client the way billing will: GET /check/:flag/:tenant.
 */
const catalogHttp = createBackendPlugin({
  pluginId: 'catalog',
  register(env) {
    env.registerInit({
      deps: { httpRouter: coreServices.httpRouter },
      async init({ httpRouter }) {
        const router = express.Router();
        router.get('/entities/by-query', (_req, res) => {
          res.json({ items: TENANTS, pageInfo: {} });
        });
        httpRouter.use(router);
      },
    });
  },
});
const consumer = createBackendPlugin({
  pluginId: 'billing',
  register(env) {
    env.registerInit({
      deps: { httpRouter: coreServices.httpRouter, flags: flagsServiceRef },
      async init({ httpRouter, flags }) {
        const router = express.Router();
        router.get('/check/:flag/:tenant', async (req, res) => {
          res.json({
            enabled: await flags.isEnabled(req.params.flag, req.params.tenant),
          });
        });
        httpRouter.use(router);
      },
    });
  },
});

async function start(options?: {
  trail?: ReturnType<typeof recordingAuditTrail>;
}) {
  const { server } = await startTestBackend({
    features: [
      flagsPlugin,
      ...(options?.trail
        ? [options.trail.factory]
        : [
            auditPlugin,
            auditChainServiceFactory,
            auditTrailServiceFactory,
            chainAuditorServiceFactory,
          ]),
      catalogHttp,
      consumer,
      permissionsFactory,
      catalogServiceMock.factory({ entities: [...TENANTS, ...PARTNERS] }),
      mockServices.rootConfig.factory({
        data: {
          backend: {
            database: { client: 'better-sqlite3', connection: ':memory:' },
          },
          flags: { environment: 'production' },
        },
      }),
    ],
  });
  return server;
}

type Server = Awaited<ReturnType<typeof start>>;

function as(server: Server, user: string) {
  const auth = (r: request.Test) =>
    r.set('Authorization', mockCredentials.user.header(user));
  return {
    get: (path: string) => auth(request(server).get(path)),
    post: (path: string, body?: object) =>
      auth(request(server).post(path)).send(body),
    patch: (path: string, body?: object) =>
      auth(request(server).patch(path)).send(body),
    delete: (path: string) => auth(request(server).delete(path)),
  };
}

/** The seq of the audit chain's newest event (0 when empty). */
async function chainHead(server: Server): Promise<number> {
  const res = await as(server, OPERATOR).get('/api/audit/events?limit=1');
  expect(res.status).toBe(200);
  return res.body.items[0]?.seq ?? 0;
}

/** Every event after `seq`, oldest first. */
async function eventsSince(server: Server, seq: number): Promise<AuditEvent[]> {
  const res = await as(server, OPERATOR).get('/api/audit/events?limit=500');
  expect(res.status).toBe(200);
  return (res.body.items as AuditEvent[]).filter(e => e.seq > seq).reverse();
}

/** The flag events of the audit chain, oldest first. */
async function flagEvents(server: Server): Promise<AuditEvent[]> {
  const res = await as(server, OPERATOR).get(
    '/api/audit/events?action=flag.*&limit=500',
  );
  expect(res.status).toBe(200);
  return (res.body.items as AuditEvent[]).reverse();
}

const newFlag = {
  key: 'jmap_beta',
  description: 'JMAP beta',
  type: 'experiment',
};

describe('flags API', () => {
  let server: Server;
  beforeAll(async () => {
    server = await start();
  });

  it('seeds the ten flags on startup, each audited as flag.created by the system', async () => {
    const res = await as(server, OPERATOR).get('/api/flags/flags');
    expect(res.status).toBe(200);
    expect(res.body.items.map((f: Flag) => f.key)).toEqual(
      SEED_FLAGS.map(f => f.key).sort(),
    );
    const created = (await flagEvents(server)).filter(
      e => e.actor.type === 'system',
    );
    expect(created.map(e => e.resource?.ref).sort()).toEqual(
      SEED_FLAGS.map(f => `flag:${f.key}`).sort(),
    );
    expect(created.every(e => e.action === 'flag.created')).toBe(true);
  });

  it('serves the list with an ETag, and 304 while it is unchanged', async () => {
    const first = await as(server, OPERATOR).get('/api/flags/flags');
    const etag = first.headers.etag;
    expect(etag).toMatch(/^"[0-9a-f]{8}-\d+"$/);
    const again = await as(server, OPERATOR)
      .get('/api/flags/flags')
      .set('If-None-Match', etag);
    expect(again.status).toBe(304);
    await as(server, OPERATOR).post('/api/flags/flags', {
      key: 'etag_probe',
      description: 'x',
    });
    const changed = await as(server, OPERATOR)
      .get('/api/flags/flags')
      .set('If-None-Match', etag);
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    await as(server, OPERATOR).delete('/api/flags/flags/etag_probe');
  });

  it('lets operators create, change, kill and delete, each change in the audit chain with its diff', async () => {
    const op = as(server, OPERATOR);
    const before = (await flagEvents(server)).length;

    const created = await op.post('/api/flags/flags', newFlag);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      key: 'jmap_beta',
      state: 'off',
      pct: 0,
      type: 'experiment',
      scope: { plans: [], tenants: [], partners: [], environments: [] },
    });
    expect((await op.post('/api/flags/flags', newFlag)).status).toBe(409);
    expect((await op.get('/api/flags/flags/jmap_beta')).body).toEqual(
      created.body,
    );

    const patched = await op.patch('/api/flags/flags/jmap_beta', {
      state: 'rollout',
      pct: 12.5,
      scope: { plans: ['business'] },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ state: 'rollout', pct: 12.5 });

    const killed = await op.post('/api/flags/flags/jmap_beta/kill');
    expect(killed.status).toBe(200);
    expect(killed.body).toMatchObject({ state: 'off', pct: 0 });

    expect((await op.delete('/api/flags/flags/jmap_beta')).status).toBe(204);
    expect((await op.get('/api/flags/flags/jmap_beta')).status).toBe(404);
    expect((await op.delete('/api/flags/flags/jmap_beta')).status).toBe(404);

    const events = (await flagEvents(server)).slice(before);
    expect(events.map(e => e.action)).toEqual([
      'flag.created',
      'flag.updated',
      'flag.killed',
      'flag.deleted',
    ]);
    for (const e of events) {
      expect(e).toMatchObject({
        actor: { type: 'user', ref: OPERATOR },
        outcome: 'success',
        resource: { type: 'flag', ref: 'flag:jmap_beta', name: 'jmap_beta' },
        source: 'portal',
      });
    }
    expect(events[0].metadata).toMatchObject({
      description: { from: null, to: 'JMAP beta' },
      state: { from: null, to: 'off' },
    });
    expect(events[1].metadata).toEqual({
      state: { from: 'off', to: 'rollout' },
      pct: { from: 0, to: 12.5 },
      'scope.plans': { from: [], to: ['business'] },
    });
    expect(events[2].metadata).toEqual({
      state: { from: 'rollout', to: 'off' },
      pct: { from: 12.5, to: 0 },
    });
    expect(events[3].metadata).toMatchObject({
      state: { from: 'off', to: null },
      'scope.plans': { from: ['business'], to: null },
    });

    // the history view reads the same events from the chain, newest first
    const history = await op.get('/api/flags/flags/jmap_beta/history');
    expect(history.status).toBe(200);
    expect(history.body.items.map((e: AuditEvent) => e.seq)).toEqual(
      events.map(e => e.seq).reverse(),
    );
  });

  it.each<[string, 'post' | 'patch' | 'get', string, object, string]>([
    [
      'unknown state',
      'post',
      '/api/flags/flags',
      { ...newFlag, state: 'maybe' },
      'state',
    ],
    [
      'pct above 100',
      'post',
      '/api/flags/flags',
      { ...newFlag, state: 'rollout', pct: 100.01 },
      'pct',
    ],
    [
      'negative pct',
      'post',
      '/api/flags/flags',
      { ...newFlag, state: 'rollout', pct: -1 },
      'pct',
    ],
    [
      'pct with 3 decimals',
      'post',
      '/api/flags/flags',
      { ...newFlag, state: 'rollout', pct: 12.345 },
      'pct',
    ],
    [
      'pct as a string',
      'post',
      '/api/flags/flags',
      { ...newFlag, state: 'rollout', pct: '10' },
      'pct',
    ],
    [
      'pct with state on',
      'post',
      '/api/flags/flags',
      { ...newFlag, state: 'on', pct: 10 },
      'pct',
    ],
    [
      'pct without a state (off)',
      'post',
      '/api/flags/flags',
      { ...newFlag, pct: 10 },
      'pct',
    ],
    [
      'key not a slug',
      'post',
      '/api/flags/flags',
      { ...newFlag, key: 'Jmap Beta' },
      'key',
    ],
    [
      'key too long',
      'post',
      '/api/flags/flags',
      { ...newFlag, key: 'k'.repeat(65) },
      'key',
    ],
    [
      'missing description',
      'post',
      '/api/flags/flags',
      { key: 'jmap_beta' },
      'description',
    ],
    [
      'unknown type',
      'post',
      '/api/flags/flags',
      { ...newFlag, type: 'feature' },
      'type',
    ],
    [
      'unknown field',
      'post',
      '/api/flags/flags',
      { ...newFlag, colour: 'red' },
      'colour',
    ],
    [
      'unknown scope axis',
      'post',
      '/api/flags/flags',
      { ...newFlag, scope: { regions: ['eu'] } },
      'regions',
    ],
    [
      'scope not lists',
      'post',
      '/api/flags/flags',
      { ...newFlag, scope: { plans: 'business' } },
      'scope.plans',
    ],
    [
      'PATCH unknown state',
      'patch',
      '/api/flags/flags/new_billing_engine',
      { state: 'maybe' },
      'state',
    ],
    [
      'PATCH pct out of range',
      'patch',
      '/api/flags/flags/new_billing_engine',
      { state: 'rollout', pct: 101 },
      'pct',
    ],
    [
      'PATCH pct on an off flag',
      'patch',
      '/api/flags/flags/new_billing_engine',
      { pct: 10 },
      'pct',
    ],
    [
      'PATCH pct with targeted',
      'patch',
      '/api/flags/flags/new_billing_engine',
      { state: 'targeted', pct: 10 },
      'pct',
    ],
    [
      'PATCH the key',
      'patch',
      '/api/flags/flags/new_billing_engine',
      { key: 'other' },
      'key',
    ],
    [
      'PATCH a bad key in the path',
      'patch',
      '/api/flags/flags/Not%20A%20Slug',
      { state: 'on' },
      'key',
    ],
    [
      'pct with more than two decimals (99.999999999)',
      'post',
      '/api/flags/flags',
      { ...newFlag, state: 'rollout', pct: 99.999999999 },
      'pct: must have at most two decimals',
    ],
    [
      'PATCH pct with three decimals',
      'patch',
      '/api/flags/flags/new_billing_engine',
      { state: 'rollout', pct: 12.345 },
      'pct: must have at most two decimals',
    ],
    [
      'a scope tenant the catalog does not have',
      'post',
      '/api/flags/flags',
      { ...newFlag, state: 'targeted', scope: { tenants: ['acme', 'ghost'] } },
      'scope.tenants: unknown tenant ghost',
    ],
    [
      'a scope partner the catalog does not have',
      'patch',
      '/api/flags/flags/new_billing_engine',
      { state: 'targeted', scope: { partners: ['acme'] } },
      'scope.partners: unknown partner acme',
    ],
    [
      'a scope plan no tenant has',
      'patch',
      '/api/flags/flags/new_billing_engine',
      { state: 'targeted', scope: { plans: ['platinum'] } },
      'scope.plans: unknown plan platinum',
    ],
    [
      'a scope value that is not a catalog name',
      'patch',
      '/api/flags/flags/new_billing_engine',
      { state: 'targeted', scope: { tenants: ['../acme'] } },
      'scope.tenants.0',
    ],
    [
      'an owner that is not an entity ref',
      'post',
      '/api/flags/flags',
      { ...newFlag, owner: 'anna' },
      'owner: must be the entity ref of a user or group',
    ],
    [
      'an owner of another kind',
      'patch',
      '/api/flags/flags/new_billing_engine',
      { owner: 'component:default/x' },
      'owner',
    ],
    [
      'a NUL byte in a body string',
      'post',
      '/api/flags/flags',
      { ...newFlag, description: 'a\u0000b' },
      'description: must not contain a NUL byte',
    ],
    [
      'a tenant ref in another namespace',
      'post',
      '/api/flags/evaluate',
      { tenant: 'tenant:evil/acme' },
      'tenant: must be a tenant of the default namespace',
    ],
    [
      'a tenant with path characters',
      'post',
      '/api/flags/evaluate',
      { tenant: '../acme' },
      'tenant:',
    ],
    [
      'a tenant of another kind',
      'post',
      '/api/flags/evaluate/bulk',
      { tenants: ['acme', 'partner:default/acme'] },
      'tenants.1: must be a tenant name or a tenant entity ref',
    ],
    [
      'a tenant path parameter in another namespace',
      'get',
      `/api/flags/tenants/${encodeURIComponent('tenant:evil/acme')}`,
      {},
      'name: must be a tenant of the default namespace',
    ],
    [
      'a NUL byte in a query parameter',
      'get',
      '/api/flags/flags?owner=%00',
      {},
      'owner: must not contain a NUL byte',
    ],
  ])(
    'answers 400 naming the field, and writes nothing: %s',
    async (_n, method, path, body, field) => {
      const op = as(server, OPERATOR);
      const before = await op.get('/api/flags/flags');
      const headBefore = await chainHead(server);
      const res =
        method === 'get' ? await op.get(path) : await op[method](path, body);
      expect(res.status).toBe(400);
      expect(res.body.error.name).toBe('InputError');
      expect(res.body.error.message).toContain(field);
      const after = await op.get('/api/flags/flags');
      expect(after.body).toEqual(before.body);
      expect(after.headers.etag).toBe(before.headers.etag);
      // no event at all, of any kind
      expect(await chainHead(server)).toBe(headBefore);
    },
  );

  it('answers 415 to a POST or PATCH whose body is not JSON, and 400 to malformed JSON, writing nothing', async () => {
    const before = await as(server, OPERATOR).get('/api/flags/flags');
    const headBefore = await chainHead(server);
    const send = (method: 'post' | 'patch', path: string) =>
      request(server)
        [method](path)
        .set('Authorization', mockCredentials.user.header(OPERATOR));
    for (const res of [
      await send('patch', '/api/flags/flags/new_billing_engine')
        .set('Content-Type', 'text/plain')
        .send('{"state":"on"}'),
      await send('post', '/api/flags/flags')
        .type('form')
        .send({ key: 'formed', description: 'x' }),
      await send('post', '/api/flags/evaluate')
        .set('Content-Type', 'text/plain')
        .send('acme'),
    ]) {
      expect(res.status).toBe(415);
      expect(res.body.error.message).toContain(
        'Content-Type must be application/json',
      );
    }
    const malformed = await send('patch', '/api/flags/flags/new_billing_engine')
      .set('Content-Type', 'application/json')
      .send('{"state": on}');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.message).toMatch(/^body: not valid JSON/);
    const after = await as(server, OPERATOR).get('/api/flags/flags');
    expect(after.body).toEqual(before.body);
    expect(after.headers.etag).toBe(before.headers.etag);
    expect(await chainHead(server)).toBe(headBefore);
  });

  it('writes nothing, records nothing and keeps the version for a PATCH that changes nothing', async () => {
    const op = as(server, OPERATOR);
    const patch = {
      state: 'targeted',
      scope: { tenants: ['acme'], plans: ['business'] },
      owner: 'group:default/dezky-platform-admins',
    };
    expect(
      (await op.patch('/api/flags/flags/maintenance_banner', patch)).status,
    ).toBe(200);
    const before = await op.get('/api/flags/flags');
    const headBefore = await chainHead(server);
    for (let i = 0; i < 3; i++) {
      const res = await op.patch('/api/flags/flags/maintenance_banner', patch);
      expect(res.status).toBe(200);
    }
    const after = await op.get('/api/flags/flags');
    expect(after.headers.etag).toBe(before.headers.etag);
    expect(after.body).toEqual(before.body);
    expect(await chainHead(server)).toBe(headBefore);
  });

  it('authorizes before it validates: 403 to staff whatever the body, each refusal in the audit chain', async () => {
    const staff = as(server, STAFF);
    const before = await as(server, OPERATOR).get('/api/flags/flags');
    const headBefore = await chainHead(server);
    const staffRaw = (method: 'post' | 'patch', path: string) =>
      request(server)
        [method](path)
        .set('Authorization', mockCredentials.user.header(STAFF));
    for (const res of [
      await staff.post('/api/flags/flags', { key: 'NOT A SLUG', pct: 'x' }),
      await staff.patch('/api/flags/flags/Not%20A%20Slug', { nonsense: 1 }),
      await staffRaw('patch', '/api/flags/flags/new_billing_engine')
        .set('Content-Type', 'text/plain')
        .send('hello'),
      await staffRaw('post', '/api/flags/flags')
        .set('Content-Type', 'application/json')
        .send('{"broken'),
    ]) {
      expect(res.status).toBe(403);
      expect(res.body.error.name).toBe('NotAllowedError');
    }
    const after = await as(server, OPERATOR).get('/api/flags/flags');
    expect(after.headers.etag).toBe(before.headers.etag);
    const refusals = await eventsSince(server, headBefore);
    expect(refusals.map(e => [e.action, e.outcome])).toEqual(
      Array(4).fill(['flags.flag.manage', 'failure']),
    );
  });

  it('records a staff 403 on a flag mutation with the tenant it concerned, visible to that tenant’s partner only', async () => {
    const staff = as(server, STAFF);
    const headBefore = await chainHead(server);
    const own = await staff.patch('/api/flags/flags/new_billing_engine', {
      state: 'targeted',
      scope: { tenants: ['acme'] },
    });
    expect(own.status).toBe(403);
    const others = await staff.patch('/api/flags/flags/new_billing_engine', {
      state: 'targeted',
      scope: { tenants: ['bergblick-hotels'] },
    });
    expect(others.status).toBe(403);
    const killed = await staff.post('/api/flags/flags/outbound_mail/kill');
    expect(killed.status).toBe(403);

    const [onOwn, onOthers, onNone] = await eventsSince(server, headBefore);
    expect(onOwn).toMatchObject({
      actor: { type: 'user', ref: STAFF },
      action: 'flags.flag.manage',
      outcome: 'failure',
      tenant: 'tenant:default/acme',
      partner: NORDLICHT,
      source: 'portal',
      metadata: {
        request: 'PATCH /api/flags/flags/new_billing_engine',
        error: { name: 'NotAllowedError' },
      },
    });
    expect(onOthers).toMatchObject({
      tenant: 'tenant:default/bergblick-hotels',
      partner: 'partner:default/alpenwerk-systems',
    });
    expect(onNone.tenant).toBeUndefined();
    expect(onNone.partner).toBeUndefined();
    expect(onNone.metadata).toMatchObject({
      request: 'POST /api/flags/flags/outbound_mail/kill',
    });

    // Nordlicht's staff see the attempt on their tenant, not the others
    const seen = await staff.get(
      `/api/audit/events?action=flags.flag.manage&limit=500`,
    );
    expect(seen.status).toBe(200);
    const seqs = seen.body.items.map((e: AuditEvent) => e.seq);
    expect(seqs).toContain(onOwn.seq);
    expect(seqs).not.toContain(onOthers.seq);
    expect(seqs).not.toContain(onNone.seq);
  });

  it('shows partner staff only their own tenants and partners in a flag’s scope, with a count of the rest', async () => {
    const op = as(server, OPERATOR);
    expect(
      (
        await op.post('/api/flags/flags', {
          key: 'mixed_scope',
          description: 'Three partners',
          state: 'targeted',
          scope: {
            tenants: ['acme', 'bergblick-hotels', 'kiel-klinik'],
            partners: ['nordlicht-it', 'alpenwerk-systems'],
          },
        })
      ).status,
    ).toBe(201);
    const staff = as(server, STAFF);
    const one = await staff.get('/api/flags/flags/mixed_scope');
    expect(one.status).toBe(200);
    expect(one.body.scope).toEqual({
      plans: [],
      tenants: ['acme'],
      partners: ['nordlicht-it'],
      environments: [],
    });
    expect(one.body.hidden).toEqual({ tenants: 2, partners: 1 });
    const list = await staff.get('/api/flags/flags');
    expect(list.body.items.find((f: Flag) => f.key === 'mixed_scope')).toEqual(
      one.body,
    );
    const text = JSON.stringify(list.body);
    for (const name of ['bergblick-hotels', 'kiel-klinik', 'alpenwerk']) {
      expect(text).not.toContain(name);
    }
    // operators see it whole, and a different ETag
    const full = await op.get('/api/flags/flags/mixed_scope');
    expect(full.body.scope.tenants).toHaveLength(3);
    expect(full.body.hidden).toBeUndefined();
    const opList = await op.get('/api/flags/flags');
    expect(opList.headers.etag).not.toBe(list.headers.etag);
    // staff revalidate their own view: 304 while it is unchanged
    const again = await request(server)
      .get('/api/flags/flags')
      .set('Authorization', mockCredentials.user.header(STAFF))
      .set('If-None-Match', list.headers.etag);
    expect(again.status).toBe(304);
  });

  it('keeps partner staff from every mutation: 403, nothing written', async () => {
    const staff = as(server, STAFF);
    const before = await as(server, OPERATOR).get('/api/flags/flags');
    const eventsBefore = (await flagEvents(server)).length;
    for (const res of [
      await staff.post('/api/flags/flags', newFlag),
      await staff.patch('/api/flags/flags/new_billing_engine', { state: 'on' }),
      await staff.post('/api/flags/flags/outbound_mail/kill'),
      await staff.delete('/api/flags/flags/new_billing_engine'),
    ]) {
      expect(res.status).toBe(403);
    }
    const after = await as(server, OPERATOR).get('/api/flags/flags');
    expect(after.body).toEqual(before.body);
    expect((await flagEvents(server)).length).toBe(eventsBefore);
  });

  it('lets partner staff read the flags, and see the effect on their own tenants only', async () => {
    const op = as(server, OPERATOR);
    await op.post('/api/flags/flags', {
      key: 'nordlicht_only',
      description: 'For one partner',
      state: 'targeted',
      scope: { partners: ['nordlicht-it'] },
    });
    const staff = as(server, STAFF);
    expect((await staff.get('/api/flags/flags')).status).toBe(200);
    expect((await staff.get('/api/flags/flags/nordlicht_only')).status).toBe(
      200,
    );

    const own = await staff.post('/api/flags/evaluate', { tenant: 'acme' });
    expect(own.status).toBe(200);
    expect(own.body.tenant).toBe('acme');
    expect(own.body.context).toEqual({
      tenant: 'acme',
      plan: 'business',
      partner: 'nordlicht-it',
      environment: 'production',
    });
    expect(
      own.body.flags.find((f: { key: string }) => f.key === 'nordlicht_only'),
    ).toEqual({ key: 'nordlicht_only', value: true, reason: 'targeted-match' });

    // another partner's tenant, a direct customer and an unknown tenant all
    // look the same: not found
    for (const other of [
      'bergblick-hotels',
      'tenant:default/bergblick-hotels',
      'kiel-klinik',
      'no-such-tenant',
    ]) {
      const res = await staff.post('/api/flags/evaluate', { tenant: other });
      expect(res.status).toBe(404);
      expect(
        (await staff.get(`/api/flags/tenants/${encodeURIComponent(other)}`))
          .status,
      ).toBe(404);
    }
    expect((await staff.get('/api/flags/tenants/hafenkontor')).status).toBe(
      200,
    );

    // bulk: others' tenants silently left out
    const bulk = await staff.post('/api/flags/evaluate/bulk', {
      tenants: ['acme', 'bergblick-hotels', 'hafenkontor', 'kiel-klinik'],
    });
    expect(bulk.status).toBe(200);
    expect(bulk.body.results.map((r: { tenant: string }) => r.tenant)).toEqual([
      'acme',
      'hafenkontor',
    ]);

    // the preview counts their own tenants only: 2 of 2 (operators: of 4)
    const preview = { state: 'targeted', scope: { plans: ['business'] } };
    expect((await staff.post('/api/flags/preview', preview)).body).toEqual({
      matching: 1,
      total: 2,
    });
    expect((await op.post('/api/flags/preview', preview)).body).toEqual({
      matching: 2,
      total: 4,
    });
  });

  it('refuses everything to users who are neither operators nor partner staff', async () => {
    const outsider = as(server, OUTSIDER);
    for (const res of [
      await outsider.get('/api/flags/flags'),
      await outsider.get('/api/flags/flags/new_billing_engine'),
      await outsider.get('/api/flags/flags/new_billing_engine/history'),
      await outsider.post('/api/flags/evaluate', { tenant: 'acme' }),
      await outsider.post('/api/flags/evaluate/bulk', { tenants: ['acme'] }),
      await outsider.get('/api/flags/tenants/acme'),
      await outsider.post('/api/flags/preview', { state: 'on' }),
      await outsider.post('/api/flags/flags', newFlag),
    ]) {
      expect(res.status).toBe(403);
    }
    const anonymous = await request(server)
      .get('/api/flags/flags')
      .set('Authorization', mockCredentials.none.header());
    expect(anonymous.status).toBe(401);
  });

  it('evaluates with the catalog’s plan and partner and the configured environment', async () => {
    const op = as(server, OPERATOR);
    await op.post('/api/flags/flags', {
      key: 'prod_enterprise',
      description: 'x',
      state: 'targeted',
      scope: { plans: ['enterprise'], environments: ['production'] },
    });
    await op.post('/api/flags/flags', {
      key: 'half',
      description: 'x',
      state: 'rollout',
      pct: 50,
    });
    const res = await op.post('/api/flags/evaluate/bulk', {
      tenants: ['acme', 'kiel-klinik', 'tenant:default/kiel-klinik', 'ghost'],
    });
    expect(res.body.results.map((r: any) => r.tenant)).toEqual([
      'acme',
      'kiel-klinik',
    ]);
    const value = (t: number, key: string) =>
      res.body.results[t].flags.find((f: any) => f.key === key);
    expect(value(0, 'prod_enterprise').value).toBe(false);
    expect(value(1, 'prod_enterprise').value).toBe(true);
    for (const [i, name] of ['acme', 'kiel-klinik'].entries()) {
      const bucket = rolloutBucket(name, 'half');
      expect(value(i, 'half')).toEqual({
        key: 'half',
        value: bucket < 5000,
        reason: bucket < 5000 ? 'rollout-in' : 'rollout-out',
        bucket,
      });
    }
    // the preview uses the same hash
    const preview = await op.post('/api/flags/preview', {
      key: 'half',
      state: 'rollout',
      pct: 50,
    });
    expect(preview.body.matching).toBe(
      TENANTS.filter(t => rolloutBucket(t.metadata.name, 'half') < 5000).length,
    );
    expect(
      (await op.post('/api/flags/preview', { state: 'rollout', pct: 5 }))
        .status,
    ).toBe(400);
    expect(
      (
        await op.post('/api/flags/evaluate/bulk', {
          tenants: Array.from({ length: 1001 }, (_, i) => `t${i}`),
        })
      ).body.error.message,
    ).toContain('tenants');
  });

  it('keeps a flag’s whole history, past the audit API’s page size, and only its own', async () => {
    const op = as(server, OPERATOR);
    await op.post('/api/flags/flags', { key: 'busy', description: 'd0' });
    await op.post('/api/flags/flags', { key: 'busy_too', description: 'x' });
    for (let i = 1; i <= 510; i++) {
      await op.patch('/api/flags/flags/busy', { description: `d${i}` });
    }
    await op.patch('/api/flags/flags/busy_too', { description: 'y' });
    const res = await op.get('/api/flags/flags/busy/history');
    expect(res.status).toBe(200);
    const items = res.body.items as AuditEvent[];
    expect(items).toHaveLength(511);
    expect(items.every(e => e.resource?.ref === 'flag:busy')).toBe(true);
    expect(items[0].metadata).toEqual({
      description: { from: 'd509', to: 'd510' },
    });
    expect(items[510].action).toBe('flag.created');
    // partner staff see what /api/audit/events shows them: flag changes
    // concern no partner, so none of them
    const staff = await as(server, STAFF).get('/api/flags/flags/busy/history');
    expect(staff.status).toBe(200);
    expect(staff.body.items).toEqual([]);
  });

  it('gives the flags client of another plugin the change at once', async () => {
    const op = as(server, OPERATOR);
    const check = () =>
      op.get(
        `/api/billing/check/new_billing_engine/${encodeURIComponent(
          'tenant:default/acme',
        )}`,
      );
    expect((await check()).body).toEqual({ enabled: false });
    await op.patch('/api/flags/flags/new_billing_engine', {
      state: 'targeted',
      scope: { tenants: ['acme'] },
    });
    expect((await check()).body).toEqual({ enabled: true });
    expect(
      (await op.get('/api/billing/check/new_billing_engine/hafenkontor')).body,
    ).toEqual({ enabled: false });
    await op.post('/api/flags/flags/new_billing_engine/kill');
    expect((await check()).body).toEqual({ enabled: false });
    expect((await op.get('/api/billing/check/no_such_flag/acme')).body).toEqual(
      { enabled: false },
    );
  });

  it('serves OFREP to the tenants the caller may evaluate', async () => {
    const staff = as(server, STAFF);
    const own = await staff.post('/api/flags/ofrep/v1/evaluate/flags', {
      context: { targetingKey: 'acme' },
    });
    expect(own.status).toBe(200);
    expect(own.body.flags.length).toBeGreaterThan(0);
    const other = await staff.post('/api/flags/ofrep/v1/evaluate/flags', {
      context: { targetingKey: 'bergblick-hotels' },
    });
    expect(other.status).toBe(400);
    expect(other.body.errorCode).toBe('INVALID_CONTEXT');
    // unknown tenants: operators and services, with the given plan
    const unknown = await request(server)
      .post('/api/flags/ofrep/v1/evaluate/flags/outbound_mail')
      .set('Authorization', mockCredentials.service.header())
      .send({ context: { targetingKey: 'not-in-catalog', plan: 'starter' } });
    expect(unknown.status).toBe(200);
    expect(unknown.body).toMatchObject({ key: 'outbound_mail', value: true });
    const staffUnknown = await staff.post(
      '/api/flags/ofrep/v1/evaluate/flags',
      { context: { targetingKey: 'not-in-catalog' } },
    );
    expect(staffUnknown.status).toBe(400);
  });
});

describe('a user’s decisions on reading, kept 2 s by the flags plugin', () => {
  afterEach(() => revoked.clear());

  it('sees a changed decision after at most 2 s; a change is never decided from a kept decision', async () => {
    const server = await start();
    const staff = as(server, STAFF);
    const op = as(server, OPERATOR);
    const ofrep = () =>
      staff.post('/api/flags/ofrep/v1/evaluate/flags', {
        context: { targetingKey: 'acme' },
      });
    expect((await ofrep()).status).toBe(200);
    expect((await op.get('/api/flags/flags')).status).toBe(200);
    // the policy no longer allows either anything (e.g. they left their
    // group): a change is refused at once
    revoked.add(STAFF);
    revoked.add(OPERATOR);
    expect(
      (await op.patch('/api/flags/flags/outbound_mail', { state: 'off' }))
        .status,
    ).toBe(403);
    // reads within 2 s may still be allowed; after 2 s they are refused
    await new Promise(resolve => setTimeout(resolve, 2_100));
    expect((await ofrep()).status).toBe(403);
    expect((await op.get('/api/flags/flags')).status).toBe(403);
    revoked.clear();
    await new Promise(resolve => setTimeout(resolve, 2_100));
    expect((await ofrep()).status).toBe(200);
    expect((await op.get('/api/flags/flags')).status).toBe(200);
  });
});

describe('flags API when the audit trail cannot record', () => {
  it('answers 500 and rolls the change back', async () => {
    const trail = recordingAuditTrail();
    const server = await start({ trail });
    const op = as(server, OPERATOR);
    const before = await op.get('/api/flags/flags');
    trail.state.fail = true;
    for (const res of [
      await op.post('/api/flags/flags', newFlag),
      await op.patch('/api/flags/flags/new_billing_engine', { state: 'on' }),
      await op.post('/api/flags/flags/outbound_mail/kill'),
      await op.delete('/api/flags/flags/maintenance_banner'),
    ]) {
      expect(res.status).toBe(500);
    }
    const after = await op.get('/api/flags/flags');
    expect(after.body).toEqual(before.body);
    expect(after.headers.etag).toBe(before.headers.etag);
    // and the client of another plugin still sees the old state
    expect(
      (await op.get('/api/billing/check/outbound_mail/acme')).body,
    ).toEqual({ enabled: true });
    trail.state.fail = false;
    expect((await op.post('/api/flags/flags', newFlag)).status).toBe(201);
    expect(trail.state.recorded.at(-1)).toMatchObject({
      action: 'flag.created',
      resource: { ref: 'flag:jmap_beta' },
    });
  });
});
