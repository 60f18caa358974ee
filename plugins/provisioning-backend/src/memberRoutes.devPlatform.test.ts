/*
 * The members API over HTTP (memberRoutes.ts with the router kit), against
 * the development stand-ins, on SQLite and PostgreSQL: the permissions as
 * the portal's policy gives them (operators everything; partner staff their
 * partner's tenants, as a condition applied in SQL), 400 for bad input with
 * nothing changed, 404 for another partner's tenant, 403 for oneself, the
 * one-time password in the create answer only.
 */
import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import {
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import { createConditionExports } from '@backstage/plugin-permission-node';
import { DevPlatform, startDevPlatform } from '@internal/dev-platform';
import { createRouterKit } from '@internal/plugin-dezky-node';
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import {
  provisioningTenantMembersManagePermission,
  provisioningTenantMembersReadPermission,
} from '@internal/plugin-provisioning-common';
import {
  provisioningTenantPermissionRules,
  provisioningTenantResourceRef,
} from '@internal/plugin-provisioning-node';
import express from 'express';
import Router from 'express-promise-router';
import { Knex } from 'knex';
import request from 'supertest';
import { addMemberRoutes } from './memberRoutes';
import { MemberService } from './members/MemberService';
import { ProvisioningService } from './service/ProvisioningService';
import { converge, instance, tenant } from './__testUtils__/devPlatformHarness';

jest.setTimeout(180_000);

const databases = dezkyTestDatabases();

const OPERATOR = 'user:default/olga';
/** Staff of partner p1 (tenant-0001 and tenant-0004). */
const STAFF = 'user:default/jana';
const OUTSIDER = 'user:default/olaf';
const EMAILS: Record<string, string> = {
  [OPERATOR]: 'olga@dezky.example',
  [STAFF]: 'jana@partner.example',
};

const conditions = createConditionExports({
  resourceRef: provisioningTenantResourceRef,
  rules: provisioningTenantPermissionRules,
});

/** As plugins/permission-backend-module-dezky decides for the members' permissions. */
function decide(user: string | undefined, name: string): PolicyDecision {
  if (user === OPERATOR) return { result: AuthorizeResult.ALLOW };
  if (
    user === STAFF &&
    (name === provisioningTenantMembersReadPermission.name ||
      name === provisioningTenantMembersManagePermission.name)
  ) {
    return conditions.createConditionalDecision(
      name === provisioningTenantMembersReadPermission.name
        ? provisioningTenantMembersReadPermission
        : provisioningTenantMembersManagePermission,
      conditions.conditions.isTenantOfPartner({
        partnerRefs: ['partner:default/p1'],
      }),
    );
  }
  return { result: AuthorizeResult.DENY };
}

const as = (user: string) =>
  mockCredentials.user.header(user) as unknown as string;

describe.each(databases.eachSupportedId())('members API on %p', id => {
  let platform: DevPlatform;
  let knex: Knex;

  beforeAll(async () => {
    platform = await startDevPlatform({ dkimDelayMs: 100 });
  });
  afterAll(async () => {
    await platform.stop();
  });
  beforeEach(async () => {
    platform.reset();
    knex = await databases.init(id);
  });

  async function app() {
    const tenants = [1, 2, 3, 4].map(i => tenant(i));
    const p = await instance(knex, platform);
    await p.engine.sync(tenants);
    await converge(
      p,
      tenants.map(t => t.tenantRef),
    );
    const provisioning = new ProvisioningService({
      store: p.store,
      engine: p.engine,
    });
    const members = new MemberService({
      store: p.store,
      find: (name, scope) => provisioning.find(name, scope),
      ...p.systems.clients,
      trail: { record: async () => [] },
      userEmail: async ref => EMAILS[ref],
      retryDelayMs: () => 10,
    });
    const registry = mockServices.permissionsRegistry.mock();
    registry.getPermissionRuleset.mockReturnValue({
      getRuleByName: (n: string) =>
        Object.values(provisioningTenantPermissionRules).find(
          r => r.name === n,
        )!,
    } as any);
    const userOf = (c: any) => c.principal.userEntityRef as string | undefined;
    const kit = createRouterKit({
      httpAuth: mockServices.httpAuth(),
      permissions: {
        authorize: async (reqs, { credentials }) =>
          reqs.map(r => ({
            result:
              decide(userOf(credentials), r.permission.name).result ===
              AuthorizeResult.ALLOW
                ? AuthorizeResult.ALLOW
                : AuthorizeResult.DENY,
          })) as any,
        authorizeConditional: async (reqs, { credentials }) =>
          reqs.map(r => decide(userOf(credentials), r.permission.name)) as any,
      },
      permissionsRegistry: registry,
    });
    const router = Router();
    router.use(kit.defaults());
    router.use(kit.jsonParser());
    addMemberRoutes(router, { kit, members });
    const server = express();
    server.use(router);
    server.use(
      MiddlewareFactory.create({
        config: mockServices.rootConfig(),
        logger: mockServices.logger.mock(),
      }).error(),
    );
    return server;
  }

  const users = () =>
    (platform.state().authentik.users as Array<{ email: string }>).length;

  it('creates, lists and acts with the permissions; 400 for bad input, 404 across partners, 403 for oneself', async () => {
    const server = await app();
    const created = await request(server)
      .post('/tenants/tenant-0001/members')
      .set('authorization', as(OPERATOR))
      .send({ name: 'Jana', email: 'jana@partner.example', role: 'admin' });
    expect(created.status).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const password = created.body.oneTimePassword as string;
    expect(password).toHaveLength(16);
    const janaId = created.body.member.id as string;

    const list = await request(server)
      .get('/tenants/tenant-0001/members')
      .set('authorization', as(STAFF));
    expect(list.status).toBe(200);
    expect(list.body.items.map((m: any) => [m.email, m.role])).toEqual([
      ['jana@partner.example', 'admin'],
    ]);
    expect(JSON.stringify(list.body)).not.toContain(password);

    // bad input: 400, nothing made
    const before = users();
    for (const body of [
      { name: 'X', email: 'not-an-email', role: 'member' },
      { name: 'X', email: 'x@people.example', role: 'owner' },
      { name: '', email: 'x@people.example', role: 'member' },
      { name: 'X', email: 'x@people.example', role: 'member', password: 'a' },
    ]) {
      const res = await request(server)
        .post('/tenants/tenant-0001/members')
        .set('authorization', as(OPERATOR))
        .send(body);
      expect([JSON.stringify(body), res.status]).toEqual([
        JSON.stringify(body),
        400,
      ]);
    }
    expect(users()).toBe(before);
    expect(
      (
        await request(server)
          .post('/tenants/tenant-0001/members/abc/suspend')
          .set('authorization', as(OPERATOR))
      ).status,
    ).toBe(400);
    expect(
      (
        await request(server)
          .post('/tenants/tenant-0001/members/99999/suspend')
          .set('authorization', as(OPERATOR))
      ).status,
    ).toBe(404);

    // partner staff: their tenants (p1: tenant-0001, tenant-0004), 404 elsewhere
    const other = await request(server)
      .post('/tenants/tenant-0002/members')
      .set('authorization', as(STAFF))
      .send({ name: 'Y', email: 'y@people.example', role: 'member' });
    expect(other.status).toBe(404);
    expect(
      (
        await request(server)
          .get('/tenants/tenant-0002/members')
          .set('authorization', as(STAFF))
      ).status,
    ).toBe(404);
    const own = await request(server)
      .post('/tenants/tenant-0004/members')
      .set('authorization', as(STAFF))
      .send({ name: 'Y', email: 'y@people.example', role: 'member' });
    expect(own.status).toBe(201);
    expect(users()).toBe(before + 1);

    // anyone else: 403
    expect(
      (
        await request(server)
          .get('/tenants/tenant-0001/members')
          .set('authorization', as(OUTSIDER))
      ).status,
    ).toBe(403);

    // oneself: refused
    for (const action of ['suspend', 'logout']) {
      const res = await request(server)
        .post(`/tenants/tenant-0001/members/${janaId}/${action}`)
        .set('authorization', as(STAFF));
      expect([action, res.status]).toEqual([action, 403]);
    }
    expect(
      (
        await request(server)
          .delete(`/tenants/tenant-0001/members/${janaId}`)
          .set('authorization', as(STAFF))
      ).status,
    ).toBe(403);
    // the operator may
    const suspended = await request(server)
      .post(`/tenants/tenant-0001/members/${janaId}/suspend`)
      .set('authorization', as(OPERATOR));
    expect(suspended.status).toBe(200);
    expect(suspended.body.member.suspended).toBe(true);
    expect(JSON.stringify(suspended.body)).not.toContain(password);
  });
});
