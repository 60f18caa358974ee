import { screen, within } from '@testing-library/react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { flagsApiRef } from '../api';
import { aFlag, fakeFlagsApi, responseError } from '../testing/fakes';
import { EntityFlagsContent } from './EntityFlagsContent';

const acme = {
  apiVersion: 'dezky.io/v1alpha1',
  kind: 'Tenant',
  metadata: { name: 'acme', namespace: 'default' },
  spec: { plan: 'business', partner: 'nordlicht-it' },
};

function renderTab(api: ReturnType<typeof fakeFlagsApi>) {
  return renderInTestApp(
    <EntityProvider entity={acme}>
      <EntityFlagsContent />
    </EntityProvider>,
    { apis: [[flagsApiRef, api]] },
  );
}

const rowOf = (key: string) =>
  screen
    .getAllByTestId('tenant-flag-row')
    .find(r => r.getAttribute('data-flag-key') === key)!;

describe('EntityFlagsContent', () => {
  it("shows each flag's value for the tenant and why", async () => {
    const api = fakeFlagsApi({
      getTenantFlags: jest.fn(async () => ({
        tenant: 'acme',
        context: {
          tenant: 'acme',
          plan: 'business',
          partner: 'nordlicht-it',
          environment: 'production',
        },
        flags: [
          {
            key: 'gdpr_export_v2',
            value: true,
            reason: 'rollout-in' as const,
            bucket: 1234,
          },
          {
            key: 'beta_mail',
            value: false,
            reason: 'targeted-no-match' as const,
          },
          { key: 'old_ui', value: false, reason: 'off' as const },
          {
            key: 'new_billing',
            value: false,
            reason: 'rollout-out' as const,
            bucket: 9000,
          },
        ],
      })),
      listFlags: jest.fn(async () => [
        aFlag({ key: 'gdpr_export_v2', state: 'rollout', pct: 25 }),
        aFlag({
          key: 'new_billing',
          state: 'rollout',
          pct: 12.34,
          description: 'Billing v3',
        }),
      ]),
    });
    renderTab(api);

    expect(await screen.findAllByTestId('tenant-flag-row')).toHaveLength(4);
    expect(api.getTenantFlags).toHaveBeenCalledWith('acme');
    expect(screen.getByTestId('tenant-flag-context')).toHaveTextContent(
      'Evaluated for plan business · partner nordlicht-it · environment production',
    );

    const gdpr = rowOf('gdpr_export_v2');
    expect(within(gdpr).getByTestId('flag-value')).toHaveTextContent('on');
    expect(within(gdpr).getByTestId('flag-reason')).toHaveTextContent(
      'rollout: bucket 1234 < 2500 → in',
    );
    expect(
      within(rowOf('new_billing')).getByTestId('flag-reason'),
    ).toHaveTextContent('rollout: bucket 9000 ≥ 1234 → out');
    expect(rowOf('new_billing')).toHaveTextContent('Billing v3');
    expect(
      within(rowOf('beta_mail')).getByTestId('flag-value'),
    ).toHaveTextContent('off');
    expect(
      within(rowOf('beta_mail')).getByTestId('flag-reason'),
    ).toHaveTextContent('targeted: not in scope');
    expect(
      within(rowOf('old_ui')).getByTestId('flag-reason'),
    ).toHaveTextContent(/^off$/);
  });

  it('still explains the values when the definitions cannot be read', async () => {
    const api = fakeFlagsApi({
      getTenantFlags: jest.fn(async () => ({
        tenant: 'acme',
        context: { tenant: 'acme', environment: 'staging' },
        flags: [
          { key: 'k', value: true, reason: 'rollout-in' as const, bucket: 7 },
        ],
      })),
      listFlags: jest.fn(async () => {
        throw await responseError(500, 'boom');
      }),
    });
    renderTab(api);
    expect(await screen.findByTestId('flag-reason')).toHaveTextContent(
      'rollout: bucket 7 → in',
    );
    expect(screen.getByTestId('tenant-flag-context')).toHaveTextContent(
      'plan — · sold directly · environment staging',
    );
  });

  it('says when no flags exist, and shows a refusal', async () => {
    const { unmount } = renderTab(fakeFlagsApi());
    expect(await screen.findByText('No flags defined yet')).toBeInTheDocument();
    unmount();

    renderTab(
      fakeFlagsApi({
        getTenantFlags: jest.fn(async () => {
          throw await responseError(
            403,
            'Not allowed: flags.tenant.evaluate',
            'NotAllowedError',
          );
        }),
      }),
    );
    expect(
      (await screen.findAllByText(/Not allowed: flags.tenant.evaluate/)).length,
    ).toBeGreaterThan(0);
  });
});
