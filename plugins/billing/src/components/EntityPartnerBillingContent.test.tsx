import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { billingApiRef } from '../api';
import {
  anInvoice,
  anMrrReport,
  anMrrTotal,
  fakeBillingApi,
  responseError,
} from '../testing/fakes';
import { EntityPartnerBillingContent } from './EntityPartnerBillingContent';

const nordlicht = {
  apiVersion: 'dezky.io/v1alpha1',
  kind: 'Partner',
  metadata: { name: 'nordlicht-it', namespace: 'default' },
  spec: {},
};

function renderTab(api: ReturnType<typeof fakeBillingApi>) {
  return renderInTestApp(
    <EntityProvider entity={nordlicht}>
      <EntityPartnerBillingContent />
    </EntityProvider>,
    {
      apis: [[billingApiRef, api], mockApis.permission()],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    },
  );
}

const text = (element: HTMLElement) =>
  element.textContent!.replace(/\u00a0/g, ' ');

async function choose(id: string, option: string) {
  fireEvent.mouseDown(within(screen.getByTestId(id)).getByRole('button'));
  fireEvent.click(await screen.findByRole('option', { name: option }));
}

describe('EntityPartnerBillingContent', () => {
  it('shows the MRR of the partner’s tenants per currency: its entry of the report, not the others’', async () => {
    const api = fakeBillingApi({
      mrr: jest.fn(async () =>
        anMrrReport([anMrrTotal({ currency: 'EUR', mrr: 999_999 })], {
          partners: [
            {
              partnerRef: 'partner:default/other-partner',
              totals: [anMrrTotal({ currency: 'EUR', mrr: 1 })],
            },
            {
              partnerRef: 'partner:default/nordlicht-it',
              totals: [
                anMrrTotal({
                  currency: 'EUR',
                  mrr: 35_700,
                  pausedMrr: 1_190,
                  subscriptions: 3,
                }),
                anMrrTotal({ currency: 'CHF', mrr: 583, subscriptions: 1 }),
              ],
            },
          ],
        }),
      ),
    });
    renderTab(api);
    const cards = await screen.findAllByTestId('mrr-card');
    expect(cards.map(c => c.getAttribute('data-currency'))).toEqual([
      'EUR',
      'CHF',
    ]);
    expect(text(within(cards[0]).getByTestId('mrr'))).toBe('€357.00');
    expect(text(within(cards[0]).getByTestId('paused-mrr'))).toBe('€11.90');
    expect(cards[0]).toHaveTextContent('3 subscriptions');
    expect(text(within(cards[1]).getByTestId('mrr'))).toBe('CHF 5.83');
  });

  it('says when the partner has no MRR, and when MRR cannot be read', async () => {
    const { unmount } = await renderTab(fakeBillingApi());
    expect(await screen.findByTestId('mrr-none')).toHaveTextContent(
      "none of this partner's tenants has an active or paused subscription",
    );
    unmount();

    renderTab(
      fakeBillingApi({
        mrr: jest.fn(async () => {
          throw await responseError(503, 'mrr unavailable');
        }),
      }),
    );
    expect(await screen.findByTestId('mrr-error')).toHaveTextContent(
      'MRR unavailable: mrr unavailable',
    );
  });

  it('lists the invoices of the partner’s tenants with the tenant and links, filtered by status and paged by the server', async () => {
    const api = fakeBillingApi({
      listInvoices: jest.fn(async () => ({
        items: [
          anInvoice({
            id: 'in_globex_1',
            tenant: 'globex',
            tenantRef: 'tenant:default/globex',
            partnerRef: 'partner:default/nordlicht-it',
            number: 'GLBX-0007',
            status: 'open',
            amountPaid: 0,
            amountDue: 11_900,
            hostedInvoiceUrl: 'https://invoice.stripe.test/i/glbx_0007',
            invoicePdf: 'https://invoice.stripe.test/i/glbx_0007/pdf',
          }),
        ],
        total: 30,
      })),
    });
    renderTab(api);
    const [row] = await screen.findAllByTestId('invoice-row');
    expect(api.listInvoices).toHaveBeenCalledWith({
      partner: 'nordlicht-it',
      limit: 20,
      offset: 0,
    });
    expect(screen.getByText('Invoices (30)')).toBeInTheDocument();
    expect(within(row).getByRole('link', { name: 'globex' })).toHaveAttribute(
      'href',
      '/catalog/default/tenant/globex',
    );
    expect(within(row).getByTestId('invoice-status')).toHaveTextContent('open');
    expect(text(within(row).getByTestId('invoice-paid'))).toBe('€0.00');
    expect(
      within(row).getByRole('link', { name: /Invoice GLBX-0007 at Stripe/ }),
    ).toHaveAttribute('href', 'https://invoice.stripe.test/i/glbx_0007');
    expect(
      within(row).getByRole('link', { name: /Invoice GLBX-0007 as PDF/ }),
    ).toHaveAttribute('href', 'https://invoice.stripe.test/i/glbx_0007/pdf');

    fireEvent.click(screen.getByRole('button', { name: 'Next Page' }));
    await waitFor(() =>
      expect(api.listInvoices).toHaveBeenLastCalledWith({
        partner: 'nordlicht-it',
        limit: 20,
        offset: 20,
      }),
    );
    await choose('filter-invoice-status', 'open');
    await waitFor(() =>
      expect(api.listInvoices).toHaveBeenLastCalledWith({
        partner: 'nordlicht-it',
        status: 'open',
        limit: 20,
        offset: 0,
      }),
    );
  });

  it('says when there are no invoices, and shows a failed read', async () => {
    const { unmount } = await renderTab(fakeBillingApi());
    expect(await screen.findByText('No invoices yet')).toBeInTheDocument();
    unmount();

    renderTab(
      fakeBillingApi({
        listInvoices: jest.fn(async () => {
          throw await responseError(500, 'invoices unavailable');
        }),
      }),
    );
    expect(
      (await screen.findAllByText(/invoices unavailable/)).length,
    ).toBeGreaterThan(0);
  });
});
