import { fireEvent, screen, within } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { TenantBilling } from '@internal/plugin-billing-common';
import { billingApiRef } from '../api';
import {
  aTenantBilling,
  deferred,
  fakeBillingApi,
  responseError,
} from '../testing/fakes';
import { EntityBillingContent } from './EntityBillingContent';

const acme = {
  apiVersion: 'dezky.io/v1alpha1',
  kind: 'Tenant',
  metadata: { name: 'acme', namespace: 'default' },
  spec: {},
};

function renderTab(api: ReturnType<typeof fakeBillingApi>) {
  return renderInTestApp(
    <EntityProvider entity={acme}>
      <EntityBillingContent />
    </EntityProvider>,
    { apis: [[billingApiRef, api], mockApis.permission()] },
  );
}

const fact = (id: string) =>
  screen.getByTestId(`billing-${id}`).textContent!.replace(/\u00a0/g, ' ');

describe('EntityBillingContent', () => {
  it('shows the tenant’s billing record, amounts in its currency, and its condition with why and since', async () => {
    const api = fakeBillingApi({
      getTenant: jest.fn(async () =>
        aTenantBilling({
          currency: 'CHF',
          cycle: 'yearly',
          seats: 7,
          perSeatAmount: 999,
          priceVersion: 2,
          status: 'paused',
          mrr: 0,
          pausedMrr: 583,
          condition: {
            kind: 'out-of-sync',
            message: 'the subscription bills version 2, the catalog is at 3',
            since: '2026-12-05T08:00:00.000Z',
          },
        }),
      ),
    });
    renderTab(api);
    expect(await screen.findByTestId('condition-chip')).toHaveAttribute(
      'data-kind',
      'out-of-sync',
    );
    expect(api.getTenant).toHaveBeenCalledWith('acme');
    expect(fact('plan')).toBe('business');
    expect(fact('seats')).toBe('7');
    expect(fact('currency')).toBe('CHF');
    expect(fact('cycle')).toBe('yearly');
    expect(fact('price-version')).toBe('2');
    expect(fact('per-seat')).toBe('CHF 9.99');
    expect(fact('status')).toBe('paused');
    expect(fact('mrr')).toBe('CHF 0.00');
    expect(fact('paused-mrr')).toBe('CHF 5.83');
    expect(screen.getByTestId('condition-message')).toHaveTextContent(
      'the subscription bills version 2, the catalog is at 3',
    );
    expect(screen.getByTestId('condition-since')).toHaveTextContent(
      /^since 2026-12-0\d \d\d:\d\d$/,
    );
    fireEvent.mouseOver(
      within(screen.getByTestId('condition-chip')).getByTestId('status-chip'),
    );
    expect(await screen.findByRole('tooltip')).toHaveTextContent(
      'the subscription bills version 2, the catalog is at 3',
    );
  });

  it('shows — for what a tenant without billing details has not got', async () => {
    renderTab(
      fakeBillingApi({
        getTenant: jest.fn(async () =>
          aTenantBilling({
            currency: undefined,
            cycle: undefined,
            priceVersion: undefined,
            perSeatAmount: undefined,
            status: undefined,
            mrr: 0,
            condition: {
              kind: 'missing-billing-details',
              message: 'a direct tenant needs spec.billing',
              since: '2026-12-05T08:00:00.000Z',
            },
          }),
        ),
      }),
    );
    await screen.findByTestId('condition-chip');
    expect(fact('currency')).toBe('—');
    expect(fact('per-seat')).toBe('—');
    expect(fact('mrr')).toBe('—');
    expect(fact('status')).toBe('—');
  });

  it('shows progress while loading', async () => {
    const answer = deferred<TenantBilling>();
    renderTab(fakeBillingApi({ getTenant: jest.fn(() => answer.promise) }));
    expect(await screen.findByTestId('progress')).toBeInTheDocument();
    answer.resolve(aTenantBilling());
    expect(await screen.findByTestId('condition-chip')).toBeInTheDocument();
  });

  it('says a tenant billing has not heard of is not billed yet, and shows other errors', async () => {
    const { unmount } = await renderTab(
      fakeBillingApi({
        getTenant: jest.fn(async () => {
          throw await responseError(
            404,
            'No billing for acme',
            'NotFoundError',
          );
        }),
      }),
    );
    expect(await screen.findByText('Not billed yet')).toBeInTheDocument();
    expect(
      screen.getByText(/Billing hears of a tenant once it is activated/),
    ).toBeInTheDocument();
    unmount();

    renderTab(
      fakeBillingApi({
        getTenant: jest.fn(async () => {
          throw await responseError(500, 'billing database unavailable');
        }),
      }),
    );
    expect(
      (await screen.findAllByText(/billing database unavailable/)).length,
    ).toBeGreaterThan(0);
  });
});
