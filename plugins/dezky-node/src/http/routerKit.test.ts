import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import {
  AuthorizeResult,
  createPermission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  createConditionExports,
  createPermissionResourceRef,
} from '@backstage/plugin-permission-node';
import express from 'express';
import Router from 'express-promise-router';
import request from 'supertest';
import { z } from 'zod';
import {
  createPartnerScopedRules,
  PartnerScopeQuery,
} from '../permissions/partnerRules';
import { staticTenantDirectory } from '../tenants/CatalogTenantDirectory';
import { parseInput } from './parse';
import { createRouterKit, Refusal } from './routerKit';

const NORD = 'partner:default/nordlicht-it';
const ALPEN = 'partner:default/alpenwerk';
const tenant = (name: string, partnerRef?: string) => ({
  name,
  tenantRef: `tenant:default/${name}`,
  ...(partnerRef ? { partnerRef } : {}),
  domains: [],
});
const tenants = staticTenantDirectory([
  tenant('acme', NORD),
  tenant('hafen', NORD),
  tenant('berg', ALPEN),
  tenant('kiel'),
]);

const thingRead = createPermission({
  name: 'things.thing.read',
  attributes: { action: 'read' },
});
const thingUpdate = createPermission({
  name: 'things.thing.update',
  attributes: { action: 'update' },
});
const resourceRef = createPermissionResourceRef<
  { tenantRef: string; partnerRef?: string },
  PartnerScopeQuery
>().with({ pluginId: 'things', resourceType: 'things-tenant' });
const rules = createPartnerScopedRules({
  resourceRef,
  partnerRefOf: t => t.partnerRef,
  tenantRefOf: t => t.tenantRef,
});
const thingEvaluate = createPermission({
  name: 'things.tenant.evaluate',
  attributes: { action: 'read' },
  resourceType: 'things-tenant',
});
const conditions = createConditionExports({ resourceRef, rules });

/** Operators everything; staff of Nordlicht: reads, and their tenants only. */
function decide(user: string | undefined, name: string): PolicyDecision {
  if (user === 'user:default/anna') return { result: AuthorizeResult.ALLOW };
  if (user === 'user:default/jana') {
    if (name === thingRead.name) return { result: AuthorizeResult.ALLOW };
    if (name === thingEvaluate.name) {
      return conditions.createConditionalDecision(
        thingEvaluate,
        conditions.conditions.isTenantOfPartner({ partnerRefs: [NORD] }),
      );
    }
  }
  return { result: AuthorizeResult.DENY };
}

function app(refusals: Refusal[], failRecording = false) {
  const registry = mockServices.permissionsRegistry.mock();
  registry.getPermissionRuleset.mockReturnValue({
    getRuleByName: (n: string) => Object.values(rules).find(r => r.name === n)!,
  } as any);
  const userOf = (credentials: any) => credentials.principal.userEntityRef;
  const kit = createRouterKit({
    httpAuth: mockServices.httpAuth(),
    permissions: {
      authorize: async (reqs, { credentials }) =>
        reqs.map(r => {
          const d = decide(userOf(credentials), r.permission.name);
          return {
            result:
              d.result === AuthorizeResult.ALLOW
                ? AuthorizeResult.ALLOW
                : AuthorizeResult.DENY,
          };
        }) as any,
      authorizeConditional: async (reqs, { credentials }) =>
        reqs.map(r => decide(userOf(credentials), r.permission.name)) as any,
    },
    permissionsRegistry: registry,
    tenants,
    refusals: async refusal => {
      if (failRecording) throw new Error('AUDIT EVENT NOT RECORDED');
      refusals.push(refusal);
    },
  });
  const router = Router();
  router.use(kit.defaults());
  router.use(kit.jsonParser({ limit: '1kb' }));
  router.get('/things', async (req, res) => {
    await kit.authorize(req, thingRead);
    const { q } = kit.query(req, z.object({ q: z.string().optional() }));
    res.json({ q });
  });
  router.patch('/things/:id', async (req, res) => {
    await kit.authorize(req, thingUpdate, {
      concerns: () => req.body?.tenants,
    });
    const id = kit.param(req, 'id', z.string().regex(/^[a-z]+$/));
    const body = kit.body(req, z.object({ n: z.number() }).strict());
    res.json({ id, ...body });
  });
  router.get('/tenants', async (req, res) => {
    const scope = await kit.partnerScope(req, thingEvaluate, resourceRef);
    const all = await tenants.all();
    res.json({
      all: scope.all,
      criteria: scope.all ? undefined : scope.criteria,
      visible: all.filter(t => scope.allows(t)).map(t => t.name),
    });
  });
  const server = express();
  server.use('/api', router);
  server.use(
    MiddlewareFactory.create({
      config: mockServices.rootConfig(),
      logger: mockServices.logger.mock(),
    }).error(),
  );
  return server;
}

const as = (user: string) => mockCredentials.user.header(user);

describe('createRouterKit', () => {
  it('answers every request no-store, and a NUL byte in the query with a 400 naming it', async () => {
    const server = app([]);
    const ok = await request(server)
      .get('/api/things?q=x')
      .set('Authorization', as('user:default/anna'));
    expect(ok.status).toBe(200);
    expect(ok.headers['cache-control']).toBe('no-store');
    const nul = await request(server)
      .get('/api/things?q=a%00b')
      .set('Authorization', as('user:default/anna'));
    expect(nul.status).toBe(400);
    expect(nul.body.error.message).toBe('q: must not contain a NUL byte');
  });

  it('authorizes before it reads the body: 403 whatever the body, and records refused changes only', async () => {
    const refusals: Refusal[] = [];
    const server = app(refusals);
    const patch = (body: string, type = 'application/json') =>
      request(server)
        .patch('/api/things/x')
        .set('Authorization', as('user:default/olaf'))
        .set('Content-Type', type)
        .send(body);
    expect((await patch('{"broken')).status).toBe(403);
    expect((await patch('hello', 'text/plain')).status).toBe(403);
    expect((await patch('{"n":"nan"}')).status).toBe(403);
    const read = await request(server)
      .get('/api/things')
      .set('Authorization', as('user:default/olaf'));
    expect(read.status).toBe(403);
    // three refused changes recorded; the refused read is not
    expect(refusals.map(r => [r.permission.name, r.request])).toEqual(
      Array(3).fill(['things.thing.update', 'PATCH /api/things/x']),
    );
    expect(refusals[0].credentials.principal).toMatchObject({
      userEntityRef: 'user:default/olaf',
    });
  });

  it('names the tenant a refusal concerns, or its partner when all named tenants are one partner’s', async () => {
    const refusals: Refusal[] = [];
    const server = app(refusals);
    for (const tenantsNamed of [
      ['acme'],
      ['tenant:default/berg'],
      ['acme', 'hafen'],
      ['acme', 'berg'],
      ['kiel'],
      ['ghost'],
      [{ not: 'a name' }],
    ]) {
      await request(server)
        .patch('/api/things/x')
        .set('Authorization', as('user:default/jana'))
        .send({ tenants: tenantsNamed });
    }
    expect(
      refusals.map(r => [r.tenant?.name, r.tenant?.partnerRef, r.partnerRef]),
    ).toEqual([
      ['acme', NORD, undefined],
      ['berg', ALPEN, undefined],
      [undefined, undefined, NORD],
      [undefined, undefined, undefined],
      ['kiel', undefined, undefined],
      [undefined, undefined, undefined],
      [undefined, undefined, undefined],
    ]);
  });

  it('answers 500 when a refusal cannot be recorded, never a silent 403', async () => {
    const server = app([], true);
    const res = await request(server)
      .patch('/api/things/x')
      .set('Authorization', as('user:default/olaf'))
      .send({ n: 1 });
    expect(res.status).toBe(500);
  });

  it('parses for an allowed caller: 415 unless JSON, 400 for malformed JSON, 413 past the limit, 400 naming each field', async () => {
    const server = app([]);
    const patch = () =>
      request(server)
        .patch('/api/things/x')
        .set('Authorization', as('user:default/anna'));
    const text = await patch().set('Content-Type', 'text/plain').send('n=1');
    expect(text.status).toBe(415);
    expect(text.body.error.message).toBe(
      'Content-Type must be application/json (was text/plain)',
    );
    const broken = await patch()
      .set('Content-Type', 'application/json')
      .send('{"n":');
    expect(broken.status).toBe(400);
    expect(broken.body.error.message).toMatch(/^body: not valid JSON/);
    const big = await patch().send({ n: 1, pad: 'x'.repeat(2000) });
    expect(big.status).toBe(413);
    const bad = await patch().send({ n: 'one', extra: true });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^n: .*; body: .*extra/);
    const badId = await request(server)
      .patch('/api/things/X1')
      .set('Authorization', as('user:default/anna'))
      .send({ n: 1 });
    expect(badId.body.error.message).toMatch(/^id: /);
    const ok = await patch().send({ n: 1 });
    expect(ok.body).toEqual({ id: 'x', n: 1 });
  });

  it('turns a conditional decision into SQL criteria and an in-memory test; everything for operators', async () => {
    const server = app([]);
    const staff = await request(server)
      .get('/api/tenants')
      .set('Authorization', as('user:default/jana'));
    expect(staff.body).toEqual({
      all: false,
      criteria: { column: 'partnerRef', values: [NORD] },
      visible: ['acme', 'hafen'],
    });
    const operator = await request(server)
      .get('/api/tenants')
      .set('Authorization', as('user:default/anna'));
    expect(operator.body).toEqual({
      all: true,
      visible: ['acme', 'berg', 'hafen', 'kiel'],
    });
    const other = await request(server)
      .get('/api/tenants')
      .set('Authorization', as('user:default/olaf'));
    expect(other.status).toBe(403);
  });
});

describe('parseInput', () => {
  it('refuses a NUL anywhere in a value, naming where', () => {
    const schema = z.object({ a: z.array(z.object({ b: z.string() })) });
    expect(() => parseInput(schema, { a: [{ b: 'x\u0000' }] })).toThrow(
      'a.0.b: must not contain a NUL byte',
    );
    expect(() => parseInput(z.string(), '\u0000', 'key')).toThrow(
      'key: must not contain a NUL byte',
    );
    expect(parseInput(schema, { a: [{ b: 'x' }] })).toEqual({
      a: [{ b: 'x' }],
    });
  });
});
