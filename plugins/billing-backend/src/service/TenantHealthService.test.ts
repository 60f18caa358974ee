/*
 * The tenant health refresh on SQLite and PostgreSQL against fakes of its
 * three sources (provisioning, the health plugin, the catalog): every
 * billing_tenants row gets its health, reasons and time in one go; a
 * failing source writes nothing. The sources' adapters are tested alone.
 */
import { mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import { BillingConditionKind } from '@internal/plugin-billing-common';
import { TenantPhase } from '@internal/plugin-provisioning-common';
import { Knex } from 'knex';
import { MrrHistoryStore } from '../database/MrrHistoryStore';
import { PriceStore } from '../database/PriceStore';
import { TenantHealthStore } from '../database/TenantHealthStore';
import { IntegrationHealth } from './tenantHealth';
import {
  catalogTenantIntegrations,
  healthStatusReader,
  provisioningPhases,
  TenantHealthService,
  TenantHealthSources,
} from './TenantHealthService';

jest.setTimeout(120_000);

const databases = dezkyTestDatabases();

const row = (name: string, condition: BillingConditionKind) => ({
  tenant_ref: `tenant:default/${name}`,
  tenant_name: name,
  partner_ref: null,
  plan: 'business',
  seats: 1,
  lifecycle: 'active',
  activated: true,
  condition_kind: condition,
  condition_message: condition,
  condition_since: '2026-12-01T00:00:00.000Z',
  updated_at: '2026-12-01T00:00:00.000Z',
});

/** The named tenants: [name, condition, phase (undefined: unknown to provisioning), integrations]. */
const NAMED: Array<
  [string, BillingConditionKind, TenantPhase | undefined, string[]]
> = [
  ['acme', 'in-sync', 'active', ['stalwart', 'ocis']],
  ['beta', 'out-of-sync', 'active', []],
  ['gamma', 'in-sync', 'degraded', ['stalwart']],
  ['delta', 'payment-failed', 'pending', ['authentik']],
  ['ghost', 'not-billed', undefined, []],
  ['Mixed', 'in-sync', 'active', ['legacy']],
  ['eps', 'missing-billing-details', 'active', ['ocis', 'authentik']],
];
/** Integration statuses as the health plugin answers them (legacy: unknown to it). */
const STATUSES: Record<string, IntegrationHealth> = {
  stalwart: 'bad',
  ocis: 'planned',
  authentik: 'warn',
};
const EXPECTED: Record<string, { health: string; reasons: string[] }> = {
  acme: { health: 'bad', reasons: ['integration stalwart: bad'] },
  beta: { health: 'warn', reasons: ['billing: out-of-sync'] },
  gamma: {
    health: 'bad',
    reasons: ['provisioning: degraded', 'integration stalwart: bad'],
  },
  delta: {
    health: 'bad',
    reasons: [
      'provisioning: pending',
      'billing: payment-failed',
      'integration authentik: warn',
    ],
  },
  ghost: { health: 'warn', reasons: ['provisioning: not provisioned'] },
  Mixed: { health: 'warn', reasons: ['integration legacy: unknown'] },
  eps: {
    health: 'warn',
    reasons: [
      'billing: missing-billing-details',
      'integration authentik: warn',
    ],
  },
};
/** Bulk tenants beyond one UPDATE's chunk of 500: all well, and all degraded. */
const WELL = Array.from({ length: 1203 }, (_, i) => `w${i}`);
const SICK = Array.from({ length: 611 }, (_, i) => `s${i}`);

function fakeSources(): TenantHealthSources & {
  failing?: keyof TenantHealthSources;
} {
  const sources: TenantHealthSources & {
    failing?: keyof TenantHealthSources;
  } = {
    provisioning: async () => {
      if (sources.failing === 'provisioning') throw new Error('503 busy');
      return [
        ...NAMED.filter(([, , phase]) => phase).map(([name, , phase]) => ({
          // provisioning spells names as the catalog does; matched case-insensitively
          tenant: name.toLowerCase(),
          phase: phase!,
        })),
        ...WELL.map(tenant => ({ tenant, phase: 'active' as const })),
        ...SICK.map(tenant => ({ tenant, phase: 'degraded' as const })),
        { tenant: 'not-billed-anywhere', phase: 'active' as const },
      ];
    },
    integrations: async () => {
      if (sources.failing === 'integrations')
        throw new Error('connect ECONNREFUSED');
      return Object.entries(STATUSES).map(([name, status]) => ({
        integration: `integration:default/${name}`,
        status,
      }));
    },
    catalog: async () => {
      if (sources.failing === 'catalog') throw new Error('catalog is down');
      return NAMED.map(([name, , , uses]) => ({
        tenant: name,
        integrations: uses.map(u => `integration:default/${u}`),
      }));
    },
  };
  return sources;
}

describe.each(databases.eachSupportedId())('tenant health on %p', id => {
  let knex: Knex;
  let store: TenantHealthStore;
  let clock: Date;

  beforeEach(async () => {
    knex = await databases.init(id);
    await PriceStore.create({ database: mockServices.database({ knex }) });
    await knex.batchInsert(
      'billing_tenants',
      [
        ...NAMED.map(([name, condition]) => row(name, condition)),
        ...WELL.map(name => row(name, 'in-sync')),
        ...SICK.map(name => row(name, 'not-billed')),
      ],
      200,
    );
    store = new TenantHealthStore(knex);
    clock = new Date('2026-12-09T10:00:00.000Z');
  });

  const service = (sources: TenantHealthSources) =>
    new TenantHealthService({ store, sources, now: () => clock });

  it("writes every tenant's health, reasons and time; the snapshot copies the health", async () => {
    const summary = await service(fakeSources()).refresh();
    const total = NAMED.length + WELL.length + SICK.length;
    expect(summary).toEqual({
      at: '2026-12-09T10:00:00.000Z',
      tenants: total,
      ok: WELL.length,
      warn: 4,
      bad: 3 + SICK.length,
    });
    const stored = await store.all();
    expect(stored.size).toBe(total);
    for (const [name, expected] of Object.entries(EXPECTED)) {
      expect([name, stored.get(`tenant:default/${name}`)]).toEqual([
        name,
        { ...expected, at: '2026-12-09T10:00:00.000Z' },
      ]);
    }
    for (const name of WELL) {
      expect(stored.get(`tenant:default/${name}`)).toEqual({
        health: 'ok',
        reasons: [],
        at: '2026-12-09T10:00:00.000Z',
      });
    }
    for (const name of SICK) {
      expect(stored.get(`tenant:default/${name}`)).toEqual({
        health: 'bad',
        reasons: ['provisioning: degraded'],
        at: '2026-12-09T10:00:00.000Z',
      });
    }
    // the columns as stored: reasons as JSON text
    expect(
      await knex('billing_tenants')
        .where({ tenant_ref: 'tenant:default/gamma' })
        .first('health', 'health_reasons', 'health_at'),
    ).toEqual({
      health: 'bad',
      health_reasons: '["provisioning: degraded","integration stalwart: bad"]',
      health_at: '2026-12-09T10:00:00.000Z',
    });
    const taken = await new MrrHistoryStore(knex).take(
      '2026-12-09',
      clock.toISOString(),
    );
    expect(taken.tenants).toBe(total);
    const snapshot = await new MrrHistoryStore(knex).rows('2026-12-09');
    expect(
      Object.fromEntries(
        snapshot
          .filter(r => r.tenant_name in EXPECTED)
          .map(r => [r.tenant_name, r.health]),
      ),
    ).toEqual(
      Object.fromEntries(
        Object.entries(EXPECTED).map(([name, e]) => [name, e.health]),
      ),
    );
  });

  it('a later refresh replaces the health; a failing source writes nothing and keeps the previous health', async () => {
    await service(fakeSources()).refresh();
    STATUSES.stalwart = 'ok';
    clock = new Date('2026-12-09T10:05:00.000Z');
    try {
      await service(fakeSources()).refresh();
    } finally {
      STATUSES.stalwart = 'bad';
    }
    const before = await store.all();
    expect(before.get('tenant:default/acme')).toEqual({
      health: 'ok',
      reasons: [],
      at: '2026-12-09T10:05:00.000Z',
    });
    expect(before.get('tenant:default/gamma')?.reasons).toEqual([
      'provisioning: degraded',
    ]);
    clock = new Date('2026-12-09T10:10:00.000Z');
    for (const [failing, message] of [
      ['provisioning', 'provisioning: 503 busy'],
      ['integrations', 'health status: connect ECONNREFUSED'],
      ['catalog', 'catalog: catalog is down'],
    ] as const) {
      const sources = fakeSources();
      sources.failing = failing;
      await expect(service(sources).refresh()).rejects.toThrow(message);
      expect(await store.all()).toEqual(before);
    }
  });

  it('writes nothing when the computation throws', async () => {
    await service(fakeSources()).refresh();
    const before = await store.all();
    await expect(
      store.refresh(subjects => {
        if (subjects.length > 0) throw new Error('boom');
        return new Map();
      }, '2026-12-09T11:00:00.000Z'),
    ).rejects.toThrow('boom');
    expect(await store.all()).toEqual(before);
  });
});

describe('the health sources', () => {
  it("reads the health plugin's status with a service token", async () => {
    const calls: Array<{ url: string; authorization?: string }> = [];
    const answer = (status: number, body: unknown) =>
      (async (url: string, init?: RequestInit) => {
        calls.push({
          url,
          authorization: (init?.headers as Record<string, string>)
            ?.authorization,
        });
        return new Response(JSON.stringify(body), {
          status,
          headers: { 'content-type': 'application/json' },
        });
      }) as unknown as typeof fetch;
    const reader = (f: typeof fetch) =>
      healthStatusReader({
        discovery: mockServices.discovery(),
        auth: mockServices.auth(),
        fetch: f,
      });
    const items = [
      {
        integration: 'integration:default/stalwart',
        status: 'bad',
        latencyMs: 4,
      },
      { integration: 'integration:default/ocis', status: 'planned' },
    ];
    expect(await reader(answer(200, { items }))()).toEqual([
      { integration: 'integration:default/stalwart', status: 'bad' },
      { integration: 'integration:default/ocis', status: 'planned' },
    ]);
    expect(calls).toEqual([
      {
        url: expect.stringMatching(/\/api\/health\/status$/),
        authorization: expect.stringMatching(/^Bearer .+/),
      },
    ]);
    await expect(
      reader(answer(500, { error: { name: 'Error', message: 'db down' } }))(),
    ).rejects.toThrow(/500/);
    await expect(
      reader(answer(200, { items: [{ status: 'ok' }] }))(),
    ).rejects.toThrow(/something other than/);
    await expect(reader(answer(200, []))()).rejects.toThrow(
      /something other than/,
    );
  });

  it("reads each Tenant's dependsOn relations to Integration entities", async () => {
    const tenant = (name: string, relations: Entity['relations']): Entity => ({
      apiVersion: 'dezky.io/v1alpha1',
      kind: 'Tenant',
      metadata: { name, namespace: 'default' },
      spec: {},
      relations,
    });
    const read = catalogTenantIntegrations({
      catalog: catalogServiceMock({
        entities: [
          tenant('acme', [
            { type: 'dependsOn', targetRef: 'integration:default/Stalwart' },
            { type: 'dependsOn', targetRef: 'integration:default/stalwart' },
            { type: 'dependsOn', targetRef: 'component:default/web' },
            { type: 'resoldBy', targetRef: 'partner:default/nord' },
            { type: 'dependsOn', targetRef: 'integration:default/ocis' },
          ]),
          tenant('bare', undefined),
          {
            apiVersion: 'dezky.io/v1alpha1',
            kind: 'Integration',
            metadata: { name: 'stalwart', namespace: 'default' },
            spec: {},
          },
        ],
      }),
      auth: mockServices.auth(),
    });
    expect(
      (await read()).sort((a, b) => a.tenant.localeCompare(b.tenant)),
    ).toEqual([
      {
        tenant: 'acme',
        integrations: [
          'integration:default/stalwart',
          'integration:default/ocis',
        ],
      },
      { tenant: 'bare', integrations: [] },
    ]);
  });

  it("reads provisioning's list for the phases", async () => {
    const read = provisioningPhases({
      tenants: async () => [
        {
          tenant: 'acme',
          phase: 'degraded',
          lifecycle: {
            status: 'active',
            gitStatus: 'active',
            description: 'active',
          },
          steps: [],
        },
      ],
    });
    expect(await read()).toEqual([{ tenant: 'acme', phase: 'degraded' }]);
  });
});
