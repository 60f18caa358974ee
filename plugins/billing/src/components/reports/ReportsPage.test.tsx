import {
  act,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import { coreApis } from '@backstage/frontend-plugin-api';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  ReportFilters,
  ReportId,
  ReportResult,
  SavedReport,
} from '@internal/plugin-billing-common';
import { FreshPermissions } from '@internal/plugin-dezky-react';
import { billingApiRef } from '../../api';
import {
  aPrice,
  aReportResult,
  aSavedReport,
  deferred,
  fakeBillingApi,
  responseError,
} from '../../testing/fakes';
import { defaultRange } from './reportQuery';
import { ReportsPage } from './ReportsPage';

/** MRR in two currencies: EUR in October and November, CHF in November. */
const mrr = aReportResult({
  from: '2026-01-01',
  to: '2026-12-09',
  asOf: '2026-12-09',
  rows: [
    {
      period: '2026-10',
      currency: 'EUR',
      mrr: 100_000,
      pausedMrr: 0,
      tenants: 2,
    },
    {
      period: '2026-11',
      currency: 'EUR',
      mrr: 123_456,
      pausedMrr: 1_190,
      tenants: 3,
    },
    {
      period: '2026-11',
      currency: 'CHF',
      mrr: 58_300,
      pausedMrr: 0,
      tenants: 1,
    },
  ],
});

const topTenants = aReportResult({
  report: 'top-tenants',
  title: 'Top tenants',
  columns: [
    { key: 'rank', title: 'Rank', kind: 'count' },
    { key: 'tenant', title: 'Tenant', kind: 'text' },
    { key: 'partner', title: 'Partner', kind: 'text' },
    { key: 'plan', title: 'Plan', kind: 'text' },
    { key: 'seats', title: 'Seats', kind: 'count' },
    { key: 'currency', title: 'Currency', kind: 'text' },
    { key: 'mrr', title: 'MRR', kind: 'money', currencyKey: 'currency' },
    { key: 'status', title: 'Status', kind: 'text' },
  ],
  rows: [
    {
      rank: 1,
      tenant: 'globex',
      partner: 'nordlicht-it',
      plan: 'enterprise',
      seats: 1250,
      currency: 'CHF',
      mrr: 1_248_958,
      status: 'active',
    },
  ],
});

const partner = (name: string, title?: string) => ({
  apiVersion: 'dezky.io/v1alpha1',
  kind: 'Partner',
  metadata: { name, namespace: 'default', ...(title ? { title } : {}) },
  spec: {},
});

/** The permission API as the server answers partner staff: reads only. */
const staffPermissions = () =>
  mockApis.permission({
    authorize: request =>
      request.permission.attributes.action === 'read'
        ? AuthorizeResult.ALLOW
        : AuthorizeResult.DENY,
  });

/** A fake whose every report answers `results[id]` (else no rows), with the prices' currencies EUR and CHF. */
function fakeApi(
  results: Partial<Record<ReportId, ReportResult>> = { mrr },
  saved: SavedReport[] = [],
) {
  const items = [...saved];
  return fakeBillingApi({
    report: jest.fn(async (id: ReportId, filters: ReportFilters = {}) => ({
      ...(results[id] ?? aReportResult({ report: id, title: id, rows: [] })),
      ...(filters.from ? { from: filters.from } : {}),
      ...(filters.to ? { to: filters.to } : {}),
    })),
    listPrices: jest.fn(async () => ({
      items: [
        aPrice({ currency: 'EUR' }),
        aPrice({ id: 'p2', currency: 'CHF' }),
      ],
    })),
    savedReports: jest.fn(async () => ({ items: [...items] })),
    saveReport: jest.fn(async report => {
      const made = aSavedReport({
        id: `saved-${items.length + 1}`,
        name: report.name,
        report: report.report,
        filters: report.filters,
      });
      items.push(made);
      return made;
    }),
    deleteSavedReport: jest.fn(async (id: string) => {
      items.splice(
        items.findIndex(s => s.id === id),
        1,
      );
    }),
  });
}

const everyPartner = [
  partner('nordlicht-it', 'Nordlicht IT'),
  partner('suedwind'),
];

function render(
  url: string,
  api: ReturnType<typeof fakeBillingApi>,
  // an operator: everything allowed
  permission = mockApis.permission(),
  // the Partner entities the user may see (staff: their own)
  partners = everyPartner,
) {
  const result = renderInTestApp(
    <FreshPermissions>
      <ReportsPage />
    </FreshPermissions>,
    {
      apis: [
        [billingApiRef, api],
        permission,
        catalogApiMock({ entities: partners }),
      ],
      initialRouteEntries: [url],
    },
  );
  const history = result.apis.get(coreApis.appHistory)!;
  return {
    /** The URL's query, as a record. */
    query: () =>
      Object.fromEntries(
        new URLSearchParams(history.getSnapshot().location.search),
      ),
  };
}

const text = (element: Element) => element.textContent!.replace(/\u00a0/g, ' ');

async function choose(id: string, option: string) {
  fireEvent.mouseDown(within(screen.getByTestId(id)).getByRole('button'));
  fireEvent.click(await screen.findByRole('option', { name: option }));
}

const chartOf = (currency: string) =>
  screen
    .getAllByTestId('report-chart')
    .find(c => c.getAttribute('data-currency') === currency)!;

describe('ReportsPage', () => {
  it('draws MRR one chart per currency and lists the rows under it, every amount with its currency', async () => {
    const api = fakeApi();
    render('/billing/reports?from=2026-01-01&to=2026-12-09', api);
    const rows = await screen.findAllByTestId('report-row');
    expect(api.report).toHaveBeenCalledTimes(1);
    expect(api.report).toHaveBeenCalledWith('mrr', {
      from: '2026-01-01',
      to: '2026-12-09',
    });
    expect(screen.getByRole('tab', { name: 'MRR over time' })).toHaveAttribute(
      'aria-selected',
      'true',
    );

    // the chart: recharts' SVG, one per currency, each captioned with it
    const charts = screen.getAllByTestId('report-chart');
    expect(charts.map(c => c.getAttribute('data-currency'))).toEqual([
      'EUR',
      'CHF',
    ]);
    expect(screen.getByRole('figure', { name: 'MRR over time in EUR' })).toBe(
      chartOf('EUR'),
    );
    expect(chartOf('EUR').querySelector('svg.recharts-surface')).not.toBeNull();
    expect(chartOf('EUR')).toHaveAttribute('data-series', 'MRR,Paused MRR');
    // each chart's axis reads its own currency only
    expect(text(chartOf('EUR'))).toMatch(/€/);
    expect(text(chartOf('EUR'))).not.toMatch(/CHF/);
    expect(text(chartOf('CHF'))).toMatch(/CHF/);
    expect(text(chartOf('CHF'))).not.toMatch(/€/);

    // the table: the columns' titles, each money cell in its row's currency
    expect(screen.getAllByRole('columnheader').map(h => h.textContent)).toEqual(
      ['Month', 'Currency', 'MRR', 'Paused MRR', 'Tenants'],
    );
    expect(rows).toHaveLength(3);
    const cell = (row: number, key: string) =>
      text(within(rows[row]).getByTestId(`cell-${key}`));
    expect(cell(1, 'mrr')).toBe('€1,234.56');
    expect(cell(1, 'pausedMrr')).toBe('€11.90');
    expect(cell(2, 'mrr')).toBe('CHF 583.00');
    expect(cell(2, 'tenants')).toBe('1');
    expect(screen.getByText('MRR over time (3 rows)')).toBeInTheDocument();
    expect(text(screen.getByTestId('report-range'))).toBe(
      '2026-01-01 – 2026-12-09 · as of the snapshot of 2026-12-09 · amounts per currency, never summed across currencies',
    );

    // November's EUR and CHF are never added: 1,234.56 + 583.00 = 1,817.56 appears nowhere
    expect(text(document.body)).not.toMatch(/1,817\.56|181,756|1\.8K/);
  });

  it('asks for the last 12 months when the URL names no range, and shows them in the date fields', async () => {
    const api = fakeApi();
    const { query } = render('/billing/reports', api);
    await screen.findAllByTestId('report-row');
    const range = defaultRange(new Date());
    expect(api.report).toHaveBeenCalledWith('mrr', range);
    expect(screen.getByLabelText('From')).toHaveValue(range.from);
    expect(screen.getByLabelText('To')).toHaveValue(range.to);
    // the default stays out of the URL
    expect(query()).toEqual({});
  });

  it('switches reports by tab, keeping the common filters and dropping the others', async () => {
    const api = fakeApi({ mrr, 'top-tenants': topTenants });
    const { query } = render(
      '/billing/reports?from=2026-01-01&currency=CHF&interval=day',
      api,
    );
    await screen.findAllByTestId('report-row');
    expect(screen.getByTestId('filter-interval')).toHaveTextContent('Day');
    expect(screen.queryByTestId('filter-by')).toBeNull();

    fireEvent.click(screen.getByRole('tab', { name: 'Top tenants' }));
    await waitFor(() =>
      expect(query()).toEqual({
        report: 'top-tenants',
        from: '2026-01-01',
        currency: 'CHF',
      }),
    );
    await waitFor(() =>
      expect(api.report).toHaveBeenLastCalledWith('top-tenants', {
        from: '2026-01-01',
        to: defaultRange(new Date()).to,
        currency: 'CHF',
      }),
    );
    expect(
      await screen.findByRole('figure', { name: 'Top tenants in CHF' }),
    ).toBeInTheDocument();
    expect(screen.getByRole('tab', { name: 'Top tenants' })).toHaveAttribute(
      'aria-selected',
      'true',
    );
    expect(screen.queryByTestId('filter-interval')).toBeNull();
    expect(screen.getByTestId('filter-by')).toHaveTextContent('MRR');
    expect(screen.getByTestId('filter-limit')).toHaveTextContent('10');
    const [row] = screen.getAllByTestId('report-row');
    expect(text(within(row).getByTestId('cell-mrr'))).toBe('CHF 12,489.58');
    expect(text(within(row).getByTestId('cell-seats'))).toBe('1,250');

    // ranked by seats: one chart of counts, no currency
    await choose('filter-by', 'Seats');
    await choose('filter-limit', '25');
    await waitFor(() =>
      expect(query()).toMatchObject({ by: 'seats', limit: '25' }),
    );
    await waitFor(() =>
      expect(api.report).toHaveBeenLastCalledWith(
        'top-tenants',
        expect.objectContaining({ by: 'seats', limit: 25 }),
      ),
    );
    await waitFor(() =>
      expect(
        screen
          .getAllByTestId('report-chart')
          .map(c => [
            c.getAttribute('data-currency'),
            c.getAttribute('data-series'),
          ]),
      ).toEqual([['', 'Seats']]),
    );
  });

  it('puts the filters in the URL and sends them: range, partner, currency, interval', async () => {
    const api = fakeApi();
    const { query } = render('/billing/reports', api);
    await screen.findAllByTestId('report-row');

    fireEvent.change(screen.getByLabelText('From'), {
      target: { value: '2026-03-01' },
    });
    fireEvent.change(screen.getByLabelText('To'), {
      target: { value: '2026-09-30' },
    });
    await choose('filter-partner', 'nordlicht-it (Nordlicht IT)');
    await choose('filter-currency', 'EUR');
    await choose('filter-interval', 'Day');
    await waitFor(() =>
      expect(query()).toEqual({
        from: '2026-03-01',
        to: '2026-09-30',
        partner: 'nordlicht-it',
        currency: 'EUR',
        interval: 'day',
      }),
    );
    await waitFor(() =>
      expect(api.report).toHaveBeenLastCalledWith('mrr', {
        from: '2026-03-01',
        to: '2026-09-30',
        partner: 'nordlicht-it',
        currency: 'EUR',
        interval: 'day',
      }),
    );
    // the partner filter offers the tenants sold directly too
    await choose('filter-partner', 'Direct (no partner)');
    await waitFor(() => expect(query().partner).toBe('direct'));
    await choose('filter-partner', 'All');
    await waitFor(() => expect(query().partner).toBeUndefined());
  });

  it('refuses a range that ends before it starts, without asking the server', async () => {
    const api = fakeApi();
    render('/billing/reports?from=2026-10-01&to=2026-03-31', api);
    expect(await screen.findByTestId('range-error')).toHaveTextContent(
      'From (2026-10-01) is after To (2026-03-31): pick a From on or before To',
    );
    expect(api.report).not.toHaveBeenCalled();
    expect(screen.getByRole('button', { name: 'Export CSV' })).toBeDisabled();
  });

  it('exports the report on screen with its filters as CSV, and says when that fails', async () => {
    const api = fakeApi({ 'top-tenants': topTenants });
    render(
      '/billing/reports?report=top-tenants&from=2026-01-01&to=2026-06-30&by=seats',
      api,
    );
    await screen.findAllByTestId('report-row');
    fireEvent.click(screen.getByRole('button', { name: 'Export CSV' }));
    await waitFor(() =>
      expect(api.downloadReportCsv).toHaveBeenCalledWith('top-tenants', {
        from: '2026-01-01',
        to: '2026-06-30',
        by: 'seats',
      }),
    );
    api.downloadReportCsv.mockImplementation(async () => {
      throw await responseError(503, 'report database unavailable');
    });
    fireEvent.click(screen.getByRole('button', { name: 'Export CSV' }));
    expect(await screen.findByTestId('export-error')).toHaveTextContent(
      'Export failed: report database unavailable',
    );
  });

  it('saves the report on screen under a name with the chosen filters only (the default range stays rolling)', async () => {
    const api = fakeApi();
    render('/billing/reports?currency=EUR&interval=day', api);
    await screen.findAllByTestId('report-row');
    expect(
      await screen.findByRole('button', { name: 'Saved reports (0)' }),
    ).toBeInTheDocument();

    fireEvent.click(screen.getByRole('button', { name: 'Save report' }));
    const dialog = await screen.findByRole('dialog', { name: 'Save report' });
    expect(within(dialog).getByTestId('save-summary')).toHaveTextContent(
      'MRR over time · last 12 months · EUR · per day',
    );
    const save = within(dialog).getByRole('button', { name: 'Save' });
    expect(save).toBeDisabled();
    fireEvent.change(within(dialog).getByLabelText(/Name/), {
      target: { value: '   ' },
    });
    expect(save).toBeDisabled();
    fireEvent.change(within(dialog).getByLabelText(/Name/), {
      target: { value: '  Daily EUR  ' },
    });
    fireEvent.click(save);
    await waitFor(() =>
      expect(api.saveReport).toHaveBeenCalledWith({
        name: 'Daily EUR',
        report: 'mrr',
        filters: { currency: 'EUR', interval: 'day' },
      }),
    );
    expect(
      await screen.findByRole('button', { name: 'Saved reports (1)' }),
    ).toBeInTheDocument();
    await waitFor(() =>
      expect(screen.queryByRole('dialog', { name: 'Save report' })).toBeNull(),
    );
  });

  it('shows why a save was refused, in the dialog', async () => {
    const api = fakeApi();
    api.saveReport.mockImplementation(async () => {
      throw await responseError(
        409,
        'a saved report named Daily EUR exists already',
      );
    });
    render('/billing/reports', api);
    fireEvent.click(await screen.findByRole('button', { name: 'Save report' }));
    const dialog = await screen.findByRole('dialog', { name: 'Save report' });
    fireEvent.change(within(dialog).getByLabelText(/Name/), {
      target: { value: 'Daily EUR' },
    });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    expect(await within(dialog).findByTestId('save-error')).toHaveTextContent(
      'a saved report named Daily EUR exists already',
    );
  });

  it('opens a saved report: its tab and its filters', async () => {
    const saved = aSavedReport({
      id: 'top-chf',
      name: 'Top CHF by seats',
      report: 'top-tenants',
      filters: { from: '2026-01-01', currency: 'CHF', by: 'seats', limit: 25 },
    });
    const api = fakeApi({ mrr, 'top-tenants': topTenants }, [saved]);
    const { query } = render('/billing/reports?interval=day', api);
    fireEvent.click(
      await screen.findByRole('button', { name: 'Saved reports (1)' }),
    );
    const dialog = await screen.findByRole('dialog', { name: 'Saved reports' });
    const [item] = within(dialog).getAllByTestId('saved-report');
    expect(item).toHaveTextContent('Top CHF by seats');
    expect(item).toHaveTextContent(
      'Top tenants · 2026-01-01 – today · CHF · by seats · top 25 · for everyone',
    );
    fireEvent.click(
      within(item).getByRole('button', { name: 'Open Top CHF by seats' }),
    );
    await waitFor(() =>
      expect(query()).toEqual({
        report: 'top-tenants',
        from: '2026-01-01',
        currency: 'CHF',
        by: 'seats',
        limit: '25',
      }),
    );
    await waitFor(() =>
      expect(api.report).toHaveBeenLastCalledWith(
        'top-tenants',
        expect.objectContaining({ currency: 'CHF', by: 'seats', limit: 25 }),
      ),
    );
  });

  it('deletes a saved report only after the confirmation', async () => {
    const saved = aSavedReport({ id: 'eur-2026', name: 'EUR in 2026' });
    const api = fakeApi({ mrr }, [saved]);
    render('/billing/reports', api);
    fireEvent.click(
      await screen.findByRole('button', { name: 'Saved reports (1)' }),
    );
    const list = await screen.findByRole('dialog', { name: 'Saved reports' });
    fireEvent.click(
      within(list).getByRole('button', { name: 'Delete EUR in 2026' }),
    );
    const confirm = await screen.findByRole('dialog', {
      name: 'Delete the saved report “EUR in 2026”?',
    });
    expect(confirm).toHaveTextContent(
      'It is gone for everyone: operators and every partner’s staff.',
    );
    fireEvent.click(within(confirm).getByRole('button', { name: 'Cancel' }));
    await waitFor(() =>
      expect(
        screen.queryByRole('dialog', {
          name: 'Delete the saved report “EUR in 2026”?',
        }),
      ).toBeNull(),
    );
    expect(api.deleteSavedReport).not.toHaveBeenCalled();

    fireEvent.click(
      // the list is in reach again once the confirmation has gone
      await within(list).findByRole('button', { name: 'Delete EUR in 2026' }),
    );
    fireEvent.click(
      within(
        await screen.findByRole('dialog', {
          name: 'Delete the saved report “EUR in 2026”?',
        }),
      ).getByRole('button', { name: 'Delete' }),
    );
    await waitFor(() =>
      expect(api.deleteSavedReport).toHaveBeenCalledWith('eur-2026'),
    );
    expect(await within(list).findByTestId('saved-none')).toHaveTextContent(
      'No saved reports yet',
    );
    expect(api.savedReports).toHaveBeenCalledTimes(2);
  });

  it('for partner staff: no leaderboard, no partner filter, and no deleting the operators’ saved reports', async () => {
    const operators = aSavedReport({ id: 'ops', name: 'Everyone’s EUR' });
    const theirs = aSavedReport({
      id: 'own',
      name: 'Our plans',
      report: 'revenue-by-plan',
      filters: {},
      partnerRef: 'partner:default/nordlicht-it',
    });
    const api = fakeApi({ mrr }, [operators, theirs]);
    render('/billing/reports', api, staffPermissions(), [
      partner('nordlicht-it'),
    ]);
    await screen.findAllByTestId('report-row');
    expect(screen.getAllByRole('tab').map(t => t.textContent)).toEqual([
      'MRR over time',
      'Revenue by plan',
      'Top tenants',
      'Growth',
      'Signup and churn cohorts',
      'Health cohorts',
    ]);
    // one partner: nothing to choose (once the catalog has answered)
    await act(() => new Promise(resolve => setTimeout(resolve, 50)));
    expect(screen.queryByTestId('filter-partner')).toBeNull();
    expect(screen.getByTestId('filter-currency')).toBeInTheDocument();

    fireEvent.click(screen.getByRole('button', { name: 'Saved reports (2)' }));
    const list = await screen.findByRole('dialog', { name: 'Saved reports' });
    expect(
      within(list).getByRole('button', { name: 'Delete Everyone’s EUR' }),
    ).toBeDisabled();
    expect(
      within(list).getByRole('button', { name: 'Delete Our plans' }),
    ).toBeEnabled();
    expect(within(list).getAllByTestId('saved-report')[1]).toHaveTextContent(
      'Revenue by plan · last 12 months · for nordlicht-it',
    );
  });

  it('shows the operators the partner leaderboard tab', async () => {
    const api = fakeApi();
    render('/billing/reports?report=partners', api);
    expect(
      await screen.findByRole('tab', { name: 'Partner leaderboard' }),
    ).toHaveAttribute('aria-selected', 'true');
    await waitFor(() =>
      expect(api.report).toHaveBeenCalledWith(
        'partners',
        defaultRange(new Date()),
      ),
    );
  });

  it('says where the history starts when a range has no snapshots, and which events growth counts', async () => {
    const api = fakeApi({});
    render('/billing/reports', api);
    expect(
      await screen.findByText('No snapshots in this range yet'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/The MRR history starts on the day billing first ran/),
    ).toBeInTheDocument();
    expect(screen.queryByTestId('report-chart')).toBeNull();
    expect(screen.queryByRole('table')).toBeNull();

    fireEvent.click(screen.getByRole('tab', { name: 'Growth' }));
    expect(
      await screen.findByText('No tenant events in this range yet'),
    ).toBeInTheDocument();
  });

  it('shows progress while loading, and the server’s refusal', async () => {
    const answer = deferred<ReportResult>();
    const api = fakeApi();
    api.report.mockImplementationOnce(() => answer.promise);
    render('/billing/reports', api);
    expect(await screen.findAllByTestId('progress')).not.toHaveLength(0);
    answer.reject(
      await responseError(
        403,
        'the Partner leaderboard report compares every partner: operators only',
        'NotAllowedError',
      ),
    );
    expect(
      (
        await screen.findAllByText(
          /the Partner leaderboard report compares every partner: operators only/,
        )
      ).length,
    ).toBeGreaterThan(0);
    expect(screen.queryByTestId('report')).toBeNull();
  });

  it('for staff of several partners: a partner filter of their partners, and saving says for which', async () => {
    const api = fakeApi();
    const { query } = render('/billing/reports', api, staffPermissions(), [
      partner('nordlicht-it'),
      partner('suedwind'),
    ]);
    await screen.findAllByTestId('report-row');
    fireEvent.mouseDown(
      within(await screen.findByTestId('filter-partner')).getByRole('button'),
    );
    expect(
      (await screen.findAllByRole('option')).map(o => o.textContent),
    ).toEqual(['All', 'nordlicht-it', 'suedwind']);
    fireEvent.click(screen.getByRole('option', { name: 'suedwind' }));
    await waitFor(() => expect(query()).toEqual({ partner: 'suedwind' }));

    fireEvent.click(screen.getByRole('button', { name: 'Save report' }));
    const dialog = await screen.findByRole('dialog', { name: 'Save report' });
    fireEvent.change(within(dialog).getByLabelText(/Name/), {
      target: { value: 'Südwind MRR' },
    });
    // for the partner the report is filtered to, to begin with
    expect(within(dialog).getByTestId('save-partner')).toHaveTextContent(
      'suedwind',
    );
    fireEvent.mouseDown(
      within(within(dialog).getByTestId('save-partner')).getByRole('button'),
    );
    fireEvent.click(
      await screen.findByRole('option', { name: 'nordlicht-it' }),
    );
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    await waitFor(() =>
      expect(api.saveReport).toHaveBeenCalledWith({
        name: 'Südwind MRR',
        report: 'mrr',
        filters: { partner: 'suedwind' },
        partner: 'nordlicht-it',
      }),
    );
  });

  it('asks staff of several partners for which one before saving an unfiltered report', async () => {
    const api = fakeApi();
    render('/billing/reports', api, staffPermissions(), [
      partner('nordlicht-it'),
      partner('suedwind'),
    ]);
    await screen.findByTestId('filter-partner');
    fireEvent.click(screen.getByRole('button', { name: 'Save report' }));
    const dialog = await screen.findByRole('dialog', { name: 'Save report' });
    fireEvent.change(within(dialog).getByLabelText(/Name/), {
      target: { value: 'Ours' },
    });
    expect(within(dialog).getByRole('button', { name: 'Save' })).toBeDisabled();
    fireEvent.mouseDown(
      within(within(dialog).getByTestId('save-partner')).getByRole('button'),
    );
    fireEvent.click(await screen.findByRole('option', { name: 'suedwind' }));
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    await waitFor(() =>
      expect(api.saveReport).toHaveBeenCalledWith({
        name: 'Ours',
        report: 'mrr',
        filters: {},
        partner: 'suedwind',
      }),
    );
  });
});
