import { mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { CatalogTenantDirectory } from '@internal/plugin-dezky-node';
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

const tenant = (name: string, spec: object) => ({
  apiVersion: 'dezky.io/v1alpha1',
  kind: 'Tenant',
  metadata: { name, namespace: 'default' },
  spec: { owner: 'group:default/x', seats: 1, ...spec },
});

const TENANTS = [
  tenant('acme', { plan: 'business', partner: 'nordlicht-it' }),
  tenant('kiel-klinik', { plan: 'enterprise' }),
  tenant('riga-design', {
    plan: 'business',
    partner: 'partner:default/baltic-bytes',
  }),
];

/** A fake flags backend behind `fetch`, and the catalog's tenants. */
function backend() {
  const state = {
    version: 1,
    flags: [] as Flag[],
    flagRequests: 0,
    notModified: 0,
    down: false,
  };
  const catalog = catalogServiceMock({ entities: TENANTS });
  const catalogReads = jest.spyOn(catalog, 'getEntities');
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
    return new Response('no', { status: 404 });
  });
  const change = (flags: Flag[]) => {
    state.flags = flags;
    state.version += 1;
  };
  /** How often the Tenant entities were read from the catalog. */
  const tenantReads = () =>
    catalogReads.mock.calls.filter(
      ([request]) => (request?.filter as { kind?: string })?.kind === 'Tenant',
    ).length;
  return { state, fetch, change, catalog, tenantReads };
}

function client(fake: ReturnType<typeof backend>, pollIntervalMs = 60_000) {
  const auth = mockServices.auth();
  return new FlagsClient({
    discovery: {
      getBaseUrl: async id => `http://backend/api/${id}`,
      getExternalBaseUrl: async id => `http://backend/api/${id}`,
    },
    auth,
    logger: mockServices.logger.mock(),
    tenants: new CatalogTenantDirectory({ catalog: fake.catalog, auth }),
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
    // one read of the flags, one of the catalog's tenants
    expect(fake.state.flagRequests).toBe(1);
    expect(fake.tenantReads()).toBe(1);
  });

  it('parses tenant refs: another namespace or kind is not the catalog tenant, and a string that is no ref is a tenant name', async () => {
    const fake = backend();
    fake.change([
      flag('acme_only', 'targeted', { scope: { ...EMPTY, tenants: ['acme'] } }),
      flag('business_only', 'targeted', {
        scope: { ...EMPTY, plans: ['business'] },
      }),
    ]);
    const flags = make(fake);
    await expect(
      flags.isEnabled('business_only', 'Tenant:default/ACME'),
    ).resolves.toBe(true);
    await expect(
      flags.isEnabled('business_only', ' tenant:acme '),
    ).resolves.toBe(true);
    // not the catalog's acme: evaluated by the name alone (no plan)
    await expect(
      flags.isEnabled('business_only', 'tenant:other/acme'),
    ).resolves.toBe(false);
    await expect(
      flags.isEnabled('acme_only', 'tenant:other/acme'),
    ).resolves.toBe(true);
    await expect(
      flags.isEnabled('business_only', 'group:default/acme'),
    ).resolves.toBe(false);
    // not a ref at all: an unknown tenant of that name
    await expect(flags.isEnabled('acme_only', 'x:')).resolves.toBe(false);
    await expect(make(fake).evaluate('x:')).resolves.toEqual([
      { key: 'acme_only', value: false, reason: 'targeted-no-match' },
      { key: 'business_only', value: false, reason: 'targeted-no-match' },
    ]);
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
