import { screen, waitFor } from '@testing-library/react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { provisioningApiRef } from '../api';
import { aDomain, fakeProvisioningApi, responseError } from '../testing/fakes';
import { DomainsAttentionBadge } from './DomainsAttentionBadge';

const mountedRoutes = { '/catalog/:namespace/:kind/:name': entityRouteRef };

const missingSpf = { spf: { status: 'missing' as const, found: undefined } };

describe('DomainsAttentionBadge', () => {
  it('counts the domains not verified and links to the Domains tab', async () => {
    const api = fakeProvisioningApi({
      listDomains: jest.fn(async tenant => ({
        tenant,
        items: [
          aDomain({ domain: 'acme.example' }),
          aDomain({ domain: 'acme.test', recordsBy: missingSpf }),
          aDomain({ domain: 'acme.dev', recordsBy: missingSpf }),
        ],
      })),
    });
    await renderInTestApp(<DomainsAttentionBadge tenant="acme" />, {
      mountedRoutes,
      apis: [[provisioningApiRef, api]],
    });
    const badge = await screen.findByRole('link', {
      name: '2 domains need attention: open the Domains tab',
    });
    expect(badge).toHaveAttribute(
      'href',
      '/catalog/default/tenant/acme/domains',
    );
    expect(screen.getByTestId('domains-attention')).toHaveTextContent(
      '2 domains need attention',
    );
    expect(api.listDomains).toHaveBeenCalledWith('acme');
  });

  it('shows nothing when every domain is verified, or the domains cannot be read', async () => {
    const verified = fakeProvisioningApi({
      listDomains: jest.fn(async tenant => ({ tenant, items: [aDomain()] })),
    });
    const { unmount } = await renderInTestApp(
      <DomainsAttentionBadge tenant="acme" />,
      { mountedRoutes, apis: [[provisioningApiRef, verified]] },
    );
    await waitFor(() => expect(verified.listDomains).toHaveBeenCalled());
    expect(screen.queryByTestId('domains-attention')).toBeNull();
    unmount();

    const refused = fakeProvisioningApi({
      listDomains: jest.fn(async () => {
        throw await responseError(404, 'No tenant acme', 'NotFoundError');
      }),
    });
    await renderInTestApp(<DomainsAttentionBadge tenant="acme" />, {
      mountedRoutes,
      apis: [[provisioningApiRef, refused]],
    });
    await waitFor(() => expect(refused.listDomains).toHaveBeenCalled());
    expect(screen.queryByTestId('domains-attention')).toBeNull();
  });
});
