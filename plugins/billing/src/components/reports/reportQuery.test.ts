import { isDay } from '../days';
import {
  defaultRange,
  readReportView,
  reportFilters,
  reportViewParams,
  savedFilters,
  viewOfSaved,
} from './reportQuery';

const q = (query: string) => new URLSearchParams(query);

describe('reportQuery', () => {
  it('defaults to the last 12 months: from the first day of the month 11 months back, to today (UTC)', () => {
    expect(defaultRange(new Date('2026-12-09T23:30:00Z'))).toEqual({
      from: '2026-01-01',
      to: '2026-12-09',
    });
    expect(defaultRange(new Date('2026-03-31T00:00:00Z'))).toEqual({
      from: '2025-04-01',
      to: '2026-03-31',
    });
  });

  it('tells real days', () => {
    expect(isDay('2026-02-28')).toBe(true);
    expect(isDay('2028-02-29')).toBe(true);
    expect(isDay('2026-02-29')).toBe(false);
    expect(isDay('2026-13-01')).toBe(false);
    expect(isDay('2026-1-01')).toBe(false);
    expect(isDay('')).toBe(false);
  });

  it('reads a view from the URL, leaving out what the page does not know', () => {
    expect(readReportView(q(''))).toEqual({
      report: 'mrr',
      from: '',
      to: '',
      partner: '',
      currency: '',
      interval: 'month',
      by: 'mrr',
      limit: 10,
    });
    expect(
      readReportView(
        q(
          'report=top-tenants&from=2026-01-01&to=2026-06-30&partner=nordlicht-it&currency=CHF&by=seats&limit=25',
        ),
      ),
    ).toEqual({
      report: 'top-tenants',
      from: '2026-01-01',
      to: '2026-06-30',
      partner: 'nordlicht-it',
      currency: 'CHF',
      interval: 'month',
      by: 'seats',
      limit: 25,
    });
    expect(
      readReportView(
        q(
          'report=nope&from=2026-02-30&to=x&partner=%20a%20b&currency=eur&interval=week&by=x&limit=7',
        ),
      ),
    ).toEqual(readReportView(q('')));
  });

  it('writes only what differs from the default and means something to the report, keeping other parameters', () => {
    const view = readReportView(
      q('report=top-tenants&by=seats&limit=25&interval=day&currency=EUR'),
    );
    expect(reportViewParams(view, q('other=1')).toString()).toBe(
      'other=1&report=top-tenants&currency=EUR&by=seats&limit=25',
    );
    // the same filters on MRR: the interval counts, rank and limit do not
    expect(reportViewParams({ ...view, report: 'mrr' }, q('')).toString()).toBe(
      'currency=EUR&interval=day',
    );
  });

  it('sends the range always, the default one when the URL names none; saves only the chosen filters', () => {
    const today = new Date('2026-12-09T12:00:00Z');
    const view = readReportView(q('report=mrr&currency=EUR&interval=day'));
    expect(reportFilters(view, today)).toEqual({
      from: '2026-01-01',
      to: '2026-12-09',
      currency: 'EUR',
      interval: 'day',
    });
    expect(savedFilters(view)).toEqual({ currency: 'EUR', interval: 'day' });
    const top = readReportView(
      q('report=top-tenants&from=2026-03-01&by=seats&limit=5&partner=direct'),
    );
    expect(reportFilters(top, today)).toEqual({
      from: '2026-03-01',
      to: '2026-12-09',
      partner: 'direct',
      by: 'seats',
      limit: 5,
    });
  });

  it('opens a saved report as its report with its filters', () => {
    expect(
      viewOfSaved('top-tenants', {
        from: '2026-01-01',
        currency: 'EUR',
        by: 'seats',
        limit: 50,
      }),
    ).toEqual({
      report: 'top-tenants',
      from: '2026-01-01',
      to: '',
      partner: '',
      currency: 'EUR',
      interval: 'month',
      by: 'seats',
      limit: 50,
    });
  });
});
