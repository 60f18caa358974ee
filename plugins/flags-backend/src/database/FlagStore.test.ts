import { mockServices } from '@backstage/backend-test-utils';
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import { Flag } from '@internal/plugin-flags-common';
import { Knex } from 'knex';
import { FlagStore } from './FlagStore';

jest.setTimeout(120_000);

const databases = dezkyTestDatabases();

const flag = (key: string, extra: Partial<Flag> = {}): Flag => ({
  key,
  description: `The ${key} flag — ü "quoted"`,
  type: 'release',
  state: 'off',
  pct: 0,
  scope: { plans: [], tenants: [], partners: [], environments: [] },
  createdAt: '2026-11-27T10:00:00.000Z',
  updatedAt: '2026-11-27T10:00:00.000Z',
  ...extra,
});

describe.each(databases.eachSupportedId())('FlagStore on %p', databaseId => {
  let knex: Knex;
  let store: FlagStore;

  beforeEach(async () => {
    knex = await databases.init(databaseId);
    store = await FlagStore.create({
      database: mockServices.database({ knex }),
    });
  });

  it('stores and reads flags back exactly, ordered by key', async () => {
    const b = flag('b_flag', {
      type: 'experiment',
      state: 'rollout',
      pct: 12.34,
      scope: {
        plans: ['business', 'enterprise'],
        tenants: ['acme'],
        partners: ['nordlicht-it'],
        environments: ['production'],
      },
      owner: 'group:default/dezky-platform-admins',
    });
    await store.transaction(async tx => {
      expect(await store.insertIfAbsent(b, tx)).toBe(true);
      expect(await store.insertIfAbsent(flag('a_flag'), tx)).toBe(true);
    });
    expect(await store.list()).toEqual([flag('a_flag'), b]);
    expect(await store.get('b_flag')).toEqual(b);
    expect(await store.get('nope')).toBeUndefined();
  });

  it('keeps pct exact to two decimals, as integer basis points', async () => {
    const values = [0, 0.01, 0.29, 12.34, 33.33, 66.67, 99.99, 100];
    await store.transaction(async tx => {
      for (const [i, pct] of values.entries()) {
        await store.insertIfAbsent(
          flag(`f${i}`, { state: 'rollout', pct }),
          tx,
        );
      }
    });
    expect((await store.list()).map(f => f.pct)).toEqual(values);
    const rows = await knex('flags').orderBy('key').select('pct_bp');
    expect(rows.map(r => Number(r.pct_bp))).toEqual([
      0, 1, 29, 1234, 3333, 6667, 9999, 10000,
    ]);
  });

  it('inserts only when absent: an existing flag is never overwritten', async () => {
    await store.transaction(tx =>
      store.insertIfAbsent(flag('k', { state: 'on' }), tx),
    );
    const again = await store.transaction(tx =>
      store.insertIfAbsent(
        flag('k', { description: 'seed', state: 'off' }),
        tx,
      ),
    );
    expect(again).toBe(false);
    expect(await store.get('k')).toMatchObject({ state: 'on' });
  });

  it('updates and deletes', async () => {
    await store.transaction(tx => store.insertIfAbsent(flag('k'), tx));
    const changed = flag('k', {
      state: 'targeted',
      scope: {
        plans: [],
        tenants: ['acme'],
        partners: [],
        environments: [],
      },
      updatedAt: '2026-11-27T11:00:00.000Z',
      createdAt: 'ignored on update',
    });
    await store.transaction(tx => store.update(changed, tx));
    expect(await store.get('k')).toEqual({
      ...changed,
      createdAt: '2026-11-27T10:00:00.000Z',
    });
    expect(await store.transaction(tx => store.delete('k', tx))).toBe(true);
    expect(await store.transaction(tx => store.delete('k', tx))).toBe(false);
    expect(await store.list()).toEqual([]);
  });

  it('bumps the version in the change’s transaction, and not when it rolls back', async () => {
    const v0 = await store.version();
    expect(v0).toMatch(/^[0-9a-f]{8}-0$/);
    await store.transaction(tx => store.bumpVersion(tx));
    const v1 = await store.version();
    expect(v1).toBe(v0.replace(/-0$/, '-1'));
    await expect(
      store.transaction(async tx => {
        await store.insertIfAbsent(flag('k'), tx);
        await store.bumpVersion(tx);
        throw new Error('audit down');
      }),
    ).rejects.toThrow('audit down');
    expect(await store.version()).toBe(v1);
    expect(await store.list()).toEqual([]);
  });

  it('keeps one version row when created again (another instance, a restart)', async () => {
    await store.transaction(tx => store.bumpVersion(tx));
    const before = await store.version();
    const again = await FlagStore.create({
      database: mockServices.database({ knex }),
    });
    expect(await again.version()).toBe(before);
    const [{ n }] = await knex('flags_version').count({ n: '*' });
    expect(Number(n)).toBe(1);
  });

  it('reads an unreadable scope as empty', async () => {
    await store.transaction(tx => store.insertIfAbsent(flag('k'), tx));
    await knex('flags').where({ key: 'k' }).update({ scope: '{oops' });
    expect((await store.get('k'))!.scope).toEqual({
      plans: [],
      tenants: [],
      partners: [],
      environments: [],
    });
  });
});
