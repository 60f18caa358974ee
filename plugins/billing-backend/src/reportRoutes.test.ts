/*
 * The report, payout and saved-report endpoints through the router, on
 * SQLite and PostgreSQL, over a generated 24-month history: partner staff
 * (of `nord`) asking anything — every report, JSON and CSV, random filters —
 * get exactly what an operator gets for `nord`, never a row of another
 * partner; their writes answer 403 except their own partner's saved reports.
 */
import {
  dezkyTestDatabases,
  seededRandom,
  parseCsv,
} from '@internal/dezky-test-utils';
import {
  OPERATOR_REPORTS,
  Payout,
  REPORT_IDS,
  ReportResult,
  SavedReport,
} from '@internal/plugin-billing-common';
import { DezkyAccess, DezkyAccessService } from '@internal/plugin-dezky-node';
import { AuditEventInput } from '@internal/plugin-audit-common';
import { Knex } from 'knex';
import request from 'supertest';
import {
  as,
  NORD,
  OPERATOR,
  OUTSIDER,
  STAFF,
} from './__testUtils__/billingPolicy';
import {
  GeneratedHistory,
  generateHistory,
  writeHistory,
} from './__testUtils__/reportHistory';
import {
  billingRoutesPlugin,
  startBillingRoutes,
  TestServer,
} from './__testUtils__/routesPlugin';
import { MrrHistoryStore } from './database/MrrHistoryStore';
import { PayoutStore } from './database/PayoutStore';
import { SavedReportStore } from './database/SavedReportStore';
import { addPayoutRoutes } from './payoutRoutes';
import { addReportRoutes } from './reportRoutes';
import { MrrHistoryService } from './service/MrrHistoryService';
import { PayoutService } from './service/PayoutService';
import { ReportService } from './service/ReportService';
import { SavedReportService } from './service/SavedReportService';

jest.setTimeout(180_000);

const databases = dezkyTestDatabases();
const TODAY = new Date('2026-12-07T12:00:00.000Z');
/** nord is one of the generated partners; the others keep their names. */
const PARTNER_NAMES = ['nord', 'sued', 'west', 'ost'];

/** The history with partners named as the policy knows them. */
function history(): GeneratedHistory {
  const h = generateHistory({
    tenants: 240,
    months: 24,
    lastMonth: '2026-12',
    lastDay: '2026-12-07',
    partners: PARTNER_NAMES.length,
    seed: 5,
  });
  const rename = new Map(
    h.partners.map((p, i) => [p, `partner:default/${PARTNER_NAMES[i]}`]),
  );
  const ref = (p: string | null) => (p ? rename.get(p)! : null);
  for (const t of h.tenants) t.partnerRef = ref(t.partnerRef);
  for (const e of h.events) e.partnerRef = ref(e.partnerRef);
  for (const rows of h.snapshots.values()) {
    for (const r of rows) r.partner_ref = ref(r.partner_ref);
  }
  for (const p of h.payouts) p.partnerRef = ref(p.partnerRef)!;
  h.partners = h.partners.map(p => rename.get(p)!);
  return h;
}

const ACCESS: Record<string, DezkyAccess> = {
  [OPERATOR]: {
    role: 'operator',
    userRef: OPERATOR,
    groupRefs: [],
    partnerRefs: [],
    staffGroupRefs: [],
  },
  [STAFF]: {
    role: 'partner-staff',
    userRef: STAFF,
    groupRefs: ['group:default/nord-staff'],
    partnerRefs: [NORD],
    staffGroupRefs: ['group:default/nord-staff'],
  },
  [OUTSIDER]: {
    role: 'user',
    userRef: OUTSIDER,
    groupRefs: [],
    partnerRefs: [],
    staffGroupRefs: [],
  },
};
const access: DezkyAccessService = {
  forCredentials: async credentials =>
    ACCESS[(credentials.principal as { userEntityRef: string }).userEntityRef],
  forUser: async ref => ACCESS[ref],
  tenantRefs: async () => 'all',
};

const audit: AuditEventInput[] = [];

const testPlugin = billingRoutesPlugin({
  async addRoutes({ knex, kit, tenantScope, router }) {
    await writeHistory(knex, history());
    const trail = {
      record: async (inputs: AuditEventInput[]) => {
        audit.push(...inputs);
        return [];
      },
    };
    const historyStore = new MrrHistoryStore(knex);
    addPayoutRoutes(router, {
      kit,
      payouts: new PayoutService({
        payouts: new PayoutStore(knex),
        history: historyStore,
        partners: async () => [],
        trail,
        now: () => TODAY,
      }),
      snapshots: new MrrHistoryService({
        store: historyStore,
        trail,
        now: () => TODAY,
      }),
      tenantScope,
    });
    addReportRoutes(router, {
      kit,
      reports: new ReportService({ knex, now: () => TODAY }),
      saved: new SavedReportService({
        store: new SavedReportStore(knex),
        trail,
        now: () => TODAY,
      }),
      access,
      tenantScope,
    });
  },
});

/** The JSON rows as the CSV writes them. */
const asCsv = (result: ReportResult) => [
  result.columns.map(c => c.key),
  ...result.rows.map(r =>
    result.columns.map(c => {
      const v = r[c.key];
      if (v === null || v === undefined) return '';
      return typeof v === 'string' && /^[=+\-@\t\r]/.test(v)
        ? `'${v}`
        : String(v);
    }),
  ),
];

/** The figures of a result: every count and money cell. */
const figures = (result: ReportResult) =>
  result.rows.flatMap(r =>
    result.columns
      .filter(c => c.kind === 'count' || c.kind === 'money')
      .filter(c => c.key !== 'rank')
      .map(c => r[c.key]),
  );

describe.each(databases.eachSupportedId())(
  'the billing API: reports, payouts and saved reports for partner staff on %p',
  id => {
    let server: TestServer;
    let knex: Knex;

    beforeAll(async () => {
      knex = await databases.init(id);
      server = await startBillingRoutes(testPlugin, knex);
    });

    const get = (path: string, user: string) =>
      request(server).get(`/api/billing${path}`).set('authorization', as(user));
    const post = (path: string, user: string, body: object) =>
      request(server)
        .post(`/api/billing${path}`)
        .set('authorization', as(user))
        .send(body);
    const del = (path: string, user: string) =>
      request(server)
        .delete(`/api/billing${path}`)
        .set('authorization', as(user));

    const scopedReports = REPORT_IDS.filter(r => !OPERATOR_REPORTS.includes(r));

    it('every report is built and answers operators JSON and the same rows as CSV', async () => {
      for (const report of REPORT_IDS) {
        const json = await get(`/reports/${report}?from=2025-01-01`, OPERATOR);
        expect({ report, status: json.status }).toEqual({
          report,
          status: 200,
        });
        expect(json.body.rows.length).toBeGreaterThan(0);
        const csv = await get(
          `/reports/${report}.csv?from=2025-01-01`,
          OPERATOR,
        );
        expect(csv.status).toBe(200);
        expect(csv.headers['content-type']).toMatch(/^text\/csv/);
        expect(csv.headers['content-disposition']).toBe(
          `attachment; filename="${report}-2025-01-01-2026-12-07.csv"`,
        );
        expect(parseCsv(csv.text)).toEqual(asCsv(json.body));
      }
    });

    it('partner staff, random filters over every report (JSON and CSV): what an operator gets for nord, 0 rows of another partner', async () => {
      const random = seededRandom(23);
      let foreignAsked = 0;
      const csvPairs: Array<[string[][], string[][]]> = [];
      const partnersSeen: unknown[] = [];
      const foreign: unknown[] = [];
      const pairs: Array<[ReportResult, ReportResult]> = [];
      for (let round = 0; round < 60; round++) {
        const report = scopedReports[random(scopedReports.length)];
        // a day from 2025-01-01 to today (2026-12-07)
        const from = new Date(Date.UTC(2025, 0, 1 + random(706)))
          .toISOString()
          .slice(0, 10);
        const asked = random(3)
          ? undefined
          : [...PARTNER_NAMES, 'direct'][random(5)];
        const params = new URLSearchParams({
          from,
          ...(random(2) ? { currency: ['EUR', 'CHF', 'JPY'][random(3)] } : {}),
          ...(report === 'mrr' && random(2) ? { interval: 'day' } : {}),
          ...(report === 'top-tenants'
            ? { by: random(2) ? 'mrr' : 'seats', limit: String(1 + random(30)) }
            : {}),
          ...(asked ? { partner: asked } : {}),
        });
        const csv = random(2) === 1;
        const path = `/reports/${report}${csv ? '.csv' : ''}?${params}`;
        const staff = await get(path, STAFF);
        expect({ path, status: staff.status }).toEqual({ path, status: 200 });
        const json = csv
          ? await get(`/reports/${report}?${params}`, STAFF)
          : staff;
        if (csv) csvPairs.push([parseCsv(staff.text), asCsv(json.body)]);
        const result = json.body as ReportResult;
        if (report === 'top-tenants') {
          partnersSeen.push(...result.rows.map(r => r.partner));
        }
        if (asked && asked !== 'nord') {
          // another partner's (or direct) figures: nothing of theirs
          foreign.push(...figures(result));
          foreignAsked++;
          continue;
        }
        params.set('partner', 'nord');
        const operator = await get(`/reports/${report}?${params}`, OPERATOR);
        pairs.push([result, operator.body]);
      }
      expect(csvPairs.length).toBeGreaterThan(10);
      for (const [got, want] of csvPairs) expect(got).toEqual(want);
      expect(partnersSeen.length).toBeGreaterThan(0);
      expect(new Set(partnersSeen)).toEqual(new Set(['nord']));
      expect(foreign.filter(v => v !== 0 && v !== null)).toEqual([]);
      for (const [staffResult, operatorResult] of pairs) {
        expect(staffResult).toEqual(operatorResult);
      }
      const compared = pairs.length;
      expect(compared).toBeGreaterThan(20);
      expect(foreignAsked).toBeGreaterThan(5);
      const leaderboard = await get('/reports/partners', STAFF);
      expect(leaderboard.status).toBe(403);
      expect((await get('/reports/partners.csv', STAFF)).status).toBe(403);
      expect((await get('/reports/mrr', OUTSIDER)).status).toBe(403);
    });

    it('partner staff: payouts JSON and CSV hold nord only; generating and marking paid answer 403', async () => {
      const random = seededRandom(29);
      const seen = new Set<string>();
      for (let round = 0; round < 30; round++) {
        const params = new URLSearchParams({
          ...(random(2) ? { partner: PARTNER_NAMES[random(4)] } : {}),
          ...(random(2)
            ? { month: `2026-${String(1 + random(12)).padStart(2, '0')}` }
            : {}),
          ...(random(2) ? { currency: ['EUR', 'CHF', 'JPY'][random(3)] } : {}),
        });
        const json = await get(`/payouts?limit=200&${params}`, STAFF);
        expect(json.status).toBe(200);
        json.body.items.forEach((p: Payout) => seen.add(p.partnerRef));
        const csv = await get(`/payouts.csv?${params}`, STAFF);
        expect(csv.status).toBe(200);
        const [header, ...rows] = parseCsv(csv.text);
        const col = header.indexOf('partnerRef');
        rows.forEach(r => seen.add(r[col]));
        expect(rows.length).toBe(json.body.total);
      }
      expect(seen).toEqual(new Set([NORD]));
      const all = await get('/payouts.csv', OPERATOR);
      const partners = new Set(
        parseCsv(all.text)
          .slice(1)
          .map(r => r[1]),
      );
      expect(partners.size).toBe(PARTNER_NAMES.length);
      const some = (await get('/payouts?limit=1', OPERATOR)).body.items[0];
      expect((await post('/payouts/generate', STAFF, {})).status).toBe(403);
      expect(
        (
          await post(`/payouts/${some.id}/paid`, STAFF, {
            reference: 'x',
            paidOn: '2026-12-01',
          })
        ).status,
      ).toBe(403);
    });

    it("saved reports: staff save and delete their partner's, see the operators' but cannot delete them, never see another partner's", async () => {
      const mine = await post('/reports/saved', STAFF, {
        name: 'Nord EUR',
        report: 'mrr',
        filters: { currency: 'EUR', from: '2026-01-01' },
      });
      expect(mine.status).toBe(201);
      expect(mine.body).toMatchObject({
        name: 'Nord EUR',
        report: 'mrr',
        filters: { currency: 'EUR', from: '2026-01-01' },
        partnerRef: NORD,
        createdBy: STAFF,
      });
      const global = await post('/reports/saved', OPERATOR, {
        name: 'Everyone: growth',
        report: 'growth',
      });
      expect(global.status).toBe(201);
      expect(global.body.partnerRef).toBeUndefined();
      expect(global.body.filters).toEqual({});
      // an operator-only report saved by an operator: not listed to staff
      const leaderboard = await post('/reports/saved', OPERATOR, {
        name: 'Leaderboard',
        report: 'partners',
      });
      expect(leaderboard.status).toBe(201);
      // another partner's, as its staff would have saved it
      const sued = await post('/reports/saved', OPERATOR, {
        name: 'Sued',
        report: 'mrr',
      });
      await knex('billing_saved_reports')
        .where({ id: sued.body.id })
        .update({ partner_ref: 'partner:default/sued' });

      const staffList = (await get('/reports/saved', STAFF)).body
        .items as SavedReport[];
      expect(staffList.map(s => s.name).sort()).toEqual(
        ['Everyone: growth', 'Nord EUR'].sort(),
      );
      expect(
        staffList.every(
          s => s.partnerRef === undefined || s.partnerRef === NORD,
        ),
      ).toBe(true);

      // refused: another partner, an operator-only report, a duplicate name, bad input
      expect(
        (
          await post('/reports/saved', STAFF, {
            name: 'Sued',
            report: 'mrr',
            partner: 'sued',
          })
        ).status,
      ).toBe(403);
      expect(
        (await post('/reports/saved', STAFF, { name: 'L', report: 'partners' }))
          .status,
      ).toBe(403);
      const dup = await post('/reports/saved', STAFF, {
        name: 'Nord EUR',
        report: 'growth',
      });
      expect(dup.status).toBe(409);
      const bad = await post('/reports/saved', STAFF, {
        name: ' ',
        report: 'nope',
        filters: { currency: 'eur', limit: 1000 },
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(/name: must not be empty/);
      expect(bad.body.error.message).toMatch(/report: must be one of/);
      expect(bad.body.error.message).toMatch(/filters.currency/);
      expect((await get('/reports/saved', OUTSIDER)).status).toBe(403);
      expect(
        (await post('/reports/saved', OUTSIDER, { name: 'x', report: 'mrr' }))
          .status,
      ).toBe(403);

      expect(
        (await del(`/reports/saved/${global.body.id}`, STAFF)).status,
      ).toBe(403);
      expect((await del(`/reports/saved/${sued.body.id}`, STAFF)).status).toBe(
        404,
      );
      expect((await del(`/reports/saved/${mine.body.id}`, STAFF)).status).toBe(
        204,
      );
      expect((await del(`/reports/saved/${mine.body.id}`, STAFF)).status).toBe(
        404,
      );
      expect(
        (await del(`/reports/saved/${global.body.id}`, OPERATOR)).status,
      ).toBe(204);
      expect(
        audit
          .filter(e => e.action.startsWith('billing.report.'))
          .map(e => [e.action, e.resource?.name, e.actor.ref]),
      ).toEqual(
        expect.arrayContaining([
          ['billing.report.saved', 'Nord EUR', STAFF],
          ['billing.report.deleted', 'Nord EUR', STAFF],
          ['billing.report.deleted', 'Everyone: growth', OPERATOR],
        ]),
      );
    });

    it('bad filters answer 400 naming each; a future end is clamped to today', async () => {
      const bad = await get(
        '/reports/mrr?from=2026-02-30&currency=eur&interval=week&limit=0',
        OPERATOR,
      );
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toBe(
        'from: must be a real calendar day; currency: must be an ISO 4217 code in upper case, e.g. EUR; interval: must be month or day; limit: must be at least 1',
      );
      expect((await get('/reports/nope', OPERATOR)).status).toBe(400);
      expect(
        (await get('/reports/mrr?from=2026-12-01&to=2026-11-01', OPERATOR))
          .status,
      ).toBe(400);
      const daily = await get(
        '/reports/mrr?interval=day&from=2020-01-01',
        OPERATOR,
      );
      expect(daily.status).toBe(400);
      expect(daily.body.error.message).toMatch(/at most 731 days/);
      const clamped = await get('/reports/mrr?to=2027-06-30', OPERATOR);
      expect(clamped.body).toMatchObject({
        to: '2026-12-07',
        from: '2026-01-01',
      });
    });
  },
);
