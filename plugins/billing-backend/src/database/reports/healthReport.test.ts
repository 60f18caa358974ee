/*
 * The health cohorts report through ReportService, on SQLite and
 * PostgreSQL, over a generated history of 1,000 tenants × 24 months (plus
 * a few tenants without a subscription currency): every row equals what
 * this file computes from the model (history.snapshots) in plain JS, with
 * several ranges, the partner and currency filters, a partner's staff
 * scope, and ranges with no snapshot or a single one.
 */
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import { ReportFilters } from '@internal/plugin-billing-common';
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

jest.setTimeout(300_000);

const databases = dezkyTestDatabases();

/** Today is 2026-11-10: November has one snapshot, the 1st. */
const history = snapshotHistory(17);

/*
 * 40 tenants without a subscription currency (sold directly or by a
 * partner without billing details: nothing billed), added to the model's
 * snapshots before they are written; every fourth has no health yet and
 * every tenth was terminated on 2026-06-20.
 */
const HEALTHS = ['ok', 'warn', 'bad', null] as const;
for (let i = 0; i < 40; i++) {
  const partnerRef = i % 5 === 0 ? null : history.partners[i % 5];
  for (const day of history.days) {
    if (day < '2025-06-01') continue;
    const terminated = i % 10 === 3 && day >= '2026-06-20';
    history.snapshots.get(day)!.push({
      day,
      tenant_ref: `tenant:default/n${i}`,
      tenant_name: `n${i}`,
      partner_ref: partnerRef,
      plan: 'starter',
      seats: 3,
      currency: null,
      status: terminated ? 'canceled' : null,
      lifecycle: terminated ? 'terminated' : 'active',
      mrr: 0,
      paused_mrr: 0,
      health: HEALTHS[(i + day.charCodeAt(6)) % 4],
    });
  }
}

// --- the model ---------------------------------------------------------------

const { visible, finalDaysIn } = snapshotModel(history);

const HEALTH_ORDER = ['ok', 'warn', 'bad', 'unknown'];

function expectedHealth(s: Seen) {
  const days = finalDaysIn(s);
  const rows = days.flatMap(day => {
    const groups = new Map<
      string,
      {
        health: string;
        currency: string | null;
        tenants: number;
        mrr: number;
        pausedMrr: number;
      }
    >();
    for (const r of history.snapshots.get(day)!.filter(visible(s))) {
      if (r.lifecycle === 'terminated') continue;
      const health = r.health ?? 'unknown';
      const key = `${health}|${r.currency}`;
      const g = groups.get(key) ?? {
        health,
        currency: r.currency,
        tenants: 0,
        mrr: 0,
        pausedMrr: 0,
      };
      g.tenants += 1;
      g.mrr += r.mrr;
      g.pausedMrr += r.paused_mrr;
      groups.set(key, g);
    }
    return [...groups.values()]
      .sort(
        (a, b) =>
          HEALTH_ORDER.indexOf(a.health) - HEALTH_ORDER.indexOf(b.health) ||
          (a.currency ?? '\uffff').localeCompare(b.currency ?? '\uffff'),
      )
      .map(g => ({ month: day.slice(0, 7), day, ...g }));
  });
  return { asOf: days[days.length - 1], rows };
}

// --- the tests ---------------------------------------------------------------

describe.each(databases.eachSupportedId())('health report on %p', id => {
  let service: ReportService;

  beforeAll(async () => {
    ({ service } = await reportDatabase(databases, id, history, {
      now: () => TODAY,
    }));
  });

  const run = async (filters: ReportFilters = {}, scope?: BillingScope) => {
    const result = await service.run('health', filters, scope);
    return { asOf: result.asOf, rows: result.rows };
  };

  it('the model has what the cases need', () => {
    const november = history.snapshots.get('2026-11-01')!;
    expect(history.days.filter(d => d.startsWith('2026-11'))).toEqual([
      '2026-11-01',
    ]);
    // every health, none yet, no currency, and terminated tenants to leave out
    expect(new Set(november.map(r => r.health))).toEqual(
      new Set(['ok', 'warn', 'bad', null]),
    );
    expect(november.some(r => r.currency === null)).toBe(true);
    expect(
      november.some(r => r.currency === null && r.lifecycle === 'terminated'),
    ).toBe(true);
    expect(november.some(r => r.lifecycle === 'terminated')).toBe(true);
  });

  it('columns: month, day, health, currency, tenants, mrr and pausedMrr in their currency', async () => {
    const result = await service.run('health', {}, undefined);
    expect(result.columns.map(c => [c.key, c.kind, c.currencyKey])).toEqual([
      ['month', 'month', undefined],
      ['day', 'day', undefined],
      ['health', 'text', undefined],
      ['currency', 'text', undefined],
      ['tenants', 'count', undefined],
      ['mrr', 'money', 'currency'],
      ['pausedMrr', 'money', 'currency'],
    ]);
  });

  it.each(CASES)('$label: every row equals the model', async c => {
    const want = expectedHealth(c.seen);
    expect(want.rows.length).toBeGreaterThan(0);
    expect(await run(c.filters)).toEqual(want);
  });

  it('the totals of each month are those of every tenant not terminated in its final snapshot', async () => {
    const { rows } = await run({ from: '2024-12-01' });
    const months = [...new Set(rows.map(r => r.month))];
    expect(months).toHaveLength(24);
    for (const month of months) {
      const mine = rows.filter(r => r.month === month);
      const day = mine[0].day as string;
      const model = history.snapshots
        .get(day)!
        .filter(r => r.lifecycle !== 'terminated');
      expect([month, mine.reduce((n, r) => n + Number(r.tenants), 0)]).toEqual([
        month,
        model.length,
      ]);
      for (const currency of ['CHF', 'EUR', 'JPY']) {
        const cur = mine.filter(r => r.currency === currency);
        const m = model.filter(r => r.currency === currency);
        expect([
          month,
          currency,
          cur.reduce((n, r) => n + Number(r.mrr), 0),
          cur.reduce((n, r) => n + Number(r.pausedMrr), 0),
        ]).toEqual([
          month,
          currency,
          m.reduce((n, r) => n + r.mrr, 0),
          m.reduce((n, r) => n + r.paused_mrr, 0),
        ]);
      }
    }
  });

  describe('a partner staff member', () => {
    it('sees their partner only (scope p002): equal to the model of p002, and nothing with another partner or direct', async () => {
      const seen: Seen = { from: DEFAULT_FROM, to: TO, staffOf: [ref('p002')] };
      const want = expectedHealth(seen);
      expect(want.rows.length).toBeGreaterThan(0);
      const got = await run({}, staffOf('p002'));
      expect(got).toEqual(want);
      // not all tenants: the operator sees more
      const all = await run({});
      const total = (rs: typeof got.rows) =>
        rs.reduce((n, r) => n + Number(r.tenants), 0);
      expect(total(got.rows)).toBeLessThan(total(all.rows));
      // the same as an operator filtering for p002
      expect(got).toEqual(await run({ partner: 'p002' }));
      // another partner's or direct tenants: nothing
      expect((await run({ partner: 'p001' }, staffOf('p002'))).rows).toEqual(
        [],
      );
      expect((await run({ partner: 'direct' }, staffOf('p002'))).rows).toEqual(
        [],
      );
    });

    it('staff of two partners (p001, p004), in EUR, from 2025-09-15', async () => {
      const seen: Seen = {
        from: '2025-09-15',
        to: TO,
        staffOf: [ref('p001'), ref('p004')],
        currency: 'EUR',
      };
      const want = expectedHealth(seen);
      expect(want.rows.length).toBeGreaterThan(0);
      expect(
        await run(
          { currency: 'EUR', from: '2025-09-15' },
          staffOf('p001', 'p004'),
        ),
      ).toEqual(want);
    });
  });

  describe('edge cases', () => {
    it('a range with no snapshot: no rows and no asOf', async () => {
      expect(await run({ from: '2020-01-01', to: '2020-12-31' })).toEqual({
        asOf: undefined,
        rows: [],
      });
      // between two snapshot days
      expect(await run({ from: '2026-03-02', to: '2026-03-14' })).toEqual({
        asOf: undefined,
        rows: [],
      });
    });

    it('a range of one day: that snapshot', async () => {
      const seen: Seen = { from: '2026-03-15', to: '2026-03-15' };
      const want = expectedHealth(seen);
      expect(want.asOf).toBe('2026-03-15');
      expect(new Set(want.rows.map(r => r.day))).toEqual(
        new Set(['2026-03-15']),
      );
      expect(await run({ from: '2026-03-15', to: '2026-03-15' })).toEqual(want);
    });

    it('a month with one snapshot (November, the 1st) and one cut by the range (October to the 20th: the 15th)', async () => {
      const { rows, asOf } = await run({ from: '2026-10-01' });
      expect(asOf).toBe('2026-11-01');
      expect([...new Set(rows.map(r => `${r.month} ${r.day}`))]).toEqual([
        '2026-10 2026-10-31',
        '2026-11 2026-11-01',
      ]);
      const cut = await run({ from: '2026-10-01', to: '2026-10-20' });
      expect([...new Set(cut.rows.map(r => r.day))]).toEqual(['2026-10-15']);
      expect(cut).toEqual(
        expectedHealth({ from: '2026-10-01', to: '2026-10-20' }),
      );
    });

    it('a currency nobody bills in: no rows', async () => {
      expect((await run({ currency: 'USD' })).rows).toEqual([]);
    });
  });
});
