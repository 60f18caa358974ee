import { screen, waitFor, within } from '@testing-library/react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { ProvisioningApi, provisioningApiRef } from '../provisioning';
import { PartnerContractCard, TenantCard } from './EntityCards';
import { CountTable } from './CountTable';

/** Entity links need the catalog's entity page mounted. */
const mountedRoutes = { '/catalog/:namespace/:kind/:name': entityRouteRef };

const partner = {
  apiVersion: 'dezky.io/v1alpha1',
  kind: 'Partner',
  metadata: { name: 'nordlicht-it', namespace: 'default' },
  spec: {
    owner: 'group:default/partner-nordlicht-it',
    status: 'active',
    marginPct: 20,
    domain: 'nordlicht-it.example',
    contact: { name: 'Jana', email: 'jana@nordlicht-it.example' },
    billing: { company: 'Nordlicht IT GmbH', currency: 'EUR', country: 'DE' },
  },
};

const tenant = {
  apiVersion: 'dezky.io/v1alpha1',
  kind: 'Tenant',
  metadata: { name: 'acme', namespace: 'default', title: 'ACME GmbH' },
  spec: {
    owner: 'group:default/partner-nordlicht-it',
    partner: 'nordlicht-it',
    plan: 'business',
    seats: 25,
    domains: ['acme.example'],
    integrations: ['authentik'],
  },
};

describe('entity cards', () => {
  it('shows a partner’s contract as label/value rows, with its status chip', async () => {
    await renderInTestApp(
      <EntityProvider entity={partner}>
        <PartnerContractCard />
      </EntityProvider>,
      { mountedRoutes },
    );
    const card = await screen.findByTestId('partner-contract');
    expect(within(card).getByRole('row', { name: /Margin 20 %/ })).toBeTruthy();
    expect(within(card).getByRole('row', { name: /End —/ })).toBeTruthy();
    expect(within(card).getByTestId('status-chip')).toHaveAttribute(
      'data-status',
      'active',
    );
    expect(within(card).queryByRole('columnheader')).toBeNull();
  });

  it('shows a tenant’s plan and seats', async () => {
    await renderInTestApp(
      <EntityProvider entity={tenant}>
        <TenantCard />
      </EntityProvider>,
      { mountedRoutes },
    );
    const card = await screen.findByTestId('tenant-details');
    expect(
      within(card).getByRole('row', { name: 'Plan business' }),
    ).toBeTruthy();
    expect(within(card).getByRole('row', { name: 'Seats 25' })).toBeTruthy();
    // no provisioning plugin: the status in git
    expect(within(card).getByTestId('status-chip')).toHaveTextContent(
      /^active$/,
    );
  });

  it('shows the tenant’s status as provisioning has it: a suspension in the portal too', async () => {
    const description =
      'suspended in the portal by anna.schmidt@dezky.example on 2026-12-07: unpaid invoices';
    const provisioning = {
      listTenants: jest.fn(async () => ({
        items: [
          {
            tenant: 'acme',
            phase: 'active' as const,
            lifecycle: {
              status: 'suspended' as const,
              source: 'portal' as const,
              gitStatus: 'active' as const,
              description,
            },
            steps: [],
          },
        ],
        total: 1,
      })),
      listDomains: jest.fn(async () => ({ tenant: 'acme', items: [] })),
    } as Partial<ProvisioningApi> as ProvisioningApi;
    await renderInTestApp(
      <EntityProvider entity={tenant}>
        <TenantCard />
      </EntityProvider>,
      { mountedRoutes, apis: [[provisioningApiRef, provisioning]] },
    );
    const card = await screen.findByTestId('tenant-details');
    expect(await within(card).findByTestId('lifecycle-chip')).toHaveTextContent(
      'suspended · portal',
    );
    expect(within(card).getByTestId('lifecycle-chip')).toHaveAttribute(
      'title',
      description,
    );
    expect(provisioning.listTenants).toHaveBeenCalledWith({
      tenants: ['acme'],
      limit: 1,
    });
    // every domain verified: no badge
    await waitFor(() =>
      expect(provisioning.listDomains).toHaveBeenCalledWith('acme'),
    );
    expect(within(card).queryByTestId('domains-attention')).toBeNull();
  });

  it('shows a badge linking to the Domains tab when a domain is not verified', async () => {
    const provisioning = {
      listTenants: jest.fn(async () => ({ items: [], total: 0 })),
      listDomains: jest.fn(async () => ({
        tenant: 'acme',
        items: [
          {
            domain: 'acme.example',
            verified: true,
            records: [],
            dmarc: { policy: 'none' as const },
          },
          {
            domain: 'acme.test',
            verified: false,
            records: [],
            dmarc: { policy: 'none' as const },
          },
        ],
      })),
    } as Partial<ProvisioningApi> as ProvisioningApi;
    await renderInTestApp(
      <EntityProvider entity={tenant}>
        <TenantCard />
      </EntityProvider>,
      { mountedRoutes, apis: [[provisioningApiRef, provisioning]] },
    );
    const card = await screen.findByTestId('tenant-details');
    const badge = await within(card).findByRole('link', {
      name: '1 domain needs attention: open the Domains tab',
    });
    expect(badge).toHaveAttribute(
      'href',
      '/catalog/default/tenant/acme/domains',
    );
    expect(badge).toHaveTextContent('1 domain needs attention');
  });
});

describe('CountTable', () => {
  it('lists counts under headers that do not wrap', async () => {
    await renderInTestApp(
      <CountTable
        label="Plan"
        testId="by-plan"
        counts={[
          { key: 'business', count: 7 },
          { key: 'starter', count: 3 },
        ]}
      />,
    );
    const table = await screen.findByTestId('by-plan');
    expect(within(table).getByRole('row', { name: 'business 7' })).toBeTruthy();
    expect(
      within(table).getByRole('columnheader', { name: /Plan/ }),
    ).toHaveStyle({
      whiteSpace: 'nowrap',
    });
  });
});
