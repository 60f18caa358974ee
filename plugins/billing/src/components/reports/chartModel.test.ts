import { ReportColumn, ReportResult } from '@internal/plugin-billing-common';
import { aReportResult } from '../../testing/fakes';
import { chartModel, chartSpec } from './chartModel';

const money = (key: string, title: string, currencyKey = 'currency') =>
  ({ key, title, kind: 'money', currencyKey } as ReportColumn);
const count = (key: string, title: string) =>
  ({ key, title, kind: 'count' } as ReportColumn);
const text = (key: string, title: string) =>
  ({ key, title, kind: 'text' } as ReportColumn);
const month = (key: string, title: string) =>
  ({ key, title, kind: 'month' } as ReportColumn);
const percent = (key: string, title: string) =>
  ({ key, title, kind: 'percent' } as ReportColumn);

const modelOf = (result: ReportResult, filters = {}) =>
  chartModel(result, chartSpec(result.report, filters));

describe('chartModel', () => {
  it('draws MRR one panel per currency, each with only its own rows, months in order', () => {
    const model = modelOf(
      aReportResult({
        rows: [
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
          {
            period: '2026-10',
            currency: 'EUR',
            mrr: 100_000,
            pausedMrr: 0,
            tenants: 2,
          },
        ],
      }),
    );
    expect(model.type).toBe('line');
    expect(model.panels.map(p => [p.id, p.currency, p.measure])).toEqual([
      ['EUR', 'EUR', 'money'],
      ['CHF', 'CHF', 'money'],
    ]);
    expect(model.panels[0].series).toEqual([
      { key: 'mrr', name: 'MRR' },
      { key: 'pausedMrr', name: 'Paused MRR' },
    ]);
    expect(model.panels[0].xKey).toBe('period');
    expect(model.panels[0].data).toEqual([
      { period: '2026-10', mrr: 100_000, pausedMrr: 0 },
      { period: '2026-11', mrr: 123_456, pausedMrr: 1_190 },
    ]);
    expect(model.panels[1].data).toEqual([
      { period: '2026-11', mrr: 58_300, pausedMrr: 0 },
    ]);
  });

  it('adds rows sharing an x only within one currency, never across', () => {
    const model = modelOf(
      aReportResult({
        report: 'revenue-by-plan',
        columns: [
          text('plan', 'Plan'),
          text('currency', 'Currency'),
          money('mrr', 'MRR'),
        ],
        rows: [
          { plan: 'business', currency: 'EUR', mrr: 1_000 },
          { plan: 'business', currency: 'CHF', mrr: 7 },
          { plan: 'business', currency: 'EUR', mrr: 250 },
        ],
      }),
    );
    expect(model.panels.map(p => [p.currency, p.data])).toEqual([
      ['EUR', [{ plan: 'business', mrr: 1_250 }]],
      ['CHF', [{ plan: 'business', mrr: 7 }]],
    ]);
  });

  it('reads renamed columns: the x from the first text column that is not a currency, every money column when the expected ones are missing', () => {
    const model = modelOf(
      aReportResult({
        report: 'partners',
        columns: [
          text('cur', 'Currency'),
          text('partnerName', 'Partner'),
          money('monthly', 'Monthly revenue', 'cur'),
          money('paid', 'Paid out', 'cur'),
          count('tenantCount', 'Tenants'),
        ],
        rows: [
          {
            cur: 'EUR',
            partnerName: 'nord',
            monthly: 500,
            paid: 60,
            tenantCount: 2,
          },
          {
            cur: 'JPY',
            partnerName: 'nord',
            monthly: 1200,
            paid: 100,
            tenantCount: 1,
          },
        ],
      }),
    );
    expect(model.type).toBe('bar');
    expect(model.panels.map(p => p.currency)).toEqual(['EUR', 'JPY']);
    expect(model.panels[0].xKey).toBe('partnerName');
    expect(model.panels[0].series.map(s => s.key)).toEqual(['monthly', 'paid']);
    expect(model.panels[1].data).toEqual([
      { partnerName: 'nord', monthly: 1200, paid: 100 },
    ]);
  });

  it('draws no amount it cannot give a currency: rows without one, and columns naming another currency cell', () => {
    const model = modelOf(
      aReportResult({
        report: 'partners',
        columns: [
          text('partner', 'Partner'),
          text('currency', 'Currency'),
          money('mrr', 'MRR'),
          money('fee', 'Fee', 'feeCurrency'),
        ],
        rows: [
          { partner: 'nord', currency: 'EUR', mrr: 500, fee: 9 },
          { partner: 'sued', currency: null, mrr: 700, fee: 9 },
        ],
      }),
    );
    expect(model.panels).toHaveLength(1);
    expect(model.panels[0].series.map(s => s.key)).toEqual(['mrr']);
    expect(model.panels[0].data).toEqual([{ partner: 'nord', mrr: 500 }]);

    const noCurrency = modelOf(
      aReportResult({
        report: 'partners',
        columns: [text('partner', 'Partner'), money('mrr', 'MRR')],
        rows: [{ partner: 'nord', mrr: 500 }],
      }),
    );
    expect(noCurrency.panels).toEqual([]);
  });

  it('ranks top tenants by MRR per currency, or by seats in one panel of counts (the rank is not drawn)', () => {
    const result = aReportResult({
      report: 'top-tenants',
      columns: [
        count('rank', 'Rank'),
        text('tenant', 'Tenant'),
        text('partner', 'Partner'),
        count('seats', 'Seats'),
        text('currency', 'Currency'),
        money('mrr', 'MRR'),
      ],
      rows: [
        {
          rank: 1,
          tenant: 'acme',
          partner: 'nord',
          seats: 1250,
          currency: 'CHF',
          mrr: 900,
        },
        {
          rank: 2,
          tenant: 'globex',
          partner: null,
          seats: 10,
          currency: 'EUR',
          mrr: 11_900,
        },
      ],
    });
    const byMrr = modelOf(result, { by: 'mrr' });
    expect(
      byMrr.panels.map(p => [p.currency, p.series.map(s => s.key)]),
    ).toEqual([
      ['CHF', ['mrr']],
      ['EUR', ['mrr']],
    ]);
    const bySeats = modelOf(result, { by: 'seats' });
    expect(bySeats.panels).toHaveLength(1);
    expect(bySeats.panels[0]).toMatchObject({
      measure: 'count',
      xKey: 'tenant',
      series: [{ key: 'seats', name: 'Seats' }],
      data: [
        { tenant: 'acme', seats: 1250 },
        { tenant: 'globex', seats: 10 },
      ],
    });
    expect(bySeats.panels[0].currency).toBeUndefined();
  });

  it('draws growth as counts per month', () => {
    const model = modelOf(
      aReportResult({
        report: 'growth',
        columns: [
          month('month', 'Month'),
          count('active', 'Active'),
          count('new', 'New'),
          count('churned', 'Churned'),
          count('net', 'Net'),
        ],
        rows: [
          { month: '2026-11', active: 12, new: 3, churned: 1, net: 2 },
          { month: '2026-12', active: 13, new: 2, churned: 1, net: 1 },
        ],
      }),
    );
    expect(model.panels).toHaveLength(1);
    expect(model.panels[0].series.map(s => s.name)).toEqual([
      'Active',
      'New',
      'Churned',
      'Net',
    ]);
    expect(model.panels[0].data[1]).toEqual({
      month: '2026-12',
      active: 13,
      new: 2,
      churned: 1,
      net: 1,
    });
  });

  it('turns the cohort table into retention curves: months since signup across, a line per cohort', () => {
    const model = modelOf(
      aReportResult({
        report: 'cohorts',
        columns: [
          month('cohort', 'Cohort'),
          count('size', 'Size'),
          count('churned', 'Churned'),
          percent('m0', 'M0'),
          percent('m1', 'M1'),
          percent('m2', 'M2'),
        ],
        rows: [
          { cohort: '2026-10', size: 4, churned: 1, m0: 100, m1: 75, m2: 75 },
          {
            cohort: '2026-11',
            size: 2,
            churned: 0,
            m0: 100,
            m1: 100,
            m2: null,
          },
        ],
      }),
    );
    expect(model.panels).toHaveLength(1);
    const [panel] = model.panels;
    expect(panel.measure).toBe('percent');
    expect(panel.series.map(s => s.name)).toEqual(['2026-10', '2026-11']);
    expect(panel.data).toEqual([
      { age: 'M0', s0: 100, s1: 100 },
      { age: 'M1', s0: 75, s1: 100 },
      { age: 'M2', s0: 75 },
    ]);
  });

  it('stacks the tenants of each health per month, adding the currencies’ rows of one health (counts, not money)', () => {
    const model = modelOf(
      aReportResult({
        report: 'health',
        columns: [
          month('month', 'Month'),
          text('health', 'Health'),
          count('tenants', 'Tenants'),
          text('currency', 'Currency'),
          money('mrr', 'MRR'),
        ],
        rows: [
          {
            month: '2026-11',
            health: 'ok',
            tenants: 5,
            currency: 'EUR',
            mrr: 100,
          },
          {
            month: '2026-11',
            health: 'ok',
            tenants: 2,
            currency: 'CHF',
            mrr: 100,
          },
          {
            month: '2026-11',
            health: 'bad',
            tenants: 1,
            currency: 'EUR',
            mrr: 9,
          },
          {
            month: '2026-12',
            health: 'warn',
            tenants: 3,
            currency: 'EUR',
            mrr: 9,
          },
        ],
      }),
    );
    expect(model.stacked).toBe(true);
    expect(model.panels).toHaveLength(1);
    const [panel] = model.panels;
    expect(panel.series).toEqual([
      { key: 's0', name: 'ok' },
      { key: 's1', name: 'bad' },
      { key: 's2', name: 'warn' },
    ]);
    expect(panel.data).toEqual([
      { month: '2026-11', s0: 7, s1: 1 },
      { month: '2026-12', s2: 3 },
    ]);
  });

  it('draws nothing for a report without rows or without anything to measure', () => {
    expect(modelOf(aReportResult()).panels).toEqual([]);
    expect(
      modelOf(
        aReportResult({
          report: 'growth',
          columns: [month('month', 'Month'), text('note', 'Note')],
          rows: [{ month: '2026-11', note: 'x' }],
        }),
      ).panels,
    ).toEqual([]);
  });
});
