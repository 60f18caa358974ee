import { screen, within } from '@testing-library/react';
import { fetchApiRef } from '@backstage/frontend-plugin-api';
import {
  mockApis,
  renderInTestApp,
  TestApiPair,
} from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { FreshPermissions } from '@internal/plugin-dezky-react';
import {
  ProvisioningApi,
  ProvisioningSummary,
  provisioningApiRef,
  provisioningRouteRef,
} from '../provisioning';
import { HomePage } from './HomePage';

const tenant = (name: string) => ({
  apiVersion: 'dezky.io/v1alpha1',
  kind: 'Tenant',
  metadata: { namespace: 'default', name },
  spec: { owner: 'group:default/x', plan: 'business', seats: 5 },
});

const summary = (
  phases: ProvisioningSummary['phases'],
): ProvisioningSummary => {
  const none = { pending: 0, ok: 0, error: 0, skipped: 0, paused: 0 };
  return { phases, steps: { authentik: none, stalwart: none, ocis: none } };
};

/** A provisioning API answering only the summary. */
const fakeProvisioning = (
  read: () => Promise<ProvisioningSummary>,
): jest.Mocked<ProvisioningApi> => ({
  listTenants: jest.fn(),
  getTenant: jest.fn(),
  reconcile: jest.fn(),
  suspend: jest.fn(),
  resume: jest.fn(),
  terminate: jest.fn(),
  listDomains: jest.fn(),
  recheckDomain: jest.fn(),
  setDmarc: jest.fn(),
  listMembers: jest.fn(),
  createMember: jest.fn(),
  memberAction: jest.fn(),
  removeMember: jest.fn(),
  summary: jest.fn(read),
});

function renderHome(provisioning?: ProvisioningApi) {
  const apis: TestApiPair<any>[] = [
    catalogApiMock({ entities: [tenant('acme'), tenant('globex')] }),
    mockApis.permission(),
    mockApis.identity({ userEntityRef: 'user:default/anna' }),
    mockApis.discovery(),
    [
      fetchApiRef,
      { fetch: async () => new Response(JSON.stringify({ entities: [] })) },
    ],
  ];
  if (provisioning) apis.push([provisioningApiRef, provisioning]);
  return renderInTestApp(
    <FreshPermissions>
      <HomePage />
    </FreshPermissions>,
    {
      apis,
      mountedRoutes: {
        '/catalog/:namespace/:kind/:name': entityRouteRef,
        '/provisioning': provisioningRouteRef,
      },
    },
  );
}

describe('HomePage', () => {
  it('counts the tenants by provisioning phase, each phase linking to the Provisioning page filtered to it', async () => {
    const provisioning = fakeProvisioning(async () =>
      summary({ pending: 2, active: 5, degraded: 1 }),
    );
    renderHome(provisioning);
    const card = await screen.findByTestId('tenants-by-phase');
    expect(provisioning.summary).toHaveBeenCalledTimes(1);
    const rows = within(card).getAllByRole('row').slice(1);
    expect(rows.map(r => r.textContent)).toEqual([
      'pending2',
      'active5',
      'degraded1',
    ]);
    expect(
      within(card).getByRole('link', { name: 'degraded' }),
    ).toHaveAttribute('href', '/provisioning?phase=degraded');
    expect(within(card).getByRole('link', { name: 'pending' })).toHaveAttribute(
      'href',
      '/provisioning?phase=pending',
    );
    expect(
      screen.getByText('Tenants by provisioning phase'),
    ).toBeInTheDocument();
    // the rest of the page is there
    expect(screen.getByTestId('tenant-count')).toHaveTextContent('2');
  });

  it('says so when the summary cannot be read, and keeps the rest of the page', async () => {
    renderHome(
      fakeProvisioning(async () => {
        throw new Error('provisioning backend down');
      }),
    );
    expect(
      await screen.findByTestId('tenants-by-phase-error'),
    ).toHaveTextContent(
      'Could not read the provisioning summary: provisioning backend down',
    );
    expect(screen.getByTestId('tenant-count')).toHaveTextContent('2');
  });

  it('has no provisioning card without the provisioning plugin', async () => {
    renderHome();
    expect(await screen.findByTestId('tenant-count')).toHaveTextContent('2');
    expect(screen.queryByText('Tenants by provisioning phase')).toBeNull();
  });
});
