import { mockServices } from '@backstage/backend-test-utils';
import { catalogReadiness } from './catalogReadiness';

function catalogWith(tenants: () => number) {
  const getEntities = jest.fn(async () => ({
    items: Array.from({ length: Math.min(1, tenants()) }, () => ({
      kind: 'Tenant',
    })),
  }));
  return { getEntities } as any;
}

describe('catalogReadiness', () => {
  it('is ready once the catalog holds a tenant, and then asks no more', async () => {
    let count = 0;
    const catalog = catalogWith(() => count);
    const readiness = catalogReadiness({
      catalog,
      auth: mockServices.auth(),
      pollMs: 5,
    });
    await expect(readiness.isReady()).resolves.toBe(false);
    await expect(readiness.assertReady()).rejects.toMatchObject({
      name: 'ServiceUnavailableError',
    });
    const waiting = readiness.whenReady();
    setTimeout(() => {
      count = 13;
    }, 30);
    await waiting;
    const asked = catalog.getEntities.mock.calls.length;
    await expect(readiness.isReady()).resolves.toBe(true);
    await readiness.assertReady();
    expect(catalog.getEntities.mock.calls.length).toBe(asked);
    // one tenant at most, with the plugin's own credentials
    expect(catalog.getEntities.mock.calls[0][0]).toEqual({
      filter: { kind: 'Tenant' },
      limit: 1,
      fields: ['kind'],
    });
  });

  it('is ready after the start-up grace even without tenants', async () => {
    let now = 0;
    const readiness = catalogReadiness({
      catalog: catalogWith(() => 0),
      auth: mockServices.auth(),
      graceMs: 60_000,
      now: () => now,
    });
    await expect(readiness.isReady()).resolves.toBe(false);
    now = 60_000;
    await expect(readiness.isReady()).resolves.toBe(true);
  });
});
