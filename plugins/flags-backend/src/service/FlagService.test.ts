import { mockServices } from '@backstage/backend-test-utils';
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import { AuditEventInput } from '@internal/plugin-audit-common';
import { staticTenantDirectory } from '@internal/plugin-dezky-node';
import { Knex } from 'knex';
import { FlagStore } from '../database/FlagStore';
import { DefaultFlagEvaluator } from './DefaultFlagEvaluator';
import { diffFlags, FlagService } from './FlagService';
import { SEED_FLAGS } from './seedFlags';

jest.setTimeout(120_000);

const databases = dezkyTestDatabases();

const anna = { type: 'user' as const, ref: 'user:default/anna' };
const EMPTY = { plans: [], tenants: [], partners: [], environments: [] };

const NORDLICHT = 'partner:default/nordlicht-it';
const ALPENWERK = 'partner:default/alpenwerk';
const tenants = staticTenantDirectory(
  [
    {
      name: 'acme',
      tenantRef: 'tenant:default/acme',
      plan: 'business',
      partner: 'nordlicht-it',
      partnerRef: NORDLICHT,
      domains: [],
    },
    {
      name: 'bergbau',
      tenantRef: 'tenant:default/bergbau',
      plan: 'starter',
      partner: 'alpenwerk',
      partnerRef: ALPENWERK,
      domains: [],
    },
    {
      name: 'globex',
      tenantRef: 'tenant:default/globex',
      plan: 'enterprise',
      domains: [],
    },
  ],
  [
    { name: 'nordlicht-it', partnerRef: NORDLICHT },
    { name: 'alpenwerk', partnerRef: ALPENWERK },
  ],
);

describe.each(databases.eachSupportedId())('FlagService on %p', databaseId => {
  let knex: Knex;
  let store: FlagStore;
  let recorded: AuditEventInput[];
  let failNext: boolean;
  let changes: number;
  let service: FlagService;

  beforeEach(async () => {
    knex = await databases.init(databaseId);
    store = await FlagStore.create({
      database: mockServices.database({ knex }),
    });
    recorded = [];
    failNext = false;
    changes = 0;
    service = new FlagService({
      store,
      tenants,
      evaluator: new DefaultFlagEvaluator({
        store,
        tenants,
        environment: 'test',
      }),
      trail: {
        async record(inputs) {
          if (failNext) {
            failNext = false;
            throw new Error('AUDIT EVENT NOT RECORDED: disk full');
          }
          recorded.push(...inputs);
          return [];
        },
      },
      onChange: () => {
        changes += 1;
      },
      now: () => new Date('2026-11-27T12:00:00.000Z'),
    });
  });

  const create = (key = 'k') =>
    service.create(
      {
        key,
        description: 'A flag',
        type: 'release',
        state: 'off',
        pct: 0,
        scope: {},
      },
      anna,
    );

  it('records a creation with every field from null', async () => {
    await create();
    expect(recorded).toEqual([
      {
        at: '2026-11-27T12:00:00.000Z',
        actor: anna,
        action: 'flag.created',
        outcome: 'success',
        resource: { type: 'flag', ref: 'flag:k', name: 'k' },
        source: 'portal',
        metadata: {
          description: { from: null, to: 'A flag' },
          type: { from: null, to: 'release' },
          state: { from: null, to: 'off' },
          pct: { from: null, to: 0 },
          'scope.plans': { from: null, to: [] },
          'scope.tenants': { from: null, to: [] },
          'scope.partners': { from: null, to: [] },
          'scope.environments': { from: null, to: [] },
        },
      },
    ]);
    expect(changes).toBe(1);
  });

  it('records an update with only the changed fields', async () => {
    await create();
    await service.update(
      'k',
      { state: 'rollout', pct: 25, scope: { plans: ['business'] } },
      anna,
    );
    expect(recorded[1]).toMatchObject({
      action: 'flag.updated',
      metadata: {
        state: { from: 'off', to: 'rollout' },
        pct: { from: 0, to: 25 },
        'scope.plans': { from: [], to: ['business'] },
      },
    });
    expect(Object.keys(recorded[1].metadata!)).toHaveLength(3);
  });

  it('resets pct when leaving rollout, and refuses a pct without rollout, writing nothing', async () => {
    await create();
    await service.update('k', { state: 'rollout', pct: 40 }, anna);
    const on = await service.update('k', { state: 'on' }, anna);
    expect(on).toMatchObject({ state: 'on', pct: 0 });
    const before = await store.list();
    const version = await store.version();
    await expect(service.update('k', { pct: 10 }, anna)).rejects.toThrow(
      /^pct: must be 0 unless state is rollout/,
    );
    await expect(
      service.update('k', { state: 'targeted', pct: 10 }, anna),
    ).rejects.toThrow(/^pct:/);
    expect(await store.list()).toEqual(before);
    expect(await store.version()).toBe(version);
    expect(recorded).toHaveLength(3);
  });

  it('writes and records nothing for an update that changes nothing', async () => {
    await create();
    const v = await store.version();
    await service.update('k', { description: 'A flag', scope: {} }, anna);
    expect(recorded).toHaveLength(1);
    expect(await store.version()).toBe(v);
    expect(changes).toBe(1);
  });

  it('writes and records nothing, and keeps the version, for a repeated PATCH', async () => {
    await create();
    const patch = {
      state: 'rollout' as const,
      pct: 12.5,
      scope: { plans: ['business'], tenants: ['acme'] },
      owner: 'group:default/x',
    };
    await service.update('k', patch, anna);
    const v = await store.version();
    const stored = await store.get('k');
    for (let i = 0; i < 3; i++) {
      await expect(service.update('k', patch, anna)).resolves.toEqual(stored);
    }
    expect(await store.version()).toBe(v);
    expect(recorded).toHaveLength(2);
    expect(changes).toBe(2);
  });

  it('refuses scope values that name no tenant, partner or plan of the catalog, naming them, writing nothing', async () => {
    await create();
    const v = await store.version();
    await expect(
      service.update(
        'k',
        {
          state: 'targeted',
          scope: {
            tenants: ['acme', 'ghost', 'Acme'],
            partners: ['nordlicht-it', 'nobody'],
            plans: ['platinum'],
          },
        },
        anna,
      ),
    ).rejects.toThrow(
      'scope.tenants: unknown tenants ghost, Acme; scope.partners: unknown partner nobody; scope.plans: unknown plan platinum',
    );
    await expect(
      service.create(
        {
          key: 'new',
          description: 'd',
          type: 'release',
          state: 'targeted',
          pct: 0,
          scope: { tenants: ['ghost'] },
        },
        anna,
      ),
    ).rejects.toMatchObject({ name: 'InputError' });
    expect(await store.get('new')).toBeUndefined();
    expect(await store.version()).toBe(v);
    expect(recorded).toHaveLength(1);
  });

  it('keeps scope values the flag already had, even when the catalog no longer has them', async () => {
    await store.transaction(tx =>
      store.insertIfAbsent(
        {
          key: 'old',
          description: 'd',
          type: 'release',
          state: 'targeted',
          pct: 0,
          scope: { ...EMPTY, tenants: ['gone', 'acme'] },
          createdAt: 'x',
          updatedAt: 'x',
        },
        tx,
      ),
    );
    const after = await service.update(
      'old',
      { description: 'e', scope: { tenants: ['gone', 'bergbau'] } },
      anna,
    );
    expect(after.scope.tenants).toEqual(['gone', 'bergbau']);
  });

  it('shows partner staff only their own tenants and partners in a scope, and counts the rest', async () => {
    const flag = {
      key: 'f',
      description: 'd',
      type: 'release' as const,
      state: 'targeted' as const,
      pct: 0,
      scope: {
        plans: ['business'],
        tenants: ['acme', 'bergbau', 'globex', 'gone'],
        partners: ['nordlicht-it', 'alpenwerk'],
        environments: [],
      },
      createdAt: 'x',
      updatedAt: 'x',
    };
    const nordlichtStaff = {
      all: false,
      allows: (r: { partnerRef?: string }) => r.partnerRef === NORDLICHT,
    };
    const [view] = await service.viewFor([flag], nordlichtStaff);
    expect(view.scope).toEqual({
      plans: ['business'],
      tenants: ['acme'],
      partners: ['nordlicht-it'],
      environments: [],
    });
    expect(view.hidden).toEqual({ tenants: 3, partners: 1 });
    const operator = { all: true, allows: () => true };
    await expect(service.viewFor([flag], operator)).resolves.toEqual([flag]);
    const onlyOwn = {
      ...flag,
      scope: { ...flag.scope, tenants: ['acme'], partners: [] },
    };
    const [plain] = await service.viewFor([onlyOwn], nordlichtStaff);
    expect(plain).toEqual(onlyOwn);
  });

  it('previews over the tenants the caller may see only', async () => {
    const input = {
      state: 'targeted' as const,
      pct: 0,
      scope: { tenants: ['acme', 'bergbau'] },
    };
    await expect(
      service.preview(input, { all: true, allows: () => true }),
    ).resolves.toEqual({ matching: 2, total: 3 });
    await expect(
      service.preview(input, {
        all: false,
        allows: r => r.partnerRef === NORDLICHT,
      }),
    ).resolves.toEqual({ matching: 1, total: 1 });
  });

  it('kills in one call: off and 0 %, recorded as flag.killed', async () => {
    await create();
    await service.update('k', { state: 'rollout', pct: 50 }, anna);
    const killed = await service.kill('k', anna);
    expect(killed).toMatchObject({ state: 'off', pct: 0 });
    expect(recorded[2]).toMatchObject({
      action: 'flag.killed',
      metadata: {
        state: { from: 'rollout', to: 'off' },
        pct: { from: 50, to: 0 },
      },
    });
  });

  it('records a deletion with every field to null', async () => {
    await create();
    await service.remove('k', anna);
    expect(await store.get('k')).toBeUndefined();
    expect(recorded[1]).toMatchObject({
      action: 'flag.deleted',
      metadata: { state: { from: 'off', to: null } },
    });
  });

  it('refuses to create an existing key, and to change or delete an unknown one', async () => {
    await create();
    await expect(create()).rejects.toMatchObject({ name: 'ConflictError' });
    await expect(
      service.update('nope', { state: 'on' }, anna),
    ).rejects.toMatchObject({ name: 'NotFoundError' });
    await expect(service.kill('nope', anna)).rejects.toMatchObject({
      name: 'NotFoundError',
    });
    await expect(service.remove('nope', anna)).rejects.toMatchObject({
      name: 'NotFoundError',
    });
    expect(recorded).toHaveLength(1);
  });

  it('rolls a change back when its audit event cannot be recorded', async () => {
    await create();
    const version = await store.version();
    const before = await store.list();
    for (const change of [
      () => create('other'),
      () => service.update('k', { state: 'on' }, anna),
      () => service.kill('k', anna),
      () => service.remove('k', anna),
    ]) {
      failNext = true;
      await expect(change()).rejects.toThrow('AUDIT EVENT NOT RECORDED');
      expect(await store.list()).toEqual(before);
      expect(await store.version()).toBe(version);
    }
    expect(recorded).toHaveLength(1);
    expect(changes).toBe(1);
  });

  it('seeds the ten flags once, as the system, and never overwrites an operator’s edit', async () => {
    const first = await service.seed(SEED_FLAGS);
    expect(first).toHaveLength(10);
    expect(recorded).toHaveLength(10);
    expect(recorded.every(e => e.action === 'flag.created')).toBe(true);
    expect(recorded[0].actor).toEqual({ type: 'system', ref: 'plugin:flags' });

    await service.update(
      'new_billing_engine',
      { state: 'targeted', scope: { tenants: ['acme'] } },
      anna,
    );
    await service.remove('maintenance_banner', anna);
    const edited = await store.get('new_billing_engine');

    // a restart: only the deleted one comes back
    const second = await service.seed(SEED_FLAGS);
    expect(second).toEqual(['maintenance_banner']);
    expect(await store.get('new_billing_engine')).toEqual(edited);
    expect((await store.list()).map(f => f.key).sort()).toEqual(
      SEED_FLAGS.map(f => f.key).sort(),
    );
  });

  it('serializes concurrent changes of one flag: each diff starts where the previous ended', async () => {
    await create();
    await Promise.all(
      ['a', 'b', 'c', 'd'].map(d =>
        service.update('k', { description: `desc ${d}` }, anna),
      ),
    );
    const descriptions = recorded
      .slice(1)
      .map(e => e.metadata!.description as { from: string; to: string });
    expect(descriptions).toHaveLength(4);
    for (let i = 1; i < descriptions.length; i++) {
      expect(descriptions[i].from).toBe(descriptions[i - 1].to);
    }
  });
});

describe('diffFlags', () => {
  it('names each changed scope axis and the owner', () => {
    const base = {
      key: 'k',
      description: 'd',
      type: 'release' as const,
      state: 'targeted' as const,
      pct: 0,
      scope: EMPTY,
      createdAt: 'x',
      updatedAt: 'x',
    };
    expect(
      diffFlags(base, {
        ...base,
        scope: { ...EMPTY, tenants: ['acme'] },
        owner: 'group:default/x',
        updatedAt: 'y',
      }),
    ).toEqual({
      'scope.tenants': { from: [], to: ['acme'] },
      owner: { from: null, to: 'group:default/x' },
    });
  });
});
