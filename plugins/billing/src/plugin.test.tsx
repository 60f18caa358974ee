import { screen } from '@testing-library/react';
import { mockApis, renderTestApp } from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { billingApiRef } from './api';
import {
  aPrice,
  aReportResult,
  aTenantBilling,
  fakeBillingApi,
} from './testing/fakes';
import billingPlugin from './index';

describe('billingPlugin', () => {
  it('provides the pages, the API and the tenant and partner tabs', () => {
    expect(billingPlugin.pluginId).toBe('billing');
    // the ids are typed: a wrong one does not compile
    expect(billingPlugin.getExtension('api:billing')).toBeDefined();
    expect(billingPlugin.getExtension('page:billing')).toBeDefined();
    expect(billingPlugin.getExtension('page:billing/prices')).toBeDefined();
    expect(billingPlugin.getExtension('page:billing/reports')).toBeDefined();
    expect(
      billingPlugin.getExtension('entity-content:billing/tenant'),
    ).toBeDefined();
    expect(
      billingPlugin.getExtension('entity-content:billing/partner'),
    ).toBeDefined();
    expect(
      billingPlugin.getExtension('entity-content:billing/partner-payouts'),
    ).toBeDefined();
  });

  it('mounts the Billing page at /billing', async () => {
    const api = fakeBillingApi({
      listTenants: jest.fn(async () => ({
        items: [aTenantBilling({ tenant: 'umbrella' })],
        total: 1,
      })),
    });
    renderTestApp({
      features: [billingPlugin],
      apis: [
        [billingApiRef, api],
        mockApis.permission(),
        catalogApiMock({ entities: [] }),
      ],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
      initialRouteEntries: ['/billing?condition=in-sync'],
    });
    expect(await screen.findByText('umbrella')).toBeInTheDocument();
    expect(api.listTenants).toHaveBeenCalledWith({
      condition: 'in-sync',
      limit: 20,
      offset: 0,
    });
  });

  it('mounts the Prices page at /billing/prices', async () => {
    const api = fakeBillingApi({
      listPrices: jest.fn(async () => ({
        items: [aPrice({ plan: 'enterprise' })],
      })),
    });
    renderTestApp({
      features: [billingPlugin],
      apis: [[billingApiRef, api], mockApis.permission()],
      initialRouteEntries: ['/billing/prices'],
    });
    expect(await screen.findByText('enterprise')).toBeInTheDocument();
    expect(api.listTenants).not.toHaveBeenCalled();
  });

  it('mounts the Reports page at /billing/reports, the report in the URL', async () => {
    const api = fakeBillingApi({
      report: jest.fn(async () =>
        aReportResult({
          report: 'growth',
          title: 'Growth',
          columns: [
            { key: 'month', title: 'Month', kind: 'month' },
            { key: 'active', title: 'Active', kind: 'count' },
          ],
          rows: [{ month: '2026-11', active: 42 }],
        }),
      ),
    });
    renderTestApp({
      features: [billingPlugin],
      apis: [
        [billingApiRef, api],
        mockApis.permission(),
        catalogApiMock({ entities: [] }),
      ],
      initialRouteEntries: ['/billing/reports?report=growth&currency=EUR'],
    });
    expect(await screen.findByText('Growth (1 row)')).toBeInTheDocument();
    expect(api.report).toHaveBeenCalledWith(
      'growth',
      expect.objectContaining({ currency: 'EUR' }),
    );
  });
});
