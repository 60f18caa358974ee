import { screen } from '@testing-library/react';
import { mockApis, renderTestApp } from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { provisioningApiRef } from './api';
import { aSummary, aTenant, fakeProvisioningApi } from './testing/fakes';
import provisioningPlugin from './index';

describe('provisioningPlugin', () => {
  it('provides the page, the API and the tenant tabs', () => {
    expect(provisioningPlugin.pluginId).toBe('provisioning');
    // the ids are typed: a wrong one does not compile
    expect(provisioningPlugin.getExtension('api:provisioning')).toBeDefined();
    expect(provisioningPlugin.getExtension('page:provisioning')).toBeDefined();
    expect(
      provisioningPlugin.getExtension('entity-content:provisioning/tenant'),
    ).toBeDefined();
    expect(
      provisioningPlugin.getExtension(
        'entity-content:provisioning/tenant-domains',
      ),
    ).toBeDefined();
    expect(
      provisioningPlugin.getExtension(
        'entity-content:provisioning/tenant-members',
      ),
    ).toBeDefined();
  });

  it('mounts the Provisioning page at /provisioning', async () => {
    const api = fakeProvisioningApi({
      listTenants: jest.fn(async () => ({
        items: [aTenant({ title: 'Umbrella AG' })],
        total: 1,
      })),
      summary: jest.fn(async () => aSummary({ active: 1 })),
    });
    renderTestApp({
      features: [provisioningPlugin],
      apis: [[provisioningApiRef, api], mockApis.permission()],
      // the catalog's entity pages, which the tenants link to
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
      initialRouteEntries: ['/provisioning?phase=active'],
    });
    expect(await screen.findByText('Umbrella AG')).toBeInTheDocument();
    expect(api.listTenants).toHaveBeenCalledWith({
      phase: 'active',
      limit: 20,
      offset: 0,
    });
  });
});
