/*
 * The growth and cohort reports on SQLite and PostgreSQL, over a generated
 * history of 1,000 tenants × 24 months (plus a few hand-made lifecycles:
 * re-activation, a double termination, a termination without activation).
 * The expected figures are computed here from the model's events, in plain
 * JS, by the definitions (docs/reports.md) — not by the SQL's method.
 */
import { ReportFilters, ReportResult } from '@internal/plugin-billing-common';
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import {
  addMonths,
  GeneratedEvent,
  generateHistory,
  lastDayOf,
} from '../../__testUtils__/reportHistory';
import {
  reportDatabase,
  staffScope as staff,
} from '../../__testUtils__/reportTests';
import { ReportService } from '../../service/ReportService';
import { BillingScope } from '../../service/TenantBillingService';
import { cohortsReport, growthReport } from './lifecycleReports';

jest.setTimeout(180_000);

const databases = dezkyTestDatabases();
const NOW = new Date('2026-12-09T12:00:00.000Z');
const REAC = 'partner:default/reac';

const history = generateHistory({
  tenants: 1000,
  months: 24,
  lastMonth: '2026-11',
});

/** Hand-made lifecycles of partner `reac` (appended to the model, so the model tests see them too). */
const HAND_MADE: Array<[string, GeneratedEvent['type'], string]> = [
  ['r4', 'activated', '2026-01-15'],
  ['r4', 'terminated', '2026-02-01'],
  ['r4', 'terminated', '2026-02-03'], // already terminated: no churn
  ['r1', 'activated', '2026-02-10'],
  ['r2', 'activated', '2026-03-01'],
  ['r2', 'terminated', '2026-03-20'],
  ['r1', 'terminated', '2026-04-05'],
  ['r3', 'terminated', '2026-05-01'], // never activated: no churn
  ['r5', 'activated', '2026-05-10'],
  ['r6', 'activated', '2026-05-11'],
  ['r7', 'activated', '2026-05-12'],
  ['r5', 'suspended', '2026-05-20'], // not a lifecycle change of the reports
  ['r5', 'terminated', '2026-06-05'],
  ['r1', 'activated', '2026-06-20'], // re-activated: active again, not new
];
history.events.push(
  ...HAND_MADE.map(([name, type, on], i) => ({
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    tenantRef: `tenant:default/${name}`,
    partnerRef: REAC,
    type,
    at: `${on}T09:00:00.000Z`,
  })),
);

// ---- the model, by the definitions ----------------------------------------

interface ModelEvent extends GeneratedEvent {
  seq: number;
}

/** writeHistory numbers the events in the model's order. */
const EVENTS: ModelEvent[] = history.events.map((e, i) => ({
  ...e,
  seq: i + 1,
}));

const endOf = (day: string) => `${day}T23:59:59.999Z`;
const monthsOf = (from: string, to: string) => {
  const out = [from.slice(0, 7)];
  while (out[out.length - 1] < to.slice(0, 7)) {
    out.push(addMonths(out[out.length - 1], 1));
  }
  return out;
};
const inRange = (at: string, from: string, to: string) =>
  at.slice(0, 10) >= from && at.slice(0, 10) <= to;

/** Each tenant's activated/terminated events that `keep` keeps, in (at, seq) order. */
function lifecycles(keep: (e: ModelEvent) => boolean) {
  const byTenant = new Map<string, ModelEvent[]>();
  for (const e of EVENTS) {
    if (e.type !== 'activated' && e.type !== 'terminated') continue;
    if (!keep(e)) continue;
    const list = byTenant.get(e.tenantRef) ?? [];
    list.push(e);
    byTenant.set(e.tenantRef, list);
  }
  for (const list of byTenant.values()) {
    list.sort((a, b) => a.at.localeCompare(b.at) || a.seq - b.seq);
  }
  return [...byTenant.values()];
}

/** Signed up by T, and no termination by T without a later activation by T. */
function activeAt(events: ModelEvent[], t: string): boolean {
  const activations = events.filter(e => e.type === 'activated' && e.at <= t);
  if (activations.length === 0) return false;
  return !events.some(
    x =>
      x.type === 'terminated' &&
      x.at <= t &&
      !activations.some(a => a.at > x.at),
  );
}

const signupOf = (events: ModelEvent[]) =>
  events.find(e => e.type === 'activated')?.at;

/** The tenant's terminations that ended an active period. */
const churnsOf = (events: ModelEvent[]) =>
  events.filter(
    (x, i) => x.type === 'terminated' && activeAt(events.slice(0, i), x.at),
  );

function expectedGrowth(
  keep: (e: ModelEvent) => boolean,
  from: string,
  to: string,
) {
  const tenants = lifecycles(keep);
  const toMonth = to.slice(0, 7);
  return monthsOf(from, to).map(month => {
    const t = endOf(month === toMonth ? to : lastDayOf(month));
    const active = tenants.filter(evs => activeAt(evs, t)).length;
    const added = tenants.filter(evs => {
      const s = signupOf(evs);
      return s !== undefined && s.startsWith(month) && inRange(s, from, to);
    }).length;
    const churned = tenants
      .flatMap(churnsOf)
      .filter(x => x.at.startsWith(month) && inRange(x.at, from, to)).length;
    return { month, active, new: added, churned, net: added - churned };
  });
}

function expectedCohorts(
  keep: (e: ModelEvent) => boolean,
  from: string,
  to: string,
) {
  const toMonth = to.slice(0, 7);
  const byCohort = new Map<string, ModelEvent[][]>();
  for (const evs of lifecycles(keep)) {
    const s = signupOf(evs);
    if (s === undefined || !inRange(s, from, to)) continue;
    byCohort.set(s.slice(0, 7), [...(byCohort.get(s.slice(0, 7)) ?? []), evs]);
  }
  const cohorts = [...byCohort.keys()].sort();
  const first = cohorts[0] ?? from.slice(0, 7);
  const n = monthsOf(`${first}-01`, to).length - 1;
  const rows = cohorts.map(cohort => {
    const members = byCohort.get(cohort)!;
    const row: Record<string, string | number | null> = {
      cohort,
      size: members.length,
      churned: members.filter(evs => churnsOf(evs).some(x => x.at <= endOf(to)))
        .length,
    };
    for (let k = 0; k <= n; k++) {
      const month = addMonths(cohort, k);
      const t = endOf(month === toMonth ? to : lastDayOf(month));
      row[`m${k}`] =
        month > toMonth
          ? null
          : Math.round(
              (members.filter(evs => activeAt(evs, t)).length * 10000) /
                members.length,
            ) / 100;
    }
    return row;
  });
  return {
    keys: [
      'cohort',
      'size',
      'churned',
      ...Array.from({ length: n + 1 }, (_, k) => `m${k}`),
    ],
    rows,
  };
}

const all = () => true;
const ofPartner = (ref: string | null) => (e: ModelEvent) =>
  e.partnerRef === ref;

const FIRST = history.months[0];
const LAST = history.months[history.months.length - 1];
/** Ranges: the whole history, ones that cut months in half, one day, one month. */
const RANGES: Array<[string, string, string]> = [
  ['the whole history', `${FIRST}-01`, lastDayOf(LAST)],
  [
    'a range cutting its first and last month',
    `${history.months[3]}-16`,
    `${history.months[20]}-14`,
  ],
  [
    'a range starting before the history',
    '2024-01-20',
    `${history.months[5]}-01`,
  ],
  ['one day', `${history.months[10]}-15`, `${history.months[10]}-15`],
  [
    'one whole month',
    `${history.months[12]}-01`,
    lastDayOf(history.months[12]),
  ],
  ['the hand-made lifecycles', '2026-01-01', '2026-07-31'],
];

describe.each(databases.eachSupportedId())(
  'growth and cohort reports on %p',
  id => {
    let service: ReportService;
    const run = async (
      report: 'growth' | 'cohorts',
      filters: ReportFilters,
      scope?: BillingScope,
    ): Promise<ReportResult> => service.run(report, filters, scope);

    beforeAll(async () => {
      ({ service } = await reportDatabase(databases, id, history, {
        runners: { growth: growthReport, cohorts: cohortsReport },
        now: () => NOW,
      }));
    });

    it('the model is a fair test: signups before the history, churn, re-activation', () => {
      const whole = expectedGrowth(all, `${FIRST}-01`, lastDayOf(LAST));
      expect(whole[0].active).toBeGreaterThan(whole[0].new); // tenants from before
      expect(whole.filter(r => r.churned > 0).length).toBeGreaterThan(12);
      const { rows } = expectedCohorts(all, `${FIRST}-01`, lastDayOf(LAST));
      expect(rows.length).toBe(24);
      expect(
        rows.some(r => (r.m3 as number) < 100 && (r.m3 as number) > 0),
      ).toBe(true);
      // r1's re-activation: active again
      const reac = expectedGrowth(ofPartner(REAC), '2026-06-01', '2026-07-31');
      expect(reac.map(r => r.active)).toEqual([3, 3]);
    });

    it.each(RANGES)('growth over %s equals the model', async (_, from, to) => {
      const result = await run('growth', { from, to });
      expect(result.columns.map(c => [c.key, c.kind])).toEqual([
        ['month', 'month'],
        ['active', 'count'],
        ['new', 'count'],
        ['churned', 'count'],
        ['net', 'count'],
      ]);
      expect(result.rows).toEqual(expectedGrowth(all, from, to));
    });

    it.each(RANGES)('cohorts over %s equal the model', async (_, from, to) => {
      const result = await run('cohorts', { from, to });
      const expected = expectedCohorts(all, from, to);
      expect(result.columns.map(c => c.key)).toEqual(expected.keys);
      expect(result.columns.slice(3).map(c => [c.title, c.kind])).toEqual(
        expected.keys.slice(3).map((_k, k) => [`Month ${k}`, 'percent']),
      );
      expect(result.rows).toEqual(expected.rows);
    });

    it('partner staff see their partner’s figures only', async () => {
      const [p0, p1] = history.partners;
      const [from, to] = [`${FIRST}-01`, lastDayOf(LAST)];
      const growth = await run('growth', { from, to }, staff(p0));
      expect(growth.rows).toEqual(expectedGrowth(ofPartner(p0), from, to));
      expect(growth.rows).not.toEqual(expectedGrowth(all, from, to));
      const cohorts = await run('cohorts', { from, to }, staff(p0));
      expect(cohorts.rows).toEqual(
        expectedCohorts(ofPartner(p0), from, to).rows,
      );
      // two partners' staff: both, nothing else
      const both = await run('growth', { from, to }, staff(p0, p1));
      expect(both.rows).toEqual(
        expectedGrowth(
          e => e.partnerRef === p0 || e.partnerRef === p1,
          from,
          to,
        ),
      );
      // another partner through the filter: nothing of it
      const other = await run(
        'growth',
        { from, to, partner: p1.split('/')[1] },
        staff(p0),
      );
      expect(other.rows.length).toBe(24);
      expect(
        other.rows.filter(r => r.active || r.new || r.churned || r.net),
      ).toEqual([]);
      const otherCohorts = await run(
        'cohorts',
        { from, to, partner: 'direct' },
        staff(p0),
      );
      expect(otherCohorts.rows).toEqual([]);
      // a partner without tenants
      const none = await run(
        'cohorts',
        { from, to },
        staff('partner:default/x'),
      );
      expect(none.rows).toEqual([]);
    });

    it('the partner filter: a partner’s name, and direct', async () => {
      const [from, to] = [
        `${history.months[2]}-10`,
        `${history.months[22]}-20`,
      ];
      const p2 = history.partners[2];
      for (const [partner, ref] of [
        [p2.split('/')[1], p2],
        ['direct', null],
      ] as const) {
        const growth = await run('growth', { from, to, partner });
        expect(growth.rows).toEqual(expectedGrowth(ofPartner(ref), from, to));
        const cohorts = await run('cohorts', { from, to, partner });
        expect(cohorts.rows).toEqual(
          expectedCohorts(ofPartner(ref), from, to).rows,
        );
      }
      // the partners' and the direct figures add up to the whole
      const parts = await Promise.all(
        [...history.partners.map(p => p.split('/')[1]), 'reac', 'direct'].map(
          partner => run('growth', { from, to, partner }),
        ),
      );
      const whole = await run('growth', { from, to });
      for (const key of ['active', 'new', 'churned']) {
        expect(
          whole.rows.map((_r, i) =>
            parts.reduce((sum, p) => sum + (p.rows[i][key] as number), 0),
          ),
        ).toEqual(whole.rows.map(r => r[key]));
      }
    });

    it('a re-activated tenant is active again, not new; a termination of no customer is no churn', async () => {
      const growth = await run('growth', {
        from: '2026-01-01',
        to: '2026-07-31',
        partner: 'reac',
      });
      expect(
        growth.rows.map(r => [r.month, r.active, r.new, r.churned, r.net]),
      ).toEqual([
        ['2026-01', 1, 1, 0, 1], // r4
        ['2026-02', 1, 1, 1, 0], // r1 in, r4 out (its second termination ignored)
        ['2026-03', 1, 1, 1, 0], // r2 in and out
        ['2026-04', 0, 0, 1, -1], // r1 out
        ['2026-05', 3, 3, 0, 3], // r5–r7 in; r3's termination is nobody's churn
        ['2026-06', 3, 0, 1, -1], // r5 out, r1 back (not new)
        ['2026-07', 3, 0, 0, 0],
      ]);
      const cohorts = await run('cohorts', {
        from: '2026-01-01',
        to: '2026-07-31',
        partner: 'reac',
      });
      expect(cohorts.columns.map(c => c.key)).toEqual([
        'cohort',
        'size',
        'churned',
        'm0',
        'm1',
        'm2',
        'm3',
        'm4',
        'm5',
        'm6',
      ]);
      expect(cohorts.rows).toEqual([
        // prettier-ignore
        { cohort: '2026-01', size: 1, churned: 1, m0: 100, m1: 0, m2: 0, m3: 0, m4: 0, m5: 0, m6: 0 },
        // prettier-ignore
        { cohort: '2026-02', size: 1, churned: 1, m0: 100, m1: 100, m2: 0, m3: 0, m4: 100, m5: 100, m6: null },
        // prettier-ignore
        { cohort: '2026-03', size: 1, churned: 1, m0: 0, m1: 0, m2: 0, m3: 0, m4: 0, m5: null, m6: null },
        // prettier-ignore
        { cohort: '2026-05', size: 3, churned: 1, m0: 100, m1: 66.67, m2: 66.67, m3: null, m4: null, m5: null, m6: null },
      ]);
    });

    it('ranges that cut months: counts from `from`, the last month as of `to`', async () => {
      const filters = { from: '2026-02-05', to: '2026-06-10', partner: 'reac' };
      const growth = await run('growth', filters);
      expect(
        growth.rows.map(r => [r.month, r.active, r.new, r.churned, r.net]),
      ).toEqual([
        ['2026-02', 1, 1, 0, 1], // r4's termination on 02-01 is before from
        ['2026-03', 1, 1, 1, 0],
        ['2026-04', 0, 0, 1, -1],
        ['2026-05', 3, 3, 0, 3],
        ['2026-06', 2, 0, 1, -1], // as of 06-10: r5 out, r1 not yet back
      ]);
      const cohorts = await run('cohorts', filters);
      expect(cohorts.rows).toEqual([
        // r4 signed up before from: no cohort
        // prettier-ignore
        { cohort: '2026-02', size: 1, churned: 1, m0: 100, m1: 100, m2: 0, m3: 0, m4: 0 },
        // prettier-ignore
        { cohort: '2026-03', size: 1, churned: 1, m0: 0, m1: 0, m2: 0, m3: 0, m4: null },
        // prettier-ignore
        { cohort: '2026-05', size: 3, churned: 1, m0: 100, m1: 66.67, m2: null, m3: null, m4: null },
      ]);
    });

    it('an empty range: months of zeros, no cohorts; currency does not apply', async () => {
      const growth = await run('growth', {
        from: '2023-01-01',
        to: '2023-03-15',
      });
      expect(growth.rows).toEqual(
        ['2023-01', '2023-02', '2023-03'].map(month => ({
          month,
          active: 0,
          new: 0,
          churned: 0,
          net: 0,
        })),
      );
      expect(growth.asOf).toBeUndefined();
      const cohorts = await run('cohorts', {
        from: '2023-01-01',
        to: '2023-03-15',
      });
      expect(cohorts.rows).toEqual([]);
      expect(cohorts.columns.map(c => c.key)).toEqual([
        'cohort',
        'size',
        'churned',
        'm0',
        'm1',
        'm2',
      ]);
      const range = { from: `${FIRST}-01`, to: lastDayOf(LAST) };
      expect(await run('cohorts', { ...range, currency: 'JPY' })).toEqual(
        await run('cohorts', range),
      );
    });
  },
);
