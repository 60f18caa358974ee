import { staticTenantDirectory } from '@internal/plugin-dezky-node';
import { Flag } from '@internal/plugin-flags-common';
import { DefaultFlagEvaluator } from './DefaultFlagEvaluator';

const flag = (key: string, state: Flag['state']): Flag => ({
  key,
  description: key,
  type: 'release',
  state,
  pct: 0,
  scope: { plans: [], tenants: [], partners: [], environments: [] },
  createdAt: '2026-12-07T10:00:00.000Z',
  updatedAt: '2026-12-07T10:00:00.000Z',
});

/** A store whose version and flags the test changes, counting the queries. */
function store() {
  const state = { version: 1, flags: [flag('a', 'on')], versionQueries: 0 };
  return {
    state,
    store: {
      version: async () => {
        state.versionQueries++;
        return `v${state.version}`;
      },
      list: async () => state.flags,
    },
  };
}

const evaluator = (s: ReturnType<typeof store>) =>
  new DefaultFlagEvaluator({
    store: s.store,
    tenants: staticTenantDirectory([]),
    environment: 'production',
  });

describe('DefaultFlagEvaluator', () => {
  it('answers the calls that ask together with one version query', async () => {
    const s = store();
    const e = evaluator(s);
    const versions = await Promise.all([e.version(), e.version(), e.version()]);
    expect(versions).toEqual(['v1', 'v1', 'v1']);
    expect(s.state.versionQueries).toBe(1);
  });

  it('never answers a call with a query that started before it: a change committed before the call is seen', async () => {
    const s = store();
    const e = evaluator(s);
    const first = e.version();
    // wait until the first query has started (and answered)
    await expect(first).resolves.toBe('v1');
    s.state.version = 2; // a change commits, e.g. through another instance
    s.state.flags = [flag('a', 'off')];
    await expect(e.version()).resolves.toBe('v2');
    expect(s.state.versionQueries).toBe(2);
    const ctx = { tenant: 'acme', environment: 'production' };
    await expect(e.evaluateAll(ctx)).resolves.toEqual([
      { key: 'a', value: false, reason: 'off' },
    ]);
  });

  it('starts a new query for a call made while one is running', async () => {
    const s = store();
    let release!: () => void;
    const gate = new Promise<void>(resolve => {
      release = resolve;
    });
    const slow = s.store.version;
    s.store.version = async () => {
      const v = `v${s.state.version}`;
      s.state.versionQueries++;
      await gate;
      return v;
    };
    const e = evaluator(s);
    const first = e.version();
    await new Promise(resolve => setImmediate(resolve)); // the query runs
    expect(s.state.versionQueries).toBe(1);
    s.state.version = 2;
    const second = e.version(); // asked after the first query started
    release();
    await expect(first).resolves.toBe('v1');
    await expect(second).resolves.toBe('v2');
    expect(s.state.versionQueries).toBe(2);
    s.store.version = slow;
  });

  it('compiles each snapshot once, and reads the flags again for a new version', async () => {
    const s = store();
    const list = jest.spyOn(s.store, 'list');
    const e = evaluator(s);
    const ctx = { tenant: 'acme', environment: 'production' };
    const one = await e.snapshot();
    await e.evaluateAll(ctx);
    await e.evaluateOne('a', ctx);
    expect(list).toHaveBeenCalledTimes(1);
    expect((await e.snapshot()).compiled).toBe(one.compiled);
    s.state.version = 2;
    await e.evaluateAll(ctx);
    expect(list).toHaveBeenCalledTimes(2);
    await expect(e.evaluateOne('missing', ctx)).resolves.toBeUndefined();
  });
});
