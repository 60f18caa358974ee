/*
 * The domains API against a local DNS server (dns2) on SQLite and
 * PostgreSQL: the resolver is pointed at it through
 * `provisioning.domains.resolvers`.
 */
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
import { ConfigReader } from '@backstage/config';
import {
  AuthorizeResult,
  Permission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import { AuditEventInput } from '@internal/plugin-audit-common';
import { createRouterKit } from '@internal/plugin-dezky-node';
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import {
  provisioningPermissions,
  provisioningTenantDomainsManagePermission,
  provisioningTenantReadPermission,
  TenantDomain,
  TenantDomainList,
} from '@internal/plugin-provisioning-common';
import {
  provisioningTenantPermissionRules,
  provisioningTenantResourceRef,
} from '@internal/plugin-provisioning-node';
import Router from 'express-promise-router';
import { Knex } from 'knex';
import { promises as dns } from 'node:dns';
import request from 'supertest';
import { LocalDnsServer, startLocalDnsServer } from './__testUtils__/dnsServer';
import { ProvisioningStore } from './database/ProvisioningStore';
import { addDomainRoutes } from './domainRoutes';
import { DomainService } from './domains/DomainService';
import { domainServiceFromConfig } from './domains/domainsConfig';
import { ProvisioningEngine } from './engine/ProvisioningEngine';
import { ProvisioningService } from './service/ProvisioningService';

jest.setTimeout(120_000);

const databases = dezkyTestDatabases();

const OPERATOR = 'user:default/anna';
const STAFF = 'user:default/jana'; // staff of nord
const OUTSIDER = 'user:default/olaf';
const NORD = 'partner:default/nord';
const SUED = 'partner:default/sued';
const as = (user: string) =>
  mockCredentials.user.header(user) as unknown as string;

/** As the portal's policy decides provisioning (plugins/permission-backend-module-dezky). */
function decide(
  permission: Permission,
  credentials: BackstageCredentials,
): PolicyDecision {
  const user = (credentials.principal as { userEntityRef?: string })
    .userEntityRef;
  if (user === OPERATOR) return { result: AuthorizeResult.ALLOW };
  if (
    user === STAFF &&
    [
      provisioningTenantReadPermission.name,
      provisioningTenantDomainsManagePermission.name,
    ].includes(permission.name)
  ) {
    return {
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'provisioning',
      resourceType: 'provisioning-tenant',
      conditions: {
        rule: 'IS_TENANT_OF_PARTNER',
        resourceType: 'provisioning-tenant',
        params: { partnerRefs: [NORD] },
      },
    };
  }
  return { result: AuthorizeResult.DENY };
}

const permissionsFactory = createServiceFactory({
  service: coreServices.permissions,
  deps: {},
  factory: (): PermissionsService => ({
    authorize: async (requests, { credentials }) =>
      requests.map(r => ({
        result:
          decide(r.permission, credentials).result === AuthorizeResult.ALLOW
            ? AuthorizeResult.ALLOW
            : AuthorizeResult.DENY,
      })),
    authorizeConditional: async (requests, { credentials }) =>
      requests.map(r => decide(r.permission, credentials)) as any,
  }),
});

const desired = (name: string, partnerRef: string, domains: string[]) => ({
  tenantRef: `tenant:default/${name}`,
  name,
  partnerRef,
  desired: { name, domains },
  desiredHash: `h-${domains.join(',')}`,
  gitStatus: 'active' as const,
  plan: 'business',
  seats: 10,
});

const DKIM_RSA = 'v=DKIM1; k=rsa; h=sha256; p=MIIBIjANBgkqhkiG9w0BAQ';
const DKIM_ED = 'v=DKIM1; k=ed25519; h=sha256; p=MCowBQYDK2VwAyEA';

/** What the Stalwart step stores from acme.example's zone file. */
const acmeZone = [
  { name: 'acme.example', type: 'MX', value: '10 mail.dezky.example.' },
  { name: 'acme.example', type: 'TXT', value: 'v=spf1 mx -all' },
  {
    name: 'v1-ed25519-20261207._domainkey.acme.example',
    type: 'TXT',
    value: DKIM_ED,
  },
  {
    name: 'v1-rsa-20261207._domainkey.acme.example',
    type: 'TXT',
    value: DKIM_RSA,
  },
  {
    name: '_dmarc.acme.example',
    type: 'TXT',
    value: 'v=DMARC1; p=reject; rua=mailto:postmaster@acme.example',
  },
];

describe.each(databases.eachSupportedId())('domains on %p', id => {
  let knex: Knex;
  let dnsServer: LocalDnsServer;
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
  let domains: DomainService;
  let audited: AuditEventInput[];

  const get = (user: string, path: string) =>
    request(server)
      .get(`/api/provisioning${path}`)
      .set('authorization', as(user));
  const post = (user: string, path: string) =>
    request(server)
      .post(`/api/provisioning${path}`)
      .set('authorization', as(user));
  const put = (user: string, path: string, body: unknown) =>
    request(server)
      .put(`/api/provisioning${path}`)
      .set('authorization', as(user))
      .send(body as object);

  /** Publishes every expected record the way people do: TXT in chunks, MX host in capitals, spaces in tags. */
  const publishAll = (domain: TenantDomain) => {
    for (const r of domain.records) {
      if (!r.expected) continue;
      if (r.type === 'MX') {
        const [prio, host] = r.expected.split(' ');
        dnsServer.clear(r.name);
        dnsServer.mx(r.name, Number(prio), host.toUpperCase());
      }
    }
    for (const r of domain.records) {
      if (!r.expected || r.type !== 'TXT') continue;
      if (r.kind === 'spf') {
        dnsServer.txt(r.name, 'google-site-verification=abc', false);
        dnsServer.txt(r.name, r.expected.replace(/ /g, '  '), false);
      } else if (r.kind === 'dkim') {
        const v = r.expected;
        dnsServer.txt(r.name, [v.slice(0, 20), v.slice(20)]);
      } else {
        dnsServer.txt(r.name, r.expected.replace(/; /g, ' ;'));
      }
    }
  };

  const acmeDomain = async () => {
    const res = await get(OPERATOR, '/tenants/acme/domains');
    expect(res.status).toBe(200);
    return (res.body as TenantDomainList).items[0];
  };

  const statuses = (d: TenantDomain) =>
    Object.fromEntries(d.records.map(r => [`${r.kind} ${r.name}`, r.status]));

  beforeEach(async () => {
    knex = await databases.init(id);
    dnsServer = await startLocalDnsServer();
    audited = [];
    const store = await ProvisioningStore.create({
      database: mockServices.database({ knex }),
    });
    await store.syncTenants(
      [
        desired('acme', NORD, ['acme.example']),
        desired('other', SUED, ['other.example']),
      ],
      new Date().toISOString(),
    );
    await store.saveDnsRecords(
      'tenant:default/acme',
      [{ domain: 'acme.example', records: acmeZone, zoneFile: '' }],
      new Date().toISOString(),
    );
    domains = domainServiceFromConfig(
      new ConfigReader({
        provisioning: {
          domains: { resolvers: [dnsServer.address], timeoutMs: 1000 },
        },
      }),
      knex,
      {
        record: async events => {
          audited.push(...events);
          return [];
        },
      },
    );
    const plugin = createBackendPlugin({
      pluginId: 'provisioning',
      register(env) {
        env.registerInit({
          deps: {
            httpAuth: coreServices.httpAuth,
            httpRouter: coreServices.httpRouter,
            permissions: coreServices.permissions,
            permissionsRegistry: coreServices.permissionsRegistry,
          },
          async init(deps) {
            deps.permissionsRegistry.addPermissions(provisioningPermissions);
            deps.permissionsRegistry.addResourceType({
              resourceRef: provisioningTenantResourceRef,
              rules: Object.values(provisioningTenantPermissionRules),
              getResources: refs => Promise.all(refs.map(r => store.tenant(r))),
            });
            const kit = createRouterKit({
              httpAuth: deps.httpAuth,
              permissions: deps.permissions,
              permissionsRegistry: deps.permissionsRegistry,
            });
            const router = Router();
            router.use(kit.defaults());
            router.use(kit.jsonParser());
            addDomainRoutes(router, {
              kit,
              service: new ProvisioningService({
                store,
                engine: {} as ProvisioningEngine,
              }),
              domains,
            });
            deps.httpRouter.use(router);
          },
        });
      },
    });
    ({ server } = await startTestBackend({
      features: [plugin, permissionsFactory],
    }));
  });

  afterEach(async () => {
    await dnsServer.close();
  });

  it('verifies a domain once every record is published; one missing and one wrong are reported with the value found; fixed, the next recheck verifies', async () => {
    const before = await acmeDomain();
    expect(before).toMatchObject({ domain: 'acme.example', verified: false });
    expect(before.records.map(r => [r.kind, r.type, r.name])).toEqual([
      ['mx', 'MX', 'acme.example'],
      ['spf', 'TXT', 'acme.example'],
      ['dkim', 'TXT', 'v1-ed25519-20261207._domainkey.acme.example'],
      ['dkim', 'TXT', 'v1-rsa-20261207._domainkey.acme.example'],
      ['dmarc', 'TXT', '_dmarc.acme.example'],
      ['ownership', 'TXT', '_dezky.acme.example'],
    ]);
    const ownership = before.records.find(r => r.kind === 'ownership')!;
    expect(ownership.expected).toMatch(/^dezky-verification=[0-9a-f]{32}$/);
    expect(ownership.publish).toBe(
      `_dezky.acme.example. IN TXT "${ownership.expected}"`,
    );
    expect(before.records.find(r => r.kind === 'dmarc')!.expected).toBe(
      'v=DMARC1; p=none',
    );
    expect(before.dmarc).toEqual({ policy: 'none' });
    // before its first check nothing is called missing
    expect(before.lastCheckedAt).toBeUndefined();
    expect(new Set(before.records.map(r => r.status))).toEqual(
      new Set(['unchecked']),
    );

    publishAll(before);
    const res = await post(
      OPERATOR,
      '/tenants/acme/domains/acme.example/recheck',
    );
    expect(res.status).toBe(200);
    const checked = res.body as TenantDomain;
    expect(checked.records.filter(r => r.status !== 'ok')).toEqual([]);
    expect(checked.verified).toBe(true);
    expect(checked.verifiedAt).toBeDefined();
    expect(checked.lastCheckedAt).toBe(checked.verifiedAt);
    // the token is generated once
    expect((await acmeDomain()).records.at(-1)!.expected).toBe(
      ownership.expected,
    );

    // SPF gone, the RSA key replaced by another
    dnsServer.txt('acme.example', 'google-site-verification=abc');
    dnsServer.txt(
      'v1-rsa-20261207._domainkey.acme.example',
      'v=DKIM1; k=rsa; p=OLDKEY',
    );
    const broken = (
      await post(OPERATOR, '/tenants/acme/domains/acme.example/recheck')
    ).body as TenantDomain;
    expect(statuses(broken)).toEqual({
      'mx acme.example': 'ok',
      'spf acme.example': 'missing',
      'dkim v1-ed25519-20261207._domainkey.acme.example': 'ok',
      'dkim v1-rsa-20261207._domainkey.acme.example': 'different',
      'dmarc _dmarc.acme.example': 'ok',
      'ownership _dezky.acme.example': 'ok',
    });
    expect(broken.records.find(r => r.kind === 'spf')!.found).toBeUndefined();
    expect(
      broken.records.find(r => r.name.startsWith('v1-rsa'))!.found,
    ).toEqual(['v=DKIM1; k=rsa; p=OLDKEY']);
    expect(broken.verified).toBe(false);
    expect(broken.verifiedAt).toBe(checked.verifiedAt);
    // the listing shows the last check
    expect(statuses(await acmeDomain())).toEqual(statuses(broken));

    publishAll(before);
    const fixed = (
      await post(OPERATOR, '/tenants/acme/domains/acme.example/recheck')
    ).body as TenantDomain;
    expect(fixed.verified).toBe(true);
    expect(fixed.verifiedAt).toBe(checked.verifiedAt);
    expect(Date.parse(fixed.lastCheckedAt!)).toBeGreaterThanOrEqual(
      Date.parse(checked.lastCheckedAt!),
    );
    expect(
      audited.filter(e => e.action === 'provisioning.domain.rechecked'),
    ).toHaveLength(3);
  });

  it('a DMARC policy change changes the expected record, is audited, and the next check compares with it', async () => {
    publishAll(await acmeDomain());
    await post(OPERATOR, '/tenants/acme/domains/acme.example/recheck');
    const res = await put(STAFF, '/tenants/acme/domains/acme.example/dmarc', {
      policy: 'quarantine',
      rua: 'dmarc@acme.example',
    });
    expect(res.status).toBe(200);
    const after = res.body as TenantDomain;
    expect(after.dmarc).toEqual({
      policy: 'quarantine',
      rua: 'dmarc@acme.example',
    });
    const dmarc = after.records.find(r => r.kind === 'dmarc')!;
    expect(dmarc).toMatchObject({
      expected: 'v=DMARC1; p=quarantine; rua=mailto:dmarc@acme.example',
      status: 'different',
      found: ['v=DMARC1 ;p=none'],
      publish:
        '_dmarc.acme.example. IN TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@acme.example"',
    });
    expect(after.verified).toBe(false);
    expect(audited).toContainEqual(
      expect.objectContaining({
        action: 'provisioning.domain.dmarc.updated',
        tenant: 'tenant:default/acme',
        partner: NORD,
        resource: { type: 'domain', ref: 'acme.example', name: 'acme.example' },
        metadata: expect.objectContaining({
          before: { policy: 'none' },
          after: { policy: 'quarantine', rua: 'dmarc@acme.example' },
        }),
      }),
    );
    expect((await acmeDomain()).dmarc.policy).toBe('quarantine');

    dnsServer.txt('_dmarc.acme.example', dmarc.expected!);
    const ok = (await post(STAFF, '/tenants/acme/domains/acme.example/recheck'))
      .body as TenantDomain;
    expect(ok.verified).toBe(true);
  });

  it("partner staff see and manage their partner's tenants' domains only: another partner's tenant answers 404 and nothing is made or changed", async () => {
    expect((await get(STAFF, '/tenants/acme/domains')).status).toBe(200);
    for (const res of [
      await get(STAFF, '/tenants/other/domains'),
      await post(STAFF, '/tenants/other/domains/other.example/recheck'),
      await put(STAFF, '/tenants/other/domains/other.example/dmarc', {
        policy: 'reject',
      }),
    ]) {
      expect(res.status).toBe(404);
    }
    expect(
      await knex('provisioning_domains').where({
        tenant_ref: 'tenant:default/other',
      }),
    ).toHaveLength(0);
    expect(audited).toEqual([]);
    expect((await get(OUTSIDER, '/tenants/acme/domains')).status).toBe(403);
    expect(
      (await post(OUTSIDER, '/tenants/acme/domains/acme.example/recheck'))
        .status,
    ).toBe(403);
    // operators see every tenant
    const other = await get(OPERATOR, '/tenants/other/domains');
    expect(other.status).toBe(200);
    expect(other.body.items.map((d: TenantDomain) => d.domain)).toEqual([
      'other.example',
    ]);
  });

  it('refuses bad input with 400 and changes nothing; a domain of another tenant is 404', async () => {
    const before = await acmeDomain();
    const bad: Array<[string, unknown]> = [
      ['/tenants/acme/domains/acme.example/dmarc', { policy: 'strict' }],
      ['/tenants/acme/domains/acme.example/dmarc', {}],
      [
        '/tenants/acme/domains/acme.example/dmarc',
        { policy: 'reject', rua: 'not an address' },
      ],
      [
        '/tenants/acme/domains/acme.example/dmarc',
        { policy: 'reject', rua: 'a@b.example; p=none' },
      ],
      [
        '/tenants/acme/domains/acme.example/dmarc',
        { policy: 'reject', extra: true },
      ],
      ['/tenants/acme/domains/not_a_domain/dmarc', { policy: 'reject' }],
      ['/tenants/ACME!/domains/acme.example/dmarc', { policy: 'reject' }],
    ];
    for (const [path, body] of bad) {
      const res = await put(OPERATOR, path, body);
      expect({ path, body, status: res.status }).toEqual({
        path,
        body,
        status: 400,
      });
    }
    expect(
      (await post(OPERATOR, '/tenants/acme/domains/bad..name/recheck')).status,
    ).toBe(400);
    expect(
      (
        await put(OPERATOR, '/tenants/acme/domains/other.example/dmarc', {
          policy: 'reject',
        })
      ).status,
    ).toBe(404);
    expect(
      (await post(OPERATOR, '/tenants/acme/domains/other.example/recheck'))
        .status,
    ).toBe(404);
    expect(await acmeDomain()).toEqual(before);
    expect(audited).toEqual([]);
    expect(dnsServer.queries).toEqual([]);
  });

  it('rechecks on the scheduler the domains that are due, and then not before their next slot', async () => {
    publishAll(await acmeDomain());
    const first = await domains.recheckDue();
    expect(first).toEqual({ checked: 2, verified: 1 });
    const rows = await knex('provisioning_domains').orderBy('domain');
    expect(rows.map(r => r.domain)).toEqual(['acme.example', 'other.example']);
    const [acme, other] = rows;
    const checkedAt = Date.parse(acme.last_checked_at);
    // verified: about a day later; not verified: about an hour later
    expect(Date.parse(acme.next_check_at) - checkedAt).toBeGreaterThanOrEqual(
      12 * 3_600_000,
    );
    expect(Date.parse(acme.next_check_at) - checkedAt).toBeLessThan(
      36 * 3_600_000,
    );
    expect(Date.parse(other.next_check_at) - checkedAt).toBeGreaterThanOrEqual(
      1_800_000,
    );
    expect(Date.parse(other.next_check_at) - checkedAt).toBeLessThan(
      5_400_000 + 1000,
    );
    expect(await domains.recheckDue()).toEqual({ checked: 0, verified: 0 });
    // a domain removed from spec.domains loses its row
    await ProvisioningStore.create({
      database: mockServices.database({ knex }),
    }).then(s =>
      s.syncTenants(
        [desired('acme', NORD, ['acme.example']), desired('other', SUED, [])],
        new Date().toISOString(),
      ),
    );
    await domains.recheckDue();
    expect((await knex('provisioning_domains')).map(r => r.domain)).toEqual([
      'acme.example',
    ]);
  });

  it('asks only the configured server, never the machine resolver', async () => {
    const spies = [
      jest.spyOn(dns, 'resolveTxt'),
      jest.spyOn(dns, 'resolveMx'),
      jest.spyOn(dns, 'resolve'),
      jest.spyOn(dns, 'lookup'),
    ];
    try {
      // names that exist nowhere but in the local server
      publishAll(await acmeDomain());
      const res = await post(
        OPERATOR,
        '/tenants/acme/domains/acme.example/recheck',
      );
      expect((res.body as TenantDomain).verified).toBe(true);
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
      expect([...new Set(dnsServer.queries)].sort()).toEqual([
        'MX acme.example',
        'TXT _dezky.acme.example',
        'TXT _dmarc.acme.example',
        'TXT acme.example',
        'TXT v1-ed25519-20261207._domainkey.acme.example',
        'TXT v1-rsa-20261207._domainkey.acme.example',
      ]);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});
