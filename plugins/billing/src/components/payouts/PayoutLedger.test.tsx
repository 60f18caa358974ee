import {
  act,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { Payout } from '@internal/plugin-billing-common';
import { FreshPermissions } from '@internal/plugin-dezky-react';
import { billingApiRef, ListPayoutsFilters } from '../../api';
import { reportsRouteRef } from '../../routes';
import {
  aPayout,
  aPrice,
  fakeBillingApi,
  responseError,
} from '../../testing/fakes';
import { dayOf } from '../days';
import { EntityPartnerPayoutsContent } from './EntityPartnerPayoutsContent';
import { PayoutLedger } from './PayoutLedger';

/** nordlicht-it, November: closed (to be paid). */
const closedEur = aPayout();
/** nordlicht-it, December: open (the month runs). */
const openEur = aPayout({
  id: 'open-eur',
  month: '2026-12',
  state: 'open',
  grossMrr: 120_000,
  amount: 15_000,
  snapshotDay: '2026-12-09',
  closedAt: undefined,
});
/** suedwind, October in CHF: paid. */
const paidChf = aPayout({
  id: 'paid-chf',
  partnerRef: 'partner:default/suedwind',
  month: '2026-10',
  currency: 'CHF',
  grossMrr: 58_300,
  marginPct: '20',
  amount: 11_660,
  state: 'paid',
  snapshotDay: '2026-10-31',
  paidOn: '2026-11-05',
  paidReference: 'SW-2026-10',
  paidBy: 'user:default/anna.schmidt',
});
const ALL = [openEur, closedEur, paidChf];

/** A fake ledger that filters as the server does: by partner (name), month, currency and state. */
function fakeApi(rows: Payout[] = ALL) {
  return fakeBillingApi({
    payouts: jest.fn(async (filters: ListPayoutsFilters = {}) => {
      const items = rows.filter(
        p =>
          (!filters.partner ||
            p.partnerRef === `partner:default/${filters.partner}`) &&
          (!filters.month || p.month === filters.month) &&
          (!filters.currency || p.currency === filters.currency) &&
          (!filters.state || p.state === filters.state),
      );
      return { items, total: items.length };
    }),
    listPrices: jest.fn(async () => ({
      items: [
        aPrice({ currency: 'EUR' }),
        aPrice({ id: 'p2', currency: 'CHF' }),
      ],
    })),
  });
}

/** The permission API as the server answers partner staff: reads only. */
const staffPermissions = () =>
  mockApis.permission({
    authorize: request =>
      request.permission.attributes.action === 'read'
        ? AuthorizeResult.ALLOW
        : AuthorizeResult.DENY,
  });

const partnerEntity = (name: string) => ({
  apiVersion: 'dezky.io/v1alpha1',
  kind: 'Partner',
  metadata: { name, namespace: 'default' },
  spec: {},
});

function render(
  element: JSX.Element,
  api: ReturnType<typeof fakeBillingApi>,
  permission = mockApis.permission(),
  // the Partner entities the user may see (staff: their own)
  partners = [partnerEntity('nordlicht-it'), partnerEntity('suedwind')],
) {
  return renderInTestApp(<FreshPermissions>{element}</FreshPermissions>, {
    apis: [
      [billingApiRef, api],
      permission,
      catalogApiMock({ entities: partners }),
    ],
    mountedRoutes: {
      '/catalog/:namespace/:kind/:name': entityRouteRef,
      '/billing/reports': reportsRouteRef,
    },
  });
}

const text = (element: Element) => element.textContent!.replace(/\u00a0/g, ' ');

const rowOf = (id: string) =>
  screen
    .getAllByTestId('payout-row')
    .find(r => r.getAttribute('data-payout') === id)!;

async function choose(id: string, option: string) {
  fireEvent.mouseDown(within(screen.getByTestId(id)).getByRole('button'));
  fireEvent.click(await screen.findByRole('option', { name: option }));
}

describe('PayoutLedger', () => {
  it('lists the payouts: partner, month, currency, gross MRR, margin, the amount in its currency, state, snapshot day, paid on and reference', async () => {
    const api = fakeApi();
    render(<PayoutLedger allowGenerate />, api);
    expect(await screen.findAllByTestId('payout-row')).toHaveLength(3);
    expect(api.payouts).toHaveBeenCalledWith({ limit: 20, offset: 0 });
    expect(screen.getByText('Payouts (3)')).toBeInTheDocument();
    expect(screen.getAllByRole('columnheader').map(h => h.textContent)).toEqual(
      [
        'Partner',
        'Month',
        'Currency',
        'Gross MRR',
        'Margin',
        'Amount',
        'State',
        'Snapshot',
        'Paid',
        '',
      ],
    );
    const cell = (id: string, testId: string) =>
      text(within(rowOf(id)).getByTestId(testId));
    expect(within(rowOf(closedEur.id)).getByRole('link')).toHaveTextContent(
      'nordlicht-it',
    );
    expect(cell(closedEur.id, 'payout-gross')).toBe('€1,190.00');
    expect(cell(closedEur.id, 'payout-margin')).toBe('12.5 %');
    expect(cell(closedEur.id, 'payout-amount')).toBe('€148.75');
    expect(cell(closedEur.id, 'payout-state')).toBe('closed');
    expect(rowOf(closedEur.id)).toHaveTextContent('2026-11-30');
    expect(cell(closedEur.id, 'payout-paid-on')).toBe('—');
    expect(
      within(rowOf(closedEur.id)).queryByTestId('payout-reference'),
    ).toBeNull();
    expect(cell(paidChf.id, 'payout-amount')).toBe('CHF 116.60');
    expect(cell(paidChf.id, 'payout-paid-on')).toBe('2026-11-05');
    expect(cell(paidChf.id, 'payout-reference')).toBe('SW-2026-10');
    expect(cell(openEur.id, 'payout-state')).toBe('open');
  });

  it('filters by partner, month, currency and state, from the first page, and exports the same filters as CSV', async () => {
    const api = fakeApi();
    render(<PayoutLedger allowGenerate />, api);
    await screen.findAllByTestId('payout-row');

    await choose('filter-payout-partner', 'nordlicht-it');
    await waitFor(() =>
      expect(api.payouts).toHaveBeenLastCalledWith({
        partner: 'nordlicht-it',
        limit: 20,
        offset: 0,
      }),
    );
    fireEvent.change(screen.getByLabelText('Month'), {
      target: { value: '2026-11' },
    });
    await choose('filter-payout-currency', 'EUR');
    await choose('filter-payout-state', 'closed');
    await waitFor(() =>
      expect(api.payouts).toHaveBeenLastCalledWith({
        partner: 'nordlicht-it',
        month: '2026-11',
        currency: 'EUR',
        state: 'closed',
        limit: 20,
        offset: 0,
      }),
    );
    await waitFor(() =>
      expect(
        screen.getAllByTestId('payout-row').map(r => r.dataset.payout),
      ).toEqual([closedEur.id]),
    );

    fireEvent.click(screen.getByRole('button', { name: 'Export CSV' }));
    await waitFor(() =>
      expect(api.downloadPayoutsCsv).toHaveBeenCalledWith({
        partner: 'nordlicht-it',
        month: '2026-11',
        currency: 'EUR',
        state: 'closed',
      }),
    );

    await choose('filter-payout-state', 'paid');
    expect(
      await screen.findByText('No payout matches these filters'),
    ).toBeInTheDocument();
  });

  it('says when there are no payouts yet', async () => {
    render(<PayoutLedger allowGenerate />, fakeApi([]));
    expect(await screen.findByText('No payouts yet')).toBeInTheDocument();
    expect(screen.queryByRole('table')).toBeNull();
  });

  it('generates payouts after the confirmation, for the current month or the one given, and shows what it did', async () => {
    const api = fakeApi();
    api.generatePayouts.mockImplementation(async month => ({
      month: month ?? '2026-12',
      snapshotDay: month ? '2026-11-30' : '2026-12-09',
      closedMonths: month ? [] : ['2026-11'],
      created: 3,
      changed: 1,
      closed: 2,
    }));
    render(<PayoutLedger allowGenerate />, api);
    await screen.findAllByTestId('payout-row');
    expect(api.payouts).toHaveBeenCalledTimes(1);

    fireEvent.click(screen.getByRole('button', { name: 'Generate payouts' }));
    let dialog = await screen.findByRole('dialog', {
      name: 'Generate payouts?',
    });
    // a month not begun is refused before asking
    const month = within(dialog).getByLabelText('Month (optional)');
    fireEvent.change(month, { target: { value: '2999-01' } });
    expect(dialog).toHaveTextContent(
      `2999-01 has not begun: the current month is ${dayOf(new Date()).slice(
        0,
        7,
      )}`,
    );
    expect(
      within(dialog).getByRole('button', { name: 'Generate' }),
    ).toBeDisabled();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() =>
      expect(
        screen.queryByRole('dialog', { name: 'Generate payouts?' }),
      ).toBeNull(),
    );
    expect(api.generatePayouts).not.toHaveBeenCalled();

    // the current month: no month sent (the page is in reach again once the dialog has gone)
    fireEvent.click(
      await screen.findByRole('button', { name: 'Generate payouts' }),
    );
    dialog = await screen.findByRole('dialog', { name: 'Generate payouts?' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Generate' }));
    await waitFor(() =>
      expect(api.generatePayouts).toHaveBeenCalledWith(undefined),
    );
    expect(await screen.findByTestId('payout-notice')).toHaveTextContent(
      'Payouts for 2026-12 from the snapshot of 2026-12-09: 3 created, 1 changed, 2 closed. Closed on the way: 2026-11.',
    );
    // the list is read again
    await waitFor(() => expect(api.payouts).toHaveBeenCalledTimes(2));

    // a month given
    fireEvent.click(
      await screen.findByRole('button', { name: 'Generate payouts' }),
    );
    dialog = await screen.findByRole('dialog', { name: 'Generate payouts?' });
    fireEvent.change(within(dialog).getByLabelText('Month (optional)'), {
      target: { value: '2026-11' },
    });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Generate' }));
    await waitFor(() =>
      expect(api.generatePayouts).toHaveBeenLastCalledWith('2026-11'),
    );
    expect(await screen.findByTestId('payout-notice')).toHaveTextContent(
      'Payouts for 2026-11 from the snapshot of 2026-11-30: 3 created, 1 changed, 2 closed.',
    );
  });

  it('shows a refused generation in its dialog', async () => {
    const api = fakeApi();
    api.generatePayouts.mockImplementation(async () => {
      throw await responseError(
        409,
        'there is no MRR snapshot in 2025-01: take one first (POST /api/billing/snapshots)',
        'ConflictError',
      );
    });
    render(<PayoutLedger allowGenerate />, api);
    fireEvent.click(
      await screen.findByRole('button', { name: 'Generate payouts' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Generate payouts?',
    });
    fireEvent.change(within(dialog).getByLabelText('Month (optional)'), {
      target: { value: '2025-01' },
    });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Generate' }));
    expect(
      await within(dialog).findByTestId('generate-error'),
    ).toHaveTextContent('there is no MRR snapshot in 2025-01');
    expect(screen.queryByTestId('payout-notice')).toBeNull();
  });

  it('marks a closed payout paid: the reference and day, then a confirmation; the row shows it paid', async () => {
    const api = fakeApi();
    render(<PayoutLedger allowGenerate />, api);
    await screen.findAllByTestId('payout-row');
    fireEvent.click(
      within(rowOf(closedEur.id)).getByRole('button', { name: 'Mark paid' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Mark payout paid',
    });
    expect(text(within(dialog).getByTestId('paid-payout'))).toBe(
      'nordlicht-it · 2026-11 · €148.75 (12.5 % of €1,190.00)',
    );
    const proceed = within(dialog).getByRole('button', { name: 'Continue' });
    const reference = within(dialog).getByLabelText(/Reference/);
    const paidOn = within(dialog).getByLabelText(/Paid on/);
    // today by default; no reference yet
    expect(paidOn).toHaveValue(dayOf(new Date()));
    expect(proceed).toBeDisabled();
    fireEvent.change(reference, { target: { value: '   ' } });
    fireEvent.blur(reference);
    expect(dialog).toHaveTextContent('Enter the transfer’s reference');
    expect(proceed).toBeDisabled();

    fireEvent.change(reference, { target: { value: ' TRX-2026-11-NL ' } });
    expect(proceed).toBeEnabled();
    // not a real day: the date field holds nothing, as a browser's does
    fireEvent.change(paidOn, { target: { value: '2026-02-30' } });
    expect(dialog).toHaveTextContent('Enter the day it was paid, YYYY-MM-DD');
    expect(proceed).toBeDisabled();
    fireEvent.change(paidOn, { target: { value: '2026-12-05' } });
    expect(proceed).toBeEnabled();
    fireEvent.click(proceed);

    const confirm = await screen.findByRole('dialog', {
      name: 'Mark this payout paid?',
    });
    expect(text(within(confirm).getByTestId('paid-confirm'))).toBe(
      'nordlicht-it is paid €148.75 for 2026-11: reference TRX-2026-11-NL, paid on 2026-12-05. A paid payout never changes.',
    );
    expect(api.markPayoutPaid).not.toHaveBeenCalled();
    fireEvent.click(within(confirm).getByRole('button', { name: 'Mark paid' }));
    await waitFor(() =>
      expect(api.markPayoutPaid).toHaveBeenCalledWith(closedEur.id, {
        reference: 'TRX-2026-11-NL',
        paidOn: '2026-12-05',
      }),
    );
    expect(await screen.findByTestId('payout-notice')).toHaveTextContent(
      'Marked nordlicht-it’s 2026-11 EUR payout of €148.75 paid (reference TRX-2026-11-NL, paid on 2026-12-05).',
    );
    await waitFor(() =>
      expect(rowOf(closedEur.id)).toHaveAttribute('data-state', 'paid'),
    );
    expect(
      text(within(rowOf(closedEur.id)).getByTestId('payout-reference')),
    ).toBe('TRX-2026-11-NL');
    expect(
      within(rowOf(closedEur.id)).getByRole('button', { name: 'Mark paid' }),
    ).toBeDisabled();
  });

  it('marks nothing paid when the confirmation is cancelled, and shows a refusal in the dialog', async () => {
    const api = fakeApi();
    render(<PayoutLedger allowGenerate />, api);
    await screen.findAllByTestId('payout-row');
    const start = async () => {
      fireEvent.click(
        within(rowOf(closedEur.id)).getByRole('button', { name: 'Mark paid' }),
      );
      const dialog = await screen.findByRole('dialog', {
        name: 'Mark payout paid',
      });
      fireEvent.change(within(dialog).getByLabelText(/Reference/), {
        target: { value: 'TRX-1' },
      });
      fireEvent.click(within(dialog).getByRole('button', { name: 'Continue' }));
      return screen.findByRole('dialog', { name: 'Mark this payout paid?' });
    };
    fireEvent.click(
      within(await start()).getByRole('button', { name: 'Cancel' }),
    );
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(api.markPayoutPaid).not.toHaveBeenCalled();

    api.markPayoutPaid.mockImplementation(async () => {
      throw await responseError(
        409,
        `payout ${closedEur.id} is already paid: a paid payout never changes`,
        'ConflictError',
      );
    });
    const confirm = await start();
    fireEvent.click(within(confirm).getByRole('button', { name: 'Mark paid' }));
    expect(await within(confirm).findByTestId('paid-error')).toHaveTextContent(
      'is already paid: a paid payout never changes',
    );
    expect(rowOf(closedEur.id)).toHaveAttribute('data-state', 'closed');
  });

  it('offers Mark paid on closed payouts only, saying why not on open and paid ones', async () => {
    render(<PayoutLedger allowGenerate />, fakeApi());
    await screen.findAllByTestId('payout-row');
    const button = (id: string) =>
      within(rowOf(id)).getByRole('button', { name: 'Mark paid' });
    expect(button(closedEur.id)).toBeEnabled();
    expect(button(openEur.id)).toBeDisabled();
    expect(button(paidChf.id)).toBeDisabled();

    fireEvent.mouseOver(within(rowOf(openEur.id)).getByTestId('mark-paid-why'));
    expect(await screen.findByRole('tooltip')).toHaveTextContent(
      'Its month is not over: a payout is paid once its month has closed',
    );
    fireEvent.mouseOver(within(rowOf(paidChf.id)).getByTestId('mark-paid-why'));
    await waitFor(() =>
      expect(
        screen
          .getAllByRole('tooltip')
          .some(t =>
            t.textContent!.includes(
              'Paid on 2026-11-05 (SW-2026-10): a paid payout never changes',
            ),
          ),
      ).toBe(true),
    );
  });

  it('is read-only for partner staff: no Generate, no Mark paid', async () => {
    const api = fakeApi([closedEur]);
    render(<PayoutLedger allowGenerate />, api, staffPermissions(), [
      partnerEntity('nordlicht-it'),
    ]);
    expect(await screen.findAllByTestId('payout-row')).toHaveLength(1);
    // one partner: nothing to choose (once the catalog has answered)
    await act(() => new Promise(resolve => setTimeout(resolve, 50)));
    expect(screen.queryByTestId('filter-payout-partner')).toBeNull();
    expect(screen.getByRole('button', { name: 'Export CSV' })).toBeEnabled();
    expect(
      screen.queryByRole('button', { name: 'Generate payouts' }),
    ).toBeNull();
    expect(screen.queryByRole('button', { name: 'Mark paid' })).toBeNull();
    expect(
      screen.getAllByRole('columnheader').map(h => h.textContent),
    ).not.toContain('');
  });
});

describe('EntityPartnerPayoutsContent', () => {
  function renderTab(
    api: ReturnType<typeof fakeBillingApi>,
    permission = mockApis.permission(),
  ) {
    return render(
      <EntityProvider entity={partnerEntity('nordlicht-it')}>
        <EntityPartnerPayoutsContent />
      </EntityProvider>,
      api,
      permission,
    );
  }

  it('lists only the partner’s payouts (asking the server for that partner), without the partner column', async () => {
    const api = fakeApi();
    renderTab(api);
    const rows = await screen.findAllByTestId('payout-row');
    expect(rows.map(r => r.dataset.payout)).toEqual([openEur.id, closedEur.id]);
    expect(rows.map(r => r.dataset.partner)).toEqual([
      'nordlicht-it',
      'nordlicht-it',
    ]);
    expect(api.payouts).toHaveBeenCalledWith({
      partner: 'nordlicht-it',
      limit: 20,
      offset: 0,
    });
    expect(
      screen.getAllByRole('columnheader').map(h => h.textContent),
    ).not.toContain('Partner');
    expect(screen.queryByTestId('filter-payout-partner')).toBeNull();
    // the partner's ledger marks paid, but generation is the Billing page's (every partner)
    expect(
      screen.queryByRole('button', { name: 'Generate payouts' }),
    ).toBeNull();
    expect(
      within(rows[1]).getByRole('button', { name: 'Mark paid' }),
    ).toBeEnabled();

    // a filter keeps the partner
    await choose('filter-payout-state', 'open');
    await waitFor(() =>
      expect(api.payouts).toHaveBeenLastCalledWith({
        partner: 'nordlicht-it',
        state: 'open',
        limit: 20,
        offset: 0,
      }),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Export CSV' }));
    await waitFor(() =>
      expect(api.downloadPayoutsCsv).toHaveBeenCalledWith({
        partner: 'nordlicht-it',
        state: 'open',
      }),
    );
  });

  it('links to the Reports page filtered to the partner', async () => {
    renderTab(fakeApi(), staffPermissions());
    expect(
      await screen.findByRole('button', { name: 'Reports for this partner' }),
    ).toHaveAttribute('href', '/billing/reports?partner=nordlicht-it');
    expect(screen.queryByRole('button', { name: 'Mark paid' })).toBeNull();
  });
});
