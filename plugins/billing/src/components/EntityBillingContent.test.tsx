import {
  act,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { TenantBilling } from '@internal/plugin-billing-common';
import { FreshPermissions } from '@internal/plugin-dezky-react';
import { billingApiRef } from '../api';
import {
  aTenantBilling,
  anInvoice,
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

/** The permission API as the server answers partner staff: reads only. */
const staffPermissions = () =>
  mockApis.permission({
    authorize: request =>
      request.permission.attributes.action === 'read'
        ? AuthorizeResult.ALLOW
        : AuthorizeResult.DENY,
  });

function renderTab(
  api: ReturnType<typeof fakeBillingApi>,
  // an operator: everything allowed
  permission = mockApis.permission(),
) {
  return renderInTestApp(
    <FreshPermissions>
      <EntityProvider entity={acme}>
        <EntityBillingContent />
      </EntityProvider>
    </FreshPermissions>,
    { apis: [[billingApiRef, api], permission] },
  );
}

const invoiceRow = (id: string) =>
  screen
    .getAllByTestId('invoice-row')
    .find(r => r.getAttribute('data-invoice') === id)!;

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
    expect(await screen.findAllByTestId('progress')).not.toHaveLength(0);
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

  it('shows the tenant’s Stripe customer and subscription when billing has seen them, and says so when not', async () => {
    const { unmount } = await renderTab(
      fakeBillingApi({
        getTenant: jest.fn(async () =>
          aTenantBilling({
            stripe: {
              customerId: 'cus_acme',
              subscriptionId: 'sub_acme',
              itemId: 'si_acme',
              priceId: 'price_business_eur_v1',
              status: 'past_due',
              collectionPaused: true,
              quantity: 10,
              currentPeriodStart: '2026-12-01T00:00:00.000Z',
              currentPeriodEnd: '2027-01-01T00:00:00.000Z',
              syncedAt: '2026-12-08T10:00:00.000Z',
            },
          }),
        ),
      }),
    );
    const stripe = (id: string) =>
      screen.getByTestId(`stripe-${id}`).textContent;
    expect(await screen.findByTestId('stripe-customer')).toHaveTextContent(
      'cus_acme',
    );
    expect(stripe('subscription')).toBe('sub_acme');
    expect(stripe('item')).toBe('si_acme');
    expect(stripe('price')).toBe('price_business_eur_v1');
    expect(stripe('status')).toBe('past_due');
    expect(stripe('collection')).toBe('paused');
    expect(stripe('quantity')).toBe('10');
    expect(stripe('period')).toMatch(
      /^20\d\d-\d\d-\d\d \d\d:\d\d – 20\d\d-\d\d-\d\d \d\d:\d\d$/,
    );
    expect(screen.queryByTestId('stripe-none')).toBeNull();
    unmount();

    renderTab(fakeBillingApi());
    expect(await screen.findByTestId('stripe-none')).toHaveTextContent(
      'Not in Stripe yet',
    );
    expect(screen.queryByTestId('stripe-customer')).toBeNull();
  });

  it('lists the tenant’s invoices with status, amounts in their currency and links to Stripe’s invoice and PDF, paged by the server', async () => {
    const api = fakeBillingApi({
      listTenantInvoices: jest.fn(async () => ({
        items: [
          anInvoice(),
          anInvoice({
            id: 'in_acme_draft',
            number: undefined,
            status: 'draft',
            currency: 'CHF',
            total: 583,
            amountDue: 583,
            amountPaid: 0,
            hostedInvoiceUrl: undefined,
            invoicePdf: undefined,
          }),
        ],
        total: 25,
      })),
    });
    renderTab(api);
    expect(await screen.findAllByTestId('invoice-row')).toHaveLength(2);
    expect(api.listTenantInvoices).toHaveBeenCalledWith('acme', {
      limit: 20,
      offset: 0,
    });
    expect(screen.getByText('Invoices (25)')).toBeInTheDocument();

    const paid = invoiceRow('in_acme_2026_12');
    const cell = (row: HTMLElement, id: string) =>
      within(row)
        .getByTestId(id)
        .textContent!.replace(/\u00a0/g, ' ');
    expect(cell(paid, 'invoice-number')).toBe('ACME-0001');
    expect(within(paid).getByTestId('invoice-status')).toHaveTextContent(
      'paid',
    );
    expect(cell(paid, 'invoice-total')).toBe('€119.00');
    expect(cell(paid, 'invoice-due')).toBe('€119.00');
    expect(cell(paid, 'invoice-paid')).toBe('€119.00');
    expect(
      within(paid).getByRole('link', { name: /Invoice ACME-0001 at Stripe/ }),
    ).toHaveAttribute('href', 'https://invoice.stripe.test/i/acme_0001');
    expect(
      within(paid).getByRole('link', { name: /Invoice ACME-0001 as PDF/ }),
    ).toHaveAttribute('href', 'https://invoice.stripe.test/i/acme_0001/pdf');

    const draft = invoiceRow('in_acme_draft');
    expect(cell(draft, 'invoice-number')).toBe('Draft');
    expect(cell(draft, 'invoice-total')).toBe('CHF 5.83');
    expect(cell(draft, 'invoice-paid')).toBe('CHF 0.00');
    expect(within(draft).queryByRole('link')).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'Next Page' }));
    await waitFor(() =>
      expect(api.listTenantInvoices).toHaveBeenLastCalledWith('acme', {
        limit: 20,
        offset: 20,
      }),
    );
  });

  it('says when there are no invoices, also for a tenant the user may not see, and shows a failed read', async () => {
    const { unmount } = await renderTab(fakeBillingApi());
    expect(await screen.findByText('No invoices yet')).toBeInTheDocument();
    unmount();

    const again = await renderTab(
      fakeBillingApi({
        listTenantInvoices: jest.fn(async () => {
          throw await responseError(404, 'No tenant acme', 'NotFoundError');
        }),
      }),
    );
    expect(await screen.findByText('No invoices yet')).toBeInTheDocument();
    again.unmount();

    renderTab(
      fakeBillingApi({
        listTenantInvoices: jest.fn(async () => {
          throw await responseError(500, 'invoices unavailable');
        }),
      }),
    );
    expect(
      (await screen.findAllByText(/invoices unavailable/)).length,
    ).toBeGreaterThan(0);
    // the subscription is there all the same
    expect(await screen.findByTestId('condition-chip')).toBeInTheDocument();
  });

  it('lets operators sync the tenant now, and shows the condition after', async () => {
    const answer = deferred<TenantBilling>();
    const api = fakeBillingApi({
      getTenant: jest.fn(async () =>
        aTenantBilling({
          condition: {
            kind: 'out-of-sync',
            message: 'Stripe bills 9 seats, the record 10',
            since: '2026-12-05T08:00:00.000Z',
          },
        }),
      ),
      syncTenant: jest.fn(() => answer.promise),
    });
    renderTab(api);
    const sync = await screen.findByRole('button', { name: 'Sync now' });
    fireEvent.click(sync);
    expect(api.syncTenant).toHaveBeenCalledWith('acme');
    await waitFor(() => expect(sync).toBeDisabled());
    answer.resolve(aTenantBilling());
    expect(await screen.findByTestId('sync-outcome')).toHaveTextContent(
      'Synced: now in-sync',
    );
    expect(screen.getByTestId('condition-chip')).toHaveAttribute(
      'data-kind',
      'in-sync',
    );
    expect(screen.getByTestId('condition-message')).toHaveTextContent(
      'The subscription record matches the price catalog.',
    );
  });

  it('offers partner staff no Sync now', async () => {
    const permission = staffPermissions();
    const authorize = jest.spyOn(permission, 'authorize');
    renderTab(fakeBillingApi(), permission);
    await screen.findByTestId('condition-chip');
    await waitFor(() =>
      expect(authorize).toHaveBeenCalledWith(
        expect.objectContaining({
          permission: expect.objectContaining({ name: 'billing.tenant.sync' }),
        }),
      ),
    );
    await act(async () => undefined);
    expect(screen.queryByRole('button', { name: 'Sync now' })).toBeNull();
  });
});
