import { mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  CatalogTenantDirectory,
  staticTenantDirectory,
} from './CatalogTenantDirectory';

const tenant = (name: string, spec: object) => ({
  apiVersion: 'dezky.io/v1alpha1',
  kind: 'Tenant',
  metadata: { name, namespace: 'default' },
  spec: { owner: 'group:default/x', plan: 'business', seats: 1, ...spec },
});

describe('CatalogTenantDirectory', () => {
  const catalog = catalogServiceMock({
    entities: [
      tenant('ACME', {
        partner: 'nordlicht-it',
        domains: ['Acme.example', 'acme-mail.example'],
      }),
      tenant('echo', { plan: 'starter', domains: ['echo.example'] }),
      {
        apiVersion: 'dezky.io/v1alpha1',
        kind: 'Partner',
        metadata: { name: 'p' },
        spec: {},
      },
    ],
  });
  const directory = new CatalogTenantDirectory({
    catalog,
    auth: mockServices.auth(),
  });

  it('finds tenants by ref, name and domain, case-insensitively, keeping the exact name', async () => {
    const acme = {
      name: 'ACME',
      tenantRef: 'tenant:default/acme',
      plan: 'business',
      partner: 'nordlicht-it',
      partnerRef: 'partner:default/nordlicht-it',
      domains: ['acme.example', 'acme-mail.example'],
    };
    await expect(directory.byRef('Tenant:default/ACME')).resolves.toEqual(acme);
    await expect(directory.byName('acme')).resolves.toEqual(acme);
    await expect(directory.byDomain('ACME-MAIL.example')).resolves.toEqual(
      acme,
    );
    await expect(directory.byName('echo')).resolves.toEqual({
      name: 'echo',
      tenantRef: 'tenant:default/echo',
      plan: 'starter',
      domains: ['echo.example'],
    });
    await expect(directory.byName('p')).resolves.toBeUndefined();
    expect((await directory.all()).map(t => t.name)).toEqual(['ACME', 'echo']);
  });

  it('lists the partners by name', async () => {
    await expect(directory.partners()).resolves.toEqual([
      { name: 'p', partnerRef: 'partner:default/p' },
    ]);
  });

  it('reads the catalog once per ttl, and again after a failed read', async () => {
    let down = true;
    const getEntities = jest.fn(async ({ filter }) => {
      if (down) {
        down = false;
        throw new Error('catalog down');
      }
      return {
        items: filter.kind === 'Tenant' ? [tenant('x', { domains: [] })] : [],
      };
    });
    const flaky = new CatalogTenantDirectory({
      catalog: { getEntities } as any,
      auth: mockServices.auth(),
    });
    await expect(flaky.byName('x')).rejects.toThrow('catalog down');
    await expect(flaky.byName('x')).resolves.toMatchObject({ name: 'x' });
    await flaky.byName('x');
    // a read is one query for tenants and one for partners
    expect(getEntities).toHaveBeenCalledTimes(4);
  });
});

describe('CatalogTenantDirectory after a read that missed', () => {
  it('reads again when a lookup finds nothing and the read is older than missRefreshMs, at most that often', async () => {
    let items: object[] = [];
    const getEntities = jest.fn(async ({ filter }) => ({
      items: filter.kind === 'Tenant' ? items : [],
    }));
    let now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      const directory = new CatalogTenantDirectory(
        { catalog: { getEntities } as any, auth: mockServices.auth() },
        30_000,
        2_000,
      );
      // the first read, before the catalog has ingested the tenant
      await expect(directory.byName('x')).resolves.toBeUndefined();
      const reads = getEntities.mock.calls.length;
      items = [tenant('x', { domains: ['x.example'] })];
      // within missRefreshMs of the read: no second read
      now += 1_000;
      await expect(directory.byName('x')).resolves.toBeUndefined();
      expect(getEntities.mock.calls.length).toBe(reads);
      // later, a miss reads again and finds it — well before the 30 s ttl
      now += 1_500;
      await expect(directory.byDomain('X.example')).resolves.toMatchObject({
        name: 'x',
      });
      expect(getEntities.mock.calls.length).toBe(reads * 2);
      // a hit reads nothing
      await directory.byName('x');
      expect(getEntities.mock.calls.length).toBe(reads * 2);
    } finally {
      jest.restoreAllMocks();
    }
  });
});

describe('staticTenantDirectory', () => {
  it('answers the same lookups from fixed tenants and partners', async () => {
    const acme = {
      name: 'acme',
      tenantRef: 'tenant:default/acme',
      partnerRef: 'partner:default/p',
      partner: 'p',
      domains: ['acme.example'],
    };
    const directory = staticTenantDirectory(
      [acme],
      [{ name: 'p', partnerRef: 'partner:default/p' }],
    );
    await expect(directory.byDomain('ACME.example')).resolves.toBe(acme);
    await expect(directory.byRef('tenant:default/ACME')).resolves.toBe(acme);
    await expect(directory.byName('nope')).resolves.toBeUndefined();
    await expect(directory.partners()).resolves.toHaveLength(1);
  });
});
