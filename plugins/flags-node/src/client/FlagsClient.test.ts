import { mockServices } from '@backstage/backend-test-utils';
import { Flag } from '@internal/plugin-flags-common';
import { notifyFlagsChanged } from './changes';
import { FlagsClient } from './FlagsClient';

const EMPTY = { plans: [], tenants: [], partners: [], environments: [] };
const flag = (key: string, state: Flag['state'], extra: Partial<Flag> = {}) =>
  ({
    key,
    description: key,
    type: 'release',
    state,
    pct: 0,
    scope: EMPTY,
    createdAt: '2026-11-27T10:00:00.000Z',
    updatedAt: '2026-11-27T10:00:00.000Z',
    ...extra,
  } as Flag);

const TENANTS = [
  {
    kind: 'Tenant',
    metadata: { name: 'acme' },
    spec: { plan: 'business', partner: 'nordlicht-it' },
  },
  {
    kind: 'Tenant',
    metadata: { name: 'kiel-klinik' },
    spec: { plan: 'enterprise' },
  },
  {
    kind: 'Tenant',
    metadata: { name: 'riga-design' },
    spec: { plan: 'business', partner: 'partner:default/baltic-bytes' },
  },
];

/** A fake flags backend and catalog behind `fetch`. */
function backend() {
  const state = {
    version: 1,
    flags: [] as Flag[],
    flagRequests: 0,
    notModified: 0,
    catalogRequests: 0,
    down: false,
  };
  const fetch = jest.fn(async (url: string, init?: RequestInit) => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    expect(headers.Authorization).toMatch(/^Bearer /);
    if (url.startsWith('http://backend/api/flags/flags')) {
      state.flagRequests += 1;
      if (state.down) return new Response('down', { status: 503 });
      const etag = `"v${state.version}"`;
      if (headers['If-None-Match'] === etag) {
        state.notModified += 1;
        return new Response(null, { status: 304, headers: { etag } });
      }
      return Response.json({ items: state.flags }, { headers: { etag } });
    }
    if (url.startsWith('http://backend/api/catalog/entities/by-query')) {
      state.catalogRequests += 1;
      const cursor = new URL(url).searchParams.get('cursor');
      // two pages, to follow the cursor
      return cursor
        ? Response.json({ items: TENANTS.slice(2), pageInfo: {} })
        : Response.json({
            items: TENANTS.slice(0, 2),
            pageInfo: { nextCursor: 'page2' },
          });
    }
    return new Response('no', { status: 404 });
  });
  const change = (flags: Flag[]) => {
    state.flags = flags;
    state.version += 1;
  };
  return { state, fetch, change };
}

function client(fake: ReturnType<typeof backend>, pollIntervalMs = 60_000) {
  return new FlagsClient({
    discovery: {
      getBaseUrl: async id => `http://backend/api/${id}`,
      getExternalBaseUrl: async id => `http://backend/api/${id}`,
    },
    auth: mockServices.auth(),
    logger: mockServices.logger.mock(),
    environment: 'production',
    fetch: fake.fetch as unknown as typeof fetch,
    pollIntervalMs,
  });
}

describe('FlagsClient', () => {
  let clients: FlagsClient[] = [];
  const make = (...args: Parameters<typeof client>) => {
    const c = client(...args);
    clients.push(c);
    return c;
  };
  afterEach(() => {
    clients.forEach(c => c.stop());
    clients = [];
    jest.useRealTimers();
  });

  it('answers isEnabled from the snapshot, with the tenant’s plan and partner from the catalog', async () => {
    const fake = backend();
    fake.change([
      flag('new_billing_engine', 'targeted', {
        scope: { ...EMPTY, partners: ['nordlicht-it'] },
      }),
      flag('by_plan', 'targeted', {
        scope: { ...EMPTY, plans: ['business'], environments: ['production'] },
      }),
      flag('baltic', 'targeted', {
        scope: { ...EMPTY, partners: ['baltic-bytes'] },
      }),
    ]);
    const flags = make(fake);
    await expect(
      flags.isEnabled('new_billing_engine', 'tenant:default/acme'),
    ).resolves.toBe(true);
    await expect(flags.isEnabled('new_billing_engine', 'acme')).resolves.toBe(
      true,
    );
    await expect(
      flags.isEnabled('new_billing_engine', 'kiel-klinik'),
    ).resolves.toBe(false);
    await expect(flags.isEnabled('by_plan', 'ACME')).resolves.toBe(true);
    await expect(flags.isEnabled('by_plan', 'kiel-klinik')).resolves.toBe(
      false,
    );
    // a partner written as a ref counts by its name
    await expect(flags.isEnabled('baltic', 'riga-design')).resolves.toBe(true);
    // one read of the flags, one (two-page) read of the catalog
    expect(fake.state.flagRequests).toBe(1);
    expect(fake.state.catalogRequests).toBe(2);
  });

  it('answers false for an unknown flag, and evaluates an unknown tenant without plan or partner', async () => {
    const fake = backend();
    fake.change([
      flag('everyone', 'on'),
      flag('business_only', 'targeted', {
        scope: { ...EMPTY, plans: ['business'] },
      }),
    ]);
    const flags = make(fake);
    await expect(flags.isEnabled('no_such_flag', 'acme')).resolves.toBe(false);
    await expect(flags.isEnabled('everyone', 'ghost')).resolves.toBe(true);
    await expect(flags.isEnabled('business_only', 'ghost')).resolves.toBe(
      false,
    );
  });

  it('evaluates every flag for a tenant, by key, with reasons', async () => {
    const fake = backend();
    fake.change([flag('zeta', 'off'), flag('alpha', 'rollout', { pct: 100 })]);
    await expect(make(fake).evaluate('acme')).resolves.toEqual([
      {
        key: 'alpha',
        value: true,
        reason: 'rollout-in',
        bucket: expect.any(Number),
      },
      { key: 'zeta', value: false, reason: 'off' },
    ]);
  });

  it('sees a change made in the same process on the very next call', async () => {
    const fake = backend();
    fake.change([flag('new_billing_engine', 'off')]);
    const flags = make(fake);
    await expect(flags.isEnabled('new_billing_engine', 'acme')).resolves.toBe(
      false,
    );
    // without the signal, the snapshot is kept (no request per call)
    fake.change([flag('new_billing_engine', 'on')]);
    await expect(flags.isEnabled('new_billing_engine', 'acme')).resolves.toBe(
      false,
    );
    expect(fake.state.flagRequests).toBe(1);
    // the flags backend signals its committed change
    notifyFlagsChanged();
    await expect(flags.isEnabled('new_billing_engine', 'acme')).resolves.toBe(
      true,
    );
    expect(fake.state.flagRequests).toBe(2);
  });

  it('revalidates every poll interval with If-None-Match: 304 while unchanged, the new flags once changed', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    const fake = backend();
    fake.change([flag('f', 'off')]);
    const flags = make(fake, 5_000);
    await expect(flags.isEnabled('f', 'acme')).resolves.toBe(false);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(fake.state.flagRequests).toBe(2);
    expect(fake.state.notModified).toBe(1);
    fake.change([flag('f', 'on')]); // through another backend instance
    await expect(flags.isEnabled('f', 'acme')).resolves.toBe(false);
    await jest.advanceTimersByTimeAsync(5_000);
    await expect(flags.isEnabled('f', 'acme')).resolves.toBe(true);
    expect(fake.state.flagRequests).toBe(3);
  });

  it('keeps the last snapshot when the flags backend is down, and rejects before a first one', async () => {
    const fake = backend();
    fake.change([flag('f', 'on')]);
    fake.state.down = true;
    const first = make(fake);
    await expect(first.isEnabled('f', 'acme')).rejects.toThrow('503');

    fake.state.down = false;
    const flags = make(fake);
    await expect(flags.isEnabled('f', 'acme')).resolves.toBe(true);
    fake.state.down = true;
    notifyFlagsChanged();
    await expect(flags.isEnabled('f', 'acme')).resolves.toBe(true);
  });

  it('stops listening and polling when stopped', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    const fake = backend();
    const flags = make(fake, 5_000);
    await flags.isEnabled('f', 'acme');
    flags.stop();
    await jest.advanceTimersByTimeAsync(20_000);
    expect(fake.state.flagRequests).toBe(1);
  });
});
