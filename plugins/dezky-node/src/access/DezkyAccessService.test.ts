import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { DefaultDezkyAccessService } from './DezkyAccessService';

const user = (name: string, groups: string[]): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name, namespace: 'default' },
  spec: { memberOf: groups },
  relations: groups.map(g => ({
    type: 'memberOf',
    targetRef: `group:default/${g}`,
  })),
});
const partner = (name: string, owner: string): Entity => ({
  apiVersion: 'dezky.io/v1alpha1',
  kind: 'Partner',
  metadata: { name, namespace: 'default' },
  spec: { owner },
});
const tenant = (name: string, partnerName?: string): Entity => ({
  apiVersion: 'dezky.io/v1alpha1',
  kind: 'Tenant',
  metadata: { name, namespace: 'default' },
  spec: { partner: partnerName },
  relations: partnerName
    ? [{ type: 'resoldBy', targetRef: `partner:default/${partnerName}` }]
    : [],
});

function service(entities: Entity[], ttlMs = 0) {
  const catalog = catalogServiceMock({ entities });
  return {
    catalog,
    access: new DefaultDezkyAccessService(
      { catalog, auth: mockServices.auth(), userInfo: mockServices.userInfo() },
      { ttlMs },
    ),
  };
}

const entities = [
  user('anna', ['dezky-platform-admins']),
  user('jana', ['partner-nord']),
  user('multi', ['partner-nord', 'partner-alp']),
  user('outsider', ['some-team']),
  partner('nord', 'group:default/partner-nord'),
  partner('alp', 'partner-alp'),
  tenant('acme', 'nord'),
  tenant('hafen', 'nord'),
  tenant('berg', 'alp'),
  tenant('kiel'),
];

describe('DefaultDezkyAccessService', () => {
  it('makes members of dezky-platform-admins operators, reaching every tenant', async () => {
    const { access } = service(entities);
    const a = await access.forUser('user:default/anna');
    expect(a.role).toBe('operator');
    await expect(access.tenantRefs(a)).resolves.toBe('all');
  });

  it("makes members of a partner's owner group its staff, reaching exactly its tenants", async () => {
    const { access } = service(entities);
    const a = await access.forUser('user:default/jana');
    expect(a).toEqual({
      role: 'partner-staff',
      userRef: 'user:default/jana',
      groupRefs: ['group:default/partner-nord'],
      partnerRefs: ['partner:default/nord'],
      staffGroupRefs: ['group:default/partner-nord'],
    });
    await expect(access.tenantRefs(a)).resolves.toEqual([
      'tenant:default/acme',
      'tenant:default/hafen',
    ]);
  });

  it('resolves short owner refs and staff of several partners', async () => {
    const { access } = service(entities);
    const a = await access.forUser('user:default/multi');
    expect(a.partnerRefs).toEqual([
      'partner:default/alp',
      'partner:default/nord',
    ]);
    await expect(access.tenantRefs(a)).resolves.toEqual([
      'tenant:default/acme',
      'tenant:default/berg',
      'tenant:default/hafen',
    ]);
  });

  it('gives other users and unknown users no partners and no tenants', async () => {
    const { access } = service(entities);
    for (const ref of ['user:default/outsider', 'user:default/ghost']) {
      const a = await access.forUser(ref);
      expect(a.role).toBe('user');
      expect(a.partnerRefs).toEqual([]);
      await expect(access.tenantRefs(a)).resolves.toEqual([]);
    }
  });

  it('reads the user from credentials, and treats non-user principals as services', async () => {
    const { access } = service(entities);
    const a = await access.forCredentials(
      mockCredentials.user('user:default/jana'),
    );
    expect(a.partnerRefs).toEqual(['partner:default/nord']);
    const s = await access.forCredentials(
      mockCredentials.service('plugin:billing'),
    );
    expect(s.role).toBe('service');
    await expect(access.tenantRefs(s)).resolves.toBe('all');
  });

  it('caches briefly, and follows catalog changes once the cache expires', async () => {
    let now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const { access, catalog } = service(entities, 5_000);
    const directory = jest.spyOn(catalog, 'getEntities');
    await access.forUser('user:default/jana');
    await access.forUser('user:default/multi');
    expect(directory).toHaveBeenCalledTimes(1); // one partner directory for both

    // jana leaves the staff group in the catalog
    jest.spyOn(catalog, 'getEntityByRef').mockResolvedValue(user('jana', []));
    now += 4_000;
    await expect(access.forUser('user:default/jana')).resolves.toMatchObject({
      role: 'partner-staff',
    });
    now += 1_001;
    await expect(access.forUser('user:default/jana')).resolves.toMatchObject({
      role: 'user',
      partnerRefs: [],
    });
    expect(directory).toHaveBeenCalledTimes(2);
  });
});
