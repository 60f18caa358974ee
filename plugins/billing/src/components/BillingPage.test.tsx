import {
  act,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import { coreApis } from '@backstage/frontend-plugin-api';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { TenantBilling } from '@internal/plugin-billing-common';
import { FreshPermissions } from '@internal/plugin-dezky-react';
import { billingApiRef } from '../api';
import { pricesRouteRef } from '../routes';
import {
  aBillingStatus,
  aStripeEvent,
  aTenantBilling,
  anMrrReport,
  anMrrTotal,
  aPayout,
  deferred,
  fakeBillingApi,
  responseError,
} from '../testing/fakes';
import { BillingPage } from './BillingPage';

const acme = aTenantBilling();
const globex = aTenantBilling({
  tenant: 'globex',
  tenantRef: 'tenant:default/globex',
  partnerRef: 'partner:default/nordlicht-it',
  plan: 'enterprise',
  seats: 1250,
  currency: 'CHF',
  cycle: 'yearly',
  perSeatAmount: 11_990,
  status: 'paused',
  mrr: 0,
  pausedMrr: 1_248_958,
  condition: {
    kind: 'payment-failed',
    message: 'The last invoice could not be charged: card declined',
    since: '2026-12-05T08:00:00.000Z',
  },
});
const werkbank = aTenantBilling({
  tenant: 'werkbank-coop',
  tenantRef: 'tenant:default/werkbank-coop',
  currency: undefined,
  cycle: undefined,
  priceId: undefined,
  priceVersion: undefined,
  perSeatAmount: undefined,
  status: undefined,
  mrr: 0,
  condition: {
    kind: 'missing-billing-details',
    message: 'A direct tenant needs spec.billing to be billed',
    since: '2026-12-05T08:00:00.000Z',
  },
});

const list = (items: TenantBilling[], total = items.length) => ({
  items,
  total,
});

/** The permission API as the server answers partner staff: reads only. */
const staffPermissions = () =>
  mockApis.permission({
    authorize: request =>
      request.permission.attributes.action === 'read'
        ? AuthorizeResult.ALLOW
        : AuthorizeResult.DENY,
  });

function render(
  url: string,
  api: ReturnType<typeof fakeBillingApi>,
  // an operator: everything allowed
  permission = mockApis.permission(),
) {
  const result = renderInTestApp(
    <FreshPermissions>
      <BillingPage />
    </FreshPermissions>,
    {
      apis: [
        [billingApiRef, api],
        permission,
        catalogApiMock({ entities: [] }),
      ],
      mountedRoutes: {
        '/catalog/:namespace/:kind/:name': entityRouteRef,
        '/billing/prices': pricesRouteRef,
      },
      initialRouteEntries: [url],
    },
  );
  const history = result.apis.get(coreApis.appHistory)!;
  return {
    unmount: result.unmount,
    /** The URL's query, as a record. */
    query: () =>
      Object.fromEntries(
        new URLSearchParams(history.getSnapshot().location.search),
      ),
  };
}

const rowOf = (tenant: string) =>
  screen
    .getAllByTestId('billing-row')
    .find(r => r.getAttribute('data-tenant') === tenant)!;

const cardOf = (currency: string) =>
  screen
    .getAllByTestId('mrr-card')
    .find(c => c.getAttribute('data-currency') === currency)!;

async function choose(param: string, option: string) {
  fireEvent.mouseDown(
    within(screen.getByTestId(`filter-${param}`)).getByRole('button'),
  );
  fireEvent.click(await screen.findByRole('option', { name: option }));
}

describe('BillingPage', () => {
  it('says Stripe is not connected with the server’s why, and shows MRR per currency apart, paused MRR beside it', async () => {
    const api = fakeBillingApi({
      mrr: jest.fn(async () =>
        anMrrReport([
          anMrrTotal({
            currency: 'EUR',
            mrr: 123_456,
            pausedMrr: 5,
            subscriptions: 3,
          }),
          anMrrTotal({
            currency: 'CHF',
            mrr: 0,
            pausedMrr: 1_248_958,
            subscriptions: 1,
          }),
          anMrrTotal({ currency: 'JPY', mrr: 1234, subscriptions: 1 }),
        ]),
      ),
    });
    render('/billing', api);
    expect(await screen.findByTestId('stripe-notice')).toHaveTextContent(
      'Stripe is not connected: billing.stripe.enabled is false',
    );
    expect(api.status).toHaveBeenCalledTimes(1);
    expect(screen.queryByTestId('stripe-connected')).toBeNull();
    expect(await screen.findAllByTestId('mrr-card')).toHaveLength(3);
    const text = (currency: string, id: string) =>
      within(cardOf(currency))
        .getByTestId(id)
        .textContent!.replace(/\u00a0/g, ' ');
    expect(text('EUR', 'mrr')).toBe('€1,234.56');
    expect(text('EUR', 'paused-mrr')).toBe('€0.05');
    expect(cardOf('EUR')).toHaveTextContent('3 subscriptions');
    expect(text('CHF', 'mrr')).toBe('CHF 0.00');
    expect(text('CHF', 'paused-mrr')).toBe('CHF 12,489.58');
    expect(text('JPY', 'mrr')).toBe('¥1,234');
    expect(cardOf('JPY')).toHaveTextContent('1 subscription');
    // never a total across currencies
    expect(screen.queryByText(/total/i)).toBeNull();
    expect(screen.getByRole('button', { name: 'Prices' })).toHaveAttribute(
      'href',
      '/billing/prices',
    );
  });

  it('lists the tenants’ billing with amounts in their currency and the condition with why', async () => {
    const api = fakeBillingApi({
      listTenants: jest.fn(async () => list([acme, globex, werkbank])),
    });
    render('/billing', api);
    expect(await screen.findAllByTestId('billing-row')).toHaveLength(3);
    expect(api.listTenants).toHaveBeenCalledTimes(1);
    expect(api.listTenants).toHaveBeenCalledWith({ limit: 20, offset: 0 });
    expect(screen.getByText('Tenants (3)')).toBeInTheDocument();

    const cell = (t: string, id: string) =>
      within(rowOf(t))
        .getByTestId(id)
        .textContent!.replace(/\u00a0/g, ' ');
    expect(rowOf('acme')).toHaveTextContent('business10EUR');
    expect(cell('acme', 'tenant-per-seat')).toBe('€11.90 / monthly');
    expect(cell('acme', 'tenant-mrr')).toBe('€119.00');
    expect(rowOf('acme')).toHaveTextContent('Direct');
    expect(
      within(rowOf('acme')).getByTestId('subscription-status'),
    ).toHaveTextContent('active');

    expect(rowOf('globex')).toHaveTextContent('enterprise1,250CHF');
    expect(cell('globex', 'tenant-per-seat')).toBe('CHF 119.90 / yearly');
    expect(cell('globex', 'tenant-mrr')).toBe('CHF 0.00');
    expect(cell('globex', 'tenant-paused-mrr')).toBe('paused CHF 12,489.58');
    expect(rowOf('globex')).toHaveTextContent('nordlicht-it');

    // not billed: no currency, no amounts
    expect(cell('werkbank-coop', 'tenant-per-seat')).toBe('—');
    expect(cell('werkbank-coop', 'tenant-mrr')).toBe('—');

    // the condition chip, coloured by kind, the message in its tooltip
    const condition = (t: string) =>
      within(rowOf(t)).getByTestId('condition-chip');
    expect(condition('acme')).toHaveTextContent('in-sync');
    expect(within(condition('acme')).getByTestId('status-chip')).toHaveStyle({
      background: '#2e7d32',
    });
    expect(condition('globex')).toHaveAttribute('data-kind', 'payment-failed');
    expect(within(condition('globex')).getByTestId('status-chip')).toHaveStyle({
      background: '#d32f2f',
    });
    fireEvent.mouseOver(condition('werkbank-coop'));
    expect(await screen.findByRole('tooltip')).toHaveTextContent(
      'A direct tenant needs spec.billing to be billed',
    );

    // the tenant links to its catalog page
    expect(
      within(rowOf('globex')).getByRole('link', { name: 'globex' }),
    ).toHaveAttribute('href', '/catalog/default/tenant/globex');
  });

  it('sends the condition filter to the API and keeps it in the URL, starting again at page 1', async () => {
    const api = fakeBillingApi({
      listTenants: jest.fn(async () => list([acme], 45)),
    });
    const { query } = render('/billing?page=2', api);
    await screen.findAllByTestId('billing-row');
    expect(api.listTenants).toHaveBeenCalledWith({ limit: 20, offset: 20 });

    await choose('condition', 'payment-failed');
    await waitFor(() =>
      expect(query()).toEqual({ condition: 'payment-failed' }),
    );
    await waitFor(() =>
      expect(api.listTenants).toHaveBeenLastCalledWith({
        condition: 'payment-failed',
        limit: 20,
        offset: 0,
      }),
    );
    expect(screen.getByTestId('filter-condition')).toHaveTextContent(
      'payment-failed',
    );

    await choose('condition', 'All');
    await waitFor(() => expect(query()).toEqual({}));
    await waitFor(() =>
      expect(api.listTenants).toHaveBeenLastCalledWith({
        limit: 20,
        offset: 0,
      }),
    );
  });

  it('reads the filter from the URL, and pages through the server', async () => {
    const api = fakeBillingApi({
      listTenants: jest.fn(async () => list([globex], 45)),
    });
    const { query } = render('/billing?condition=out-of-sync', api);
    await screen.findByText('Tenants (45)');
    expect(api.listTenants).toHaveBeenCalledWith({
      condition: 'out-of-sync',
      limit: 20,
      offset: 0,
    });
    fireEvent.click(screen.getByRole('button', { name: 'Next Page' }));
    await waitFor(() =>
      expect(query()).toEqual({ condition: 'out-of-sync', page: '2' }),
    );
    await waitFor(() =>
      expect(api.listTenants).toHaveBeenLastCalledWith({
        condition: 'out-of-sync',
        limit: 20,
        offset: 20,
      }),
    );
  });

  it('shows progress while loading', async () => {
    const answer = deferred<{ items: TenantBilling[]; total: number }>();
    const api = fakeBillingApi({ listTenants: jest.fn(() => answer.promise) });
    render('/billing', api);
    expect(await screen.findAllByTestId('progress')).not.toHaveLength(0);
    answer.resolve(list([acme]));
    expect(await screen.findAllByTestId('billing-row')).toHaveLength(1);
  });

  it('says when nothing is billed yet, and when no tenant is in the condition', async () => {
    render('/billing', fakeBillingApi());
    expect(
      await screen.findByText('No tenants billed yet'),
    ).toBeInTheDocument();
    expect(await screen.findByTestId('mrr-none')).toBeInTheDocument();
    expect(screen.queryByRole('table')).toBeNull();
  });

  it('says when no tenant is in the chosen condition, keeping the filter on screen', async () => {
    render('/billing?condition=payment-failed', fakeBillingApi());
    expect(
      await screen.findByText('No tenant in this condition'),
    ).toBeInTheDocument();
    expect(screen.getByTestId('filter-condition')).toHaveTextContent(
      'payment-failed',
    );
  });

  it('shows a failed read, and failed MRR apart', async () => {
    const api = fakeBillingApi({
      listTenants: jest.fn(async () => {
        throw await responseError(500, 'billing database unavailable');
      }),
      mrr: jest.fn(async () => {
        throw await responseError(503, 'mrr unavailable');
      }),
    });
    render('/billing', api);
    expect(
      (await screen.findAllByText(/billing database unavailable/)).length,
    ).toBeGreaterThan(0);
    expect(await screen.findByTestId('mrr-error')).toHaveTextContent(
      'MRR unavailable: mrr unavailable',
    );
    expect(screen.getByTestId('filter-condition')).toBeInTheDocument();
    expect(await screen.findByTestId('stripe-notice')).toBeInTheDocument();
  });

  it('says Stripe is connected, in test or live mode, without the notice', async () => {
    const api = fakeBillingApi({
      status: jest.fn(async () =>
        aBillingStatus({
          connected: true,
          message: 'Stripe is connected (test mode)',
        }),
      ),
    });
    const { unmount } = render('/billing', api);
    expect(await screen.findByTestId('stripe-connected')).toHaveTextContent(
      'Stripe connected (test mode)',
    );
    expect(screen.queryByTestId('stripe-notice')).toBeNull();
    unmount();

    render(
      '/billing',
      fakeBillingApi({
        status: jest.fn(async () =>
          aBillingStatus({
            connected: true,
            livemode: true,
            message: 'Stripe is connected (live mode)',
          }),
        ),
      }),
    );
    expect(await screen.findByTestId('stripe-connected')).toHaveTextContent(
      'Stripe connected (live mode)',
    );
  });

  it('says so when whether Stripe is connected cannot be read', async () => {
    render(
      '/billing',
      fakeBillingApi({
        status: jest.fn(async () => {
          throw await responseError(503, 'billing unavailable');
        }),
      }),
    );
    expect(await screen.findByTestId('stripe-status-error')).toHaveTextContent(
      'Whether Stripe is connected is unknown: billing unavailable',
    );
    expect(screen.queryByTestId('stripe-notice')).toBeNull();
  });

  describe('for operators', () => {
    it('offers Sync now on the tenants that differ from Stripe, shows progress, then the condition after', async () => {
      const outOfSync = aTenantBilling({
        tenant: 'initech',
        tenantRef: 'tenant:default/initech',
        condition: {
          kind: 'out-of-sync',
          message: 'Stripe bills 9 seats, the record 10',
          since: '2026-12-05T08:00:00.000Z',
        },
      });
      const answer = deferred<TenantBilling>();
      const api = fakeBillingApi({
        listTenants: jest.fn(async () =>
          list([acme, globex, werkbank, outOfSync]),
        ),
        syncTenant: jest.fn(() => answer.promise),
      });
      render('/billing', api);
      await screen.findAllByTestId('billing-row');
      const syncOf = (tenant: string) =>
        within(rowOf(tenant)).queryByRole('button', { name: 'Sync now' });
      await waitFor(() => expect(syncOf('initech')).not.toBeNull());
      expect(syncOf('globex')).not.toBeNull(); // payment failed
      expect(syncOf('acme')).toBeNull(); // in sync
      expect(syncOf('werkbank-coop')).toBeNull(); // nothing Stripe could fix

      expect(api.mrr).toHaveBeenCalledTimes(1);
      fireEvent.click(syncOf('initech')!);
      expect(api.syncTenant).toHaveBeenCalledWith('initech');
      await waitFor(() => expect(syncOf('initech')).toBeDisabled());
      expect(
        within(rowOf('initech')).getByRole('progressbar'),
      ).toBeInTheDocument();

      answer.resolve({
        ...outOfSync,
        condition: {
          kind: 'in-sync',
          message: 'matches Stripe',
          since: '2026-12-08T10:00:00.000Z',
        },
      });
      expect(
        await within(rowOf('initech')).findByRole('status'),
      ).toHaveTextContent('Synced: now in-sync');
      expect(rowOf('initech')).toHaveAttribute('data-condition', 'in-sync');
      expect(
        within(rowOf('initech')).getByTestId('condition-chip'),
      ).toHaveAttribute('data-kind', 'in-sync');
      expect(syncOf('initech')).toBeEnabled();
      // the MRR may have moved: read again; the list is not
      await waitFor(() => expect(api.mrr).toHaveBeenCalledTimes(2));
      expect(api.listTenants).toHaveBeenCalledTimes(1);
    });

    it('says why a sync failed, and what the tenant is still in when it did not get in sync', async () => {
      const api = fakeBillingApi({
        listTenants: jest.fn(async () => list([globex])),
        syncTenant: jest.fn(async () => {
          throw await responseError(502, 'Stripe: card_declined');
        }),
      });
      render('/billing', api);
      fireEvent.click(
        await within(
          (
            await screen.findAllByTestId('billing-row')
          )[0],
        ).findByRole('button', { name: 'Sync now' }),
      );
      expect(
        await within(rowOf('globex')).findByRole('alert'),
      ).toHaveTextContent('Sync failed: Stripe: card_declined');
      expect(rowOf('globex')).toHaveAttribute(
        'data-condition',
        'payment-failed',
      );

      api.syncTenant.mockImplementation(async () => globex);
      fireEvent.click(
        within(rowOf('globex')).getByRole('button', { name: 'Sync now' }),
      );
      expect(
        await within(rowOf('globex')).findByRole('status'),
      ).toHaveTextContent(
        'Synced: now payment-failed (The last invoice could not be charged: card declined)',
      );
      expect(within(rowOf('globex')).queryByRole('alert')).toBeNull();
    });

    it('reconciles all only after confirming, then shows the summary and reads the list again', async () => {
      const api = fakeBillingApi({
        listTenants: jest.fn(async () => list([acme])),
        reconcile: jest.fn(async () => ({
          tenants: 12,
          inSync: 10,
          outOfSync: 2,
          repricingMoved: 3,
          repricingFailed: 1,
        })),
      });
      render('/billing', api);
      await screen.findAllByTestId('billing-row');
      fireEvent.click(
        await screen.findByRole('button', { name: 'Reconcile all now' }),
      );
      const dialog = screen.getByRole('dialog', {
        name: "Reconcile every tenant's billing now?",
      });
      fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
      await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
      expect(api.reconcile).not.toHaveBeenCalled();

      fireEvent.click(
        screen.getByRole('button', { name: 'Reconcile all now' }),
      );
      fireEvent.click(
        within(screen.getByRole('dialog')).getByRole('button', {
          name: 'Reconcile all',
        }),
      );
      expect(api.reconcile).toHaveBeenCalledTimes(1);
      expect(await screen.findByTestId('reconcile-notice')).toHaveTextContent(
        'Reconciled 12 tenants: 10 in sync, 2 out of sync; re-pricing: 3 moved, 1 failed.',
      );
      await waitFor(() => expect(api.listTenants).toHaveBeenCalledTimes(2));
      expect(api.mrr).toHaveBeenCalledTimes(2);
      await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    });

    it('shows a refused reconcile', async () => {
      const api = fakeBillingApi({
        reconcile: jest.fn(async () => {
          throw await responseError(409, 'a billing reconcile is running');
        }),
      });
      render('/billing', api);
      fireEvent.click(
        await screen.findByRole('button', { name: 'Reconcile all now' }),
      );
      fireEvent.click(screen.getByRole('button', { name: 'Reconcile all' }));
      expect(await screen.findByTestId('reconcile-notice')).toHaveTextContent(
        'Reconcile failed: a billing reconcile is running',
      );
    });

    it('lists the webhook events received, paged by the server and filtered by type', async () => {
      const api = fakeBillingApi({
        listStripeEvents: jest.fn(async () => ({
          items: [
            aStripeEvent(),
            aStripeEvent({
              id: 'evt_2',
              type: 'customer.subscription.updated',
              outcome: 'stale',
              message: 'older than the subscription billing knows',
              tenantRef: undefined,
            }),
          ],
          total: 45,
        })),
      });
      render('/billing', api);
      const section = await screen.findByTestId('stripe-events');
      expect(await within(section).findAllByTestId('event-row')).toHaveLength(
        2,
      );
      expect(api.listStripeEvents).toHaveBeenCalledWith({
        limit: 20,
        offset: 0,
      });
      expect(within(section).getByText('Events (45)')).toBeInTheDocument();
      const stale = within(section)
        .getAllByTestId('event-row')
        .find(r => r.getAttribute('data-event') === 'evt_2')!;
      expect(stale).toHaveTextContent('customer.subscription.updated');
      expect(within(stale).getByTestId('event-outcome')).toHaveTextContent(
        'stale',
      );
      expect(stale).toHaveTextContent(
        'older than the subscription billing knows',
      );

      fireEvent.click(
        within(section).getByRole('button', { name: 'Next Page' }),
      );
      await waitFor(() =>
        expect(api.listStripeEvents).toHaveBeenLastCalledWith({
          limit: 20,
          offset: 20,
        }),
      );

      const type = within(section).getByLabelText('Event type');
      fireEvent.change(type, { target: { value: 'Invoice Paid' } });
      fireEvent.keyDown(type, { key: 'Enter' });
      expect(section).toHaveTextContent('A Stripe event type');
      fireEvent.change(type, { target: { value: ' invoice.paid ' } });
      fireEvent.keyDown(type, { key: 'Enter' });
      await waitFor(() =>
        expect(api.listStripeEvents).toHaveBeenLastCalledWith({
          type: 'invoice.paid',
          limit: 20,
          offset: 0,
        }),
      );
      // the tenants' list and its page are another list's
      expect(api.listTenants).toHaveBeenCalledTimes(1);
    });

    it('says when no webhook event was received', async () => {
      render('/billing', fakeBillingApi());
      expect(
        await screen.findByText('No webhook events received'),
      ).toBeInTheDocument();
    });
  });

  it('offers partner staff no Sync now, no Reconcile all and no webhook events', async () => {
    const api = fakeBillingApi({
      listTenants: jest.fn(async () => list([acme, globex])),
    });
    const permission = staffPermissions();
    const authorize = jest.spyOn(permission, 'authorize');
    render('/billing', api, permission);
    await screen.findAllByTestId('billing-row');
    await waitFor(() =>
      expect(authorize).toHaveBeenCalledWith(
        expect.objectContaining({
          permission: expect.objectContaining({ name: 'billing.tenant.sync' }),
        }),
      ),
    );
    await act(async () => undefined);
    expect(screen.queryByRole('button', { name: 'Sync now' })).toBeNull();
    expect(
      screen.queryByRole('button', { name: 'Reconcile all now' }),
    ).toBeNull();
    expect(screen.queryByTestId('stripe-events')).toBeNull();
    expect(api.listStripeEvents).not.toHaveBeenCalled();
  });

  it('shows the partner payout ledger under the tenants: Generate and Mark paid for operators, read-only for partner staff', async () => {
    const api = fakeBillingApi({
      listTenants: jest.fn(async () => list([acme])),
      payouts: jest.fn(async () => ({ items: [aPayout()], total: 1 })),
    });
    const operator = render('/billing', api);
    const ledger = await screen.findByRole('region', {
      name: 'Partner payouts',
    });
    expect(await within(ledger).findAllByTestId('payout-row')).toHaveLength(1);
    expect(api.payouts).toHaveBeenCalledWith({ limit: 20, offset: 0 });
    expect(
      await within(ledger).findByRole('button', { name: 'Generate payouts' }),
    ).toBeEnabled();
    expect(
      within(ledger).getByRole('button', { name: 'Mark paid' }),
    ).toBeEnabled();
    expect(screen.getByRole('button', { name: 'Reports' })).toHaveAttribute(
      'href',
      '/billing/reports',
    );
    operator.unmount();

    const permission = staffPermissions();
    const authorize = jest.spyOn(permission, 'authorize');
    render('/billing', api, permission);
    const staffLedger = await screen.findByRole('region', {
      name: 'Partner payouts',
    });
    expect(
      await within(staffLedger).findAllByTestId('payout-row'),
    ).toHaveLength(1);
    await waitFor(() =>
      expect(authorize).toHaveBeenCalledWith(
        expect.objectContaining({
          permission: expect.objectContaining({
            name: 'billing.payout.manage',
          }),
        }),
      ),
    );
    await act(async () => undefined);
    expect(
      within(staffLedger).queryByRole('button', { name: 'Generate payouts' }),
    ).toBeNull();
    expect(
      within(staffLedger).queryByRole('button', { name: 'Mark paid' }),
    ).toBeNull();
  });
});
