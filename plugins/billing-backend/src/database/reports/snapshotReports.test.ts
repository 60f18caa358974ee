/*
 * The snapshot reports (MRR over time, revenue by plan, top tenants, the
 * partner leaderboard) through ReportService, on SQLite and PostgreSQL,
 * over a generated history of 1,000 tenants × 24 months: every row equals
 * what this file computes from the model (history.snapshots,
 * history.payouts) in plain JS, with the default range and others, the
 * partner and currency filters, a partner's staff scope, and ranges with
 * no snapshot.
 */
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import { ReportFilters, ReportId } from '@internal/plugin-billing-common';
import { Knex } from 'knex';
import {
  CASES,
  DEFAULT_FROM,
  ref,
  reportDatabase,
  Seen,
  snapshotHistory,
  snapshotModel,
  staffOf,
  TO,
  TODAY,
} from '../../__testUtils__/reportTests';
import { ReportService } from '../../service/ReportService';
import { BillingScope } from '../../service/TenantBillingService';
import { SnapshotRow } from '../MrrHistoryStore';

jest.setTimeout(300_000);

const databases = dezkyTestDatabases();

const history = snapshotHistory();
const nameOf = (partnerRef: string | null) =>
  partnerRef ? partnerRef.replace('partner:default/', '') : null;

// --- the model ---------------------------------------------------------------

const { daysIn, finalDaysIn, asOfIn, rowsOn } = snapshotModel(history);
const billed = (r: SnapshotRow) =>
  r.currency !== null && (r.status === 'active' || r.status === 'paused');
const byText = (a: string, b: string) => (a < b ? -1 : Number(a > b));

function group<T>(
  rows: SnapshotRow[],
  key: (r: SnapshotRow) => string,
  init: () => T,
  add: (acc: T, r: SnapshotRow) => void,
): Map<string, T> {
  const out = new Map<string, T>();
  for (const r of rows) {
    const k = key(r);
    if (!out.has(k)) out.set(k, init());
    add(out.get(k)!, r);
  }
  return out;
}

function expectedMrr(s: Seen, interval: 'month' | 'day') {
  const days = interval === 'month' ? finalDaysIn(s) : daysIn(s);
  const rows = days.flatMap(day => {
    const byCurrency = group(
      rowsOn(day, s).filter(billed),
      r => r.currency!,
      () => ({ mrr: 0, pausedMrr: 0, tenants: 0 }),
      (acc, r) => {
        acc.mrr += r.mrr;
        acc.pausedMrr += r.paused_mrr;
        acc.tenants += 1;
      },
    );
    return [...byCurrency.keys()].sort(byText).map(currency => ({
      period: interval === 'month' ? day.slice(0, 7) : day,
      day,
      currency,
      ...byCurrency.get(currency)!,
    }));
  });
  return { asOf: days[days.length - 1], rows };
}

function expectedRevenueByPlan(s: Seen) {
  const days = finalDaysIn(s);
  const asOf = days[days.length - 1];
  const byPlan = group(
    days.flatMap(day => rowsOn(day, s).filter(billed)),
    r => `${r.plan}|${r.currency}`,
    () => ({ revenue: 0, mrr: 0, tenants: 0, seats: 0 }),
    (acc, r) => {
      acc.revenue += r.mrr;
      if (r.day === asOf) {
        acc.mrr += r.mrr;
        acc.tenants += 1;
        acc.seats += r.seats;
      }
    },
  );
  const rows = [...byPlan].map(([key, figures]) => {
    const [plan, currency] = key.split('|');
    return { plan, currency, ...figures };
  });
  rows.sort(
    (a, b) =>
      byText(a.currency, b.currency) ||
      b.revenue - a.revenue ||
      byText(a.plan, b.plan),
  );
  return { asOf, rows };
}

const topRow = (r: SnapshotRow, rank: number) => ({
  rank,
  tenant: r.tenant_name,
  partner: nameOf(r.partner_ref),
  plan: r.plan,
  seats: r.seats,
  currency: r.currency,
  mrr: r.mrr,
  status: r.status,
});

function expectedTopTenants(s: Seen, by: 'mrr' | 'seats', limit: number) {
  const asOf = asOfIn(s);
  if (!asOf) return { asOf, rows: [] };
  const rows = rowsOn(asOf, s);
  if (by === 'seats') {
    const top = rows
      .filter(r => r.lifecycle !== 'terminated')
      .sort((a, b) => b.seats - a.seats || byText(a.tenant_name, b.tenant_name))
      .slice(0, limit);
    return { asOf, rows: top.map((r, i) => topRow(r, i + 1)) };
  }
  const byCurrency = group(
    rows.filter(r => r.status === 'active' && r.currency),
    r => r.currency!,
    () => [] as SnapshotRow[],
    (acc, r) => acc.push(r),
  );
  return {
    asOf,
    rows: [...byCurrency.keys()].sort(byText).flatMap(currency =>
      byCurrency
        .get(currency)!
        .sort((a, b) => b.mrr - a.mrr || byText(a.tenant_name, b.tenant_name))
        .slice(0, limit)
        .map((r, i) => topRow(r, i + 1)),
    ),
  };
}

function expectedPartners(s: Seen) {
  const asOf = asOfIn(s);
  const figures = new Map<
    string,
    { tenants: number; mrr: number; pausedMrr: number; payouts: number }
  >();
  const of = (partnerRef: string, currency: string) => {
    const key = `${partnerRef}|${currency}`;
    if (!figures.has(key)) {
      figures.set(key, { tenants: 0, mrr: 0, pausedMrr: 0, payouts: 0 });
    }
    return figures.get(key)!;
  };
  if (asOf) {
    for (const r of rowsOn(asOf, s).filter(billed)) {
      if (!r.partner_ref) continue;
      const f = of(r.partner_ref, r.currency!);
      f.tenants += 1;
      f.mrr += r.mrr;
      f.pausedMrr += r.paused_mrr;
    }
  }
  for (const p of history.payouts) {
    if (p.month < s.from.slice(0, 7) || p.month > s.to.slice(0, 7)) continue;
    if (s.partnerRef !== undefined && p.partnerRef !== s.partnerRef) continue;
    if (s.currency && p.currency !== s.currency) continue;
    of(p.partnerRef, p.currency).payouts += p.amount;
  }
  const rows = [...figures].map(([key, f]) => {
    const [partnerRef, currency] = key.split('|');
    return { rank: 0, partner: nameOf(partnerRef)!, currency, ...f };
  });
  rows.sort(
    (a, b) =>
      byText(a.currency, b.currency) ||
      b.mrr - a.mrr ||
      byText(a.partner, b.partner),
  );
  rows.forEach((r, i) => {
    r.rank =
      i > 0 && rows[i - 1].currency === r.currency ? rows[i - 1].rank + 1 : 1;
  });
  return { asOf, rows };
}

// --- the tests ---------------------------------------------------------------

describe.each(databases.eachSupportedId())('snapshot reports on %p', id => {
  let knex: Knex;
  let service: ReportService;

  beforeAll(async () => {
    ({ knex, service } = await reportDatabase(databases, id, history, {
      now: () => TODAY,
    }));
  });

  const run = async (
    report: ReportId,
    filters: ReportFilters = {},
    scope?: BillingScope,
  ) => {
    const result = await service.run(report, filters, scope);
    return { asOf: result.asOf, rows: result.rows };
  };

  it('the model has what the cases need', () => {
    // November has a single snapshot, the range's last; partners hold tenants in every currency
    expect(history.days.filter(d => d.startsWith('2026-11'))).toEqual([
      '2026-11-01',
    ]);
    expect(
      new Set(history.snapshots.get('2026-11-01')!.map(r => r.status)),
    ).toEqual(new Set(['active', 'paused', 'canceled']));
  });

  describe.each(CASES)('$label', ({ filters, seen }) => {
    it('mrr per month: every point equals the model', async () => {
      const want = expectedMrr(seen, 'month');
      expect(want.rows.length).toBeGreaterThan(0);
      expect(await run('mrr', filters)).toEqual(want);
    });

    it('mrr per day: every point equals the model', async () => {
      const want = expectedMrr(seen, 'day');
      expect(want.rows.length).toBeGreaterThan(
        expectedMrr(seen, 'month').rows.length,
      );
      expect(await run('mrr', { ...filters, interval: 'day' })).toEqual(want);
    });

    it('revenue by plan equals the model', async () => {
      const want = expectedRevenueByPlan(seen);
      expect(want.rows.length).toBeGreaterThan(0);
      expect(await run('revenue-by-plan', filters)).toEqual(want);
    });

    it('top tenants by MRR (per currency) and by seats equal the model', async () => {
      const byMrr = expectedTopTenants(seen, 'mrr', 10);
      expect(byMrr.rows.length).toBeGreaterThan(0);
      expect(await run('top-tenants', filters)).toEqual(byMrr);
      const bySeats = expectedTopTenants(seen, 'seats', 25);
      expect(bySeats.rows).toHaveLength(25);
      expect(
        await run('top-tenants', { ...filters, by: 'seats', limit: 25 }),
      ).toEqual(bySeats);
    });

    it('the partner leaderboard equals the model', async () => {
      const want = expectedPartners(seen);
      // direct sales are no partner: none at all
      expect(want.rows.length > 0).toBe(seen.partnerRef !== null);
      expect(await run('partners', filters)).toEqual(want);
    });
  });

  it('the totals of the last month are those of every tenant in the model', async () => {
    const rows = history.snapshots.get('2026-11-01')!;
    const { rows: got } = await run('mrr', { from: '2026-11-01' });
    for (const currency of ['CHF', 'EUR', 'JPY']) {
      const mine = rows.filter(r => r.currency === currency);
      expect(got.find(r => r.currency === currency)).toEqual({
        period: '2026-11',
        day: '2026-11-01',
        currency,
        mrr: mine.reduce((n, r) => n + r.mrr, 0),
        pausedMrr: mine.reduce((n, r) => n + r.paused_mrr, 0),
        tenants: mine.filter(r => r.status !== 'canceled').length,
      });
    }
  });

  it('top tenants: the limit applies per currency by MRR and overall by seats', async () => {
    const byMrr = await run('top-tenants', { limit: 3 });
    expect(byMrr.rows.map(r => [r.currency, r.rank])).toEqual([
      ['CHF', 1],
      ['CHF', 2],
      ['CHF', 3],
      ['EUR', 1],
      ['EUR', 2],
      ['EUR', 3],
      ['JPY', 1],
      ['JPY', 2],
      ['JPY', 3],
    ]);
    expect(byMrr).toEqual(
      expectedTopTenants({ from: DEFAULT_FROM, to: TO }, 'mrr', 3),
    );
    const bySeats = await run('top-tenants', { by: 'seats', limit: 100 });
    expect(bySeats.rows.map(r => r.rank)).toEqual(
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
  });

  describe('a partner staff member (scope p002)', () => {
    const seen: Seen = { from: DEFAULT_FROM, to: TO, staffOf: [ref('p002')] };
    const scope = staffOf('p002');

    it('sees the model filtered to p002 in every report, and no other partner', async () => {
      expect(await run('mrr', {}, scope)).toEqual(expectedMrr(seen, 'month'));
      expect(await run('mrr', { interval: 'day' }, scope)).toEqual(
        expectedMrr(seen, 'day'),
      );
      expect(await run('revenue-by-plan', {}, scope)).toEqual(
        expectedRevenueByPlan(seen),
      );
      const top = await run('top-tenants', { limit: 100 }, scope);
      expect(top).toEqual(expectedTopTenants(seen, 'mrr', 100));
      const bySeats = await run(
        'top-tenants',
        { by: 'seats', limit: 100 },
        scope,
      );
      expect(bySeats).toEqual(expectedTopTenants(seen, 'seats', 100));
      const partners = new Set(
        [...top.rows, ...bySeats.rows].map(r => r.partner),
      );
      expect(partners).toEqual(new Set(['p002']));
      // and less than an operator sees
      const all = await run('mrr');
      const sum = (rows: Array<Record<string, unknown>>) =>
        rows.reduce((n, r) => n + Number(r.mrr), 0);
      expect(sum((await run('mrr', {}, scope)).rows)).toBeLessThan(
        sum(all.rows),
      );
    });

    it('the partner filter cannot widen the scope: another partner or direct is empty', async () => {
      for (const partner of ['p001', 'direct']) {
        for (const report of [
          'mrr',
          'revenue-by-plan',
          'top-tenants',
        ] as const) {
          expect((await run(report, { partner }, scope)).rows).toEqual([]);
        }
      }
      expect(await run('mrr', { partner: 'p002' }, scope)).toEqual(
        expectedMrr(seen, 'month'),
      );
    });

    it('a staff member of two partners sees both', async () => {
      const two: Seen = { ...seen, staffOf: [ref('p002'), ref('p004')] };
      expect(await run('revenue-by-plan', {}, staffOf('p002', 'p004'))).toEqual(
        expectedRevenueByPlan(two),
      );
    });

    it('is refused the partner leaderboard', async () => {
      await expect(run('partners', {}, scope)).rejects.toThrow(NotAllowedError);
    });
  });

  describe('ranges without a snapshot', () => {
    it('a range with no snapshot day: no rows and no asOf', async () => {
      const filters = { from: '2026-11-02', to: '2026-11-09' };
      for (const report of ['mrr', 'revenue-by-plan', 'top-tenants'] as const) {
        expect(await run(report, filters)).toEqual({
          asOf: undefined,
          rows: [],
        });
      }
      expect(await run('mrr', { ...filters, interval: 'day' })).toEqual({
        asOf: undefined,
        rows: [],
      });
    });

    it('the leaderboard of such a range lists the payouts of its months only', async () => {
      const filters = { from: '2026-11-02', to: '2026-11-09' };
      const want = expectedPartners({ from: filters.from, to: filters.to });
      expect(want.asOf).toBeUndefined();
      expect(want.rows.length).toBeGreaterThan(0);
      expect(want.rows.every(r => r.tenants === 0 && r.mrr === 0)).toBe(true);
      expect(await run('partners', filters)).toEqual(want);
    });

    it('a range before the history: nothing at all', async () => {
      const filters = { from: '2020-01-01', to: '2020-12-31' };
      for (const report of [
        'mrr',
        'revenue-by-plan',
        'top-tenants',
        'partners',
      ] as const) {
        expect(await run(report, filters)).toEqual({
          asOf: undefined,
          rows: [],
        });
      }
    });

    it('a one-day range on a snapshot day: that day is the month point and asOf', async () => {
      const filters = { from: '2026-06-15', to: '2026-06-15' };
      const seen1 = { from: filters.from, to: filters.to };
      const got = await run('mrr', filters);
      expect(got.asOf).toBe('2026-06-15');
      expect(got).toEqual(expectedMrr(seen1, 'month'));
      expect(new Set(got.rows.map(r => r.day))).toEqual(
        new Set(['2026-06-15']),
      );
      expect(await run('revenue-by-plan', filters)).toEqual(
        expectedRevenueByPlan(seen1),
      );
    });
  });

  it('the columns: money paired with the currency cell, period by interval', async () => {
    const month = await service.run('mrr', {}, undefined);
    expect(month.columns.map(c => [c.key, c.kind])).toEqual([
      ['period', 'month'],
      ['day', 'day'],
      ['currency', 'text'],
      ['mrr', 'money'],
      ['pausedMrr', 'money'],
      ['tenants', 'count'],
    ]);
    const day = await service.run('mrr', { interval: 'day' }, undefined);
    expect(day.columns[0].kind).toBe('day');
    for (const report of [
      'mrr',
      'revenue-by-plan',
      'top-tenants',
      'partners',
    ] as const) {
      const { columns, rows } = await service.run(report, {}, undefined);
      const keys = columns.map(c => c.key);
      for (const c of columns.filter(x => x.kind === 'money')) {
        expect(c.currencyKey).toBe('currency');
      }
      expect(keys).toContain('currency');
      expect(Object.keys(rows[0])).toEqual(keys);
    }
  });
  it('the report index migration steps down and up', async () => {
    const directory = resolvePackagePath(
      '@internal/plugin-billing-backend',
      'migrations',
    );
    const name = '20261209110000_report_indexes.js';
    const indexes = async (): Promise<string[]> => {
      if (knex.client.config.client === 'pg') {
        const r = await knex.raw(
          `SELECT indexname FROM pg_indexes WHERE tablename = 'billing_mrr_snapshots'`,
        );
        return r.rows.map((x: { indexname: string }) => x.indexname);
      }
      const r = await knex.raw(`PRAGMA index_list('billing_mrr_snapshots')`);
      return r.map((x: { name: string }) => x.name);
    };
    expect(await indexes()).toContain('billing_mrr_snapshots_partner_day_idx');
    await knex.migrate.down({ directory, name });
    expect(await indexes()).not.toContain(
      'billing_mrr_snapshots_partner_day_idx',
    );
    await knex.migrate.up({ directory, name });
    expect(await indexes()).toContain('billing_mrr_snapshots_partner_day_idx');
    expect(await run('mrr', { partner: 'p001' })).toEqual(
      expectedMrr(
        { from: DEFAULT_FROM, to: TO, partnerRef: ref('p001') },
        'month',
      ),
    );
  });
});
