/*
 * The payout and snapshot endpoints through the router, on SQLite and
 * PostgreSQL, with the portal's policy mocked as in invoiceRoutes.test.ts:
 * operators do everything; partner staff read their own partner's payouts
 * only (the scope in SQL) and every write and snapshot endpoint answers 403.
 */
import { dezkyTestDatabases, seededRandom } from '@internal/dezky-test-utils';
import { Payout } from '@internal/plugin-billing-common';
import request from 'supertest';
import { as, OPERATOR, OUTSIDER, STAFF } from './__testUtils__/billingPolicy';
import {
  billingRoutesPlugin,
  startBillingRoutes,
  TestServer,
} from './__testUtils__/routesPlugin';
import { MrrHistoryStore } from './database/MrrHistoryStore';
import { PayoutStore } from './database/PayoutStore';
import { addPayoutRoutes } from './payoutRoutes';
import { MrrHistoryService } from './service/MrrHistoryService';
import { PayoutService } from './service/PayoutService';
import { BillingRecord } from './service/tenantBilling';

jest.setTimeout(120_000);

const databases = dezkyTestDatabases();
const CURRENCIES = ['EUR', 'CHF', 'JPY'];
const PARTNERS = ['nord', 'sued', 'west'];

const record = (
  name: string,
  partner: string | undefined,
  currency: string,
  mrr: number,
): BillingRecord => ({
  tenant: name,
  tenantRef: `tenant:default/${name}`,
  ...(partner ? { partnerRef: `partner:default/${partner}` } : {}),
  plan: 'business',
  seats: 1,
  lifecycle: 'active',
  activated: true,
  currency,
  cycle: 'monthly',
  perSeatAmount: mrr,
  status: 'active',
  mrr,
  pausedMrr: 0,
  condition: { kind: 'in-sync', message: 'ok', since: '2026-11-01T00:00:00Z' },
  updatedAt: '2026-11-01T00:00:00Z',
});

const clock = { now: new Date('2026-11-30T12:00:00.000Z') };

const testPlugin = billingRoutesPlugin({
  async addRoutes({ knex, tenantStore, kit, tenantScope, router }) {
    let n = 0;
    for (const partner of [...PARTNERS, undefined]) {
      for (const currency of CURRENCIES) {
        n++;
        await tenantStore.save(
          record(`t${n}-${partner ?? 'direct'}`, partner, currency, 333 * n),
        );
      }
    }
    const trail = { record: async () => [] };
    const history = new MrrHistoryStore(knex);
    const snapshots = new MrrHistoryService({
      store: history,
      trail,
      now: () => clock.now,
    });
    const payouts = new PayoutService({
      payouts: new PayoutStore(knex),
      history,
      partners: async () =>
        PARTNERS.map((p, i) => ({
          partnerRef: `partner:default/${p}`,
          marginPct: ['12.5', '20', '100'][i],
          status: 'active',
        })),
      trail,
      now: () => clock.now,
    });
    // November closed, December open
    await snapshots.takeToday();
    await payouts.generate();
    clock.now = new Date('2026-12-01T08:00:00.000Z');
    await snapshots.takeToday();
    await payouts.generate();
    addPayoutRoutes(router, { kit, payouts, snapshots, tenantScope });
  },
});

describe.each(databases.eachSupportedId())(
  'the billing API: payouts and MRR snapshots on %p',
  id => {
    let server: TestServer;

    beforeAll(async () => {
      clock.now = new Date('2026-11-30T12:00:00.000Z');
      const knex = await databases.init(id);
      server = await startBillingRoutes(testPlugin, knex);
    });

    const get = (path: string, user: string) =>
      request(server).get(`/api/billing${path}`).set('authorization', as(user));
    const post = (path: string, user: string, body?: object) => {
      const r = request(server)
        .post(`/api/billing${path}`)
        .set('authorization', as(user));
      return body ? r.send(body) : r;
    };
    const all = async (): Promise<Payout[]> =>
      (await get('/payouts?limit=200', OPERATOR)).body.items;

    it('lists payouts for operators, filtered by partner, month, currency and state', async () => {
      const res = await get('/payouts?limit=200', OPERATOR);
      expect(res.status).toBe(200);
      expect(res.body.total).toBe(18); // 3 partners × 3 currencies × 2 months
      const one = await get(
        '/payouts?partner=nord&month=2026-11&currency=EUR&state=closed',
        OPERATOR,
      );
      expect(one.body.items).toEqual([
        expect.objectContaining({
          partnerRef: 'partner:default/nord',
          month: '2026-11',
          currency: 'EUR',
          grossMrr: 333,
          marginPct: '12.5',
          amount: 42,
          state: 'closed',
          snapshotDay: '2026-11-30',
        }),
      ]);
      const bad = await get('/payouts?month=2026-13&state=done', OPERATOR);
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toBe(
        'month: must be a month, YYYY-MM (e.g. 2026-11); state: must be one of open, closed, paid',
      );
      expect((await get('/payouts?tenant=x', OPERATOR)).status).toBe(400);
      expect((await get('/payouts', OUTSIDER)).status).toBe(403);
    });

    it('marks a closed payout paid once (operators); 409 for an open one and for a paid one', async () => {
      const rows = await all();
      const closed = rows.find(
        p => p.state === 'closed' && p.partnerRef === 'partner:default/sued',
      )!;
      const open = rows.find(p => p.state === 'open')!;
      const paid = await post(`/payouts/${closed.id}/paid`, OPERATOR, {
        reference: ' SEPA-1 ',
        paidOn: '2026-12-02',
      });
      expect(paid.status).toBe(200);
      expect(paid.body).toMatchObject({
        state: 'paid',
        paidReference: 'SEPA-1',
        paidOn: '2026-12-02',
        paidBy: OPERATOR,
        amount: closed.amount,
      });
      const again = await post(`/payouts/${closed.id}/paid`, OPERATOR, {
        reference: 'SEPA-2',
        paidOn: '2026-12-03',
      });
      expect(again.status).toBe(409);
      const notOver = await post(`/payouts/${open.id}/paid`, OPERATOR, {
        reference: 'SEPA-3',
        paidOn: '2026-12-03',
      });
      expect(notOver.status).toBe(409);
      expect(notOver.body.error.message).toMatch(/the month is not over/);
      const invalid = await post(`/payouts/${closed.id}/paid`, OPERATOR, {
        reference: '',
        paidOn: '2026-02-30',
      });
      expect(invalid.status).toBe(400);
      expect(invalid.body.error.message).toBe(
        'reference: must not be empty; paidOn: must be a real calendar day',
      );
      expect((await post('/payouts/not-an-id/paid', OPERATOR, {})).status).toBe(
        400,
      );
      expect(
        (
          await post(
            '/payouts/00000000-0000-4000-8000-000000000000/paid',
            OPERATOR,
            { reference: 'x', paidOn: '2026-12-03' },
          )
        ).status,
      ).toBe(404);
    });

    it('generates and snapshots on demand (operators); a past month generates nothing new, a future one is 400', async () => {
      const before = await all();
      const gen = await post('/payouts/generate', OPERATOR, {});
      expect(gen.status).toBe(200);
      expect(gen.body).toMatchObject({
        month: '2026-12',
        created: 0,
        changed: 0,
        closed: 0,
      });
      expect(
        (await post('/payouts/generate', OPERATOR, { month: '2026-11' })).body,
      ).toMatchObject({ created: 0, changed: 0, closed: 0 });
      expect(await all()).toEqual(before);
      expect(
        (await post('/payouts/generate', OPERATOR, { month: '2027-01' }))
          .status,
      ).toBe(400);
      const snap = await post('/snapshots', OPERATOR);
      expect(snap.status).toBe(200);
      expect(snap.body).toMatchObject({ day: '2026-12-01', tenants: 12 });
      const days = await get('/snapshots/days', OPERATOR);
      expect(days.body.items.map((d: { day: string }) => d.day)).toEqual([
        '2026-12-01',
        '2026-11-30',
      ]);
    });

    it('partner staff: random reads find 0 rows of another partner; every write and snapshot endpoint answers 403', async () => {
      const rows = await all();
      const random = seededRandom(17);
      const seen: string[] = [];
      const foreign: object[] = [];
      const statuses = new Set<number>();
      for (let round = 0; round < 40; round++) {
        const partner = [...PARTNERS, 'nowhere'][random(4)];
        const params = new URLSearchParams({
          ...(random(2) ? { partner } : {}),
          ...(random(2) ? { month: ['2026-11', '2026-12'][random(2)] } : {}),
          ...(random(2) ? { currency: CURRENCIES[random(3)] } : {}),
          ...(random(2)
            ? { state: ['open', 'closed', 'paid'][random(3)] }
            : {}),
          limit: String(1 + random(50)),
        });
        const res = await get(`/payouts?${params}`, STAFF);
        statuses.add(res.status);
        seen.push(...res.body.items.map((p: Payout) => p.partnerRef));
        const asked = params.get('partner');
        if (asked && asked !== 'nord') foreign.push(res.body);
      }
      expect(statuses).toEqual(new Set([200]));
      expect(seen.length).toBeGreaterThan(0);
      expect(new Set(seen)).toEqual(new Set(['partner:default/nord']));
      expect(foreign.length).toBeGreaterThan(0);
      expect(foreign).toEqual(foreign.map(() => ({ items: [], total: 0 })));
      expect((await get('/payouts?limit=200', STAFF)).body.total).toBe(6);

      const writes: Array<() => request.Test> = [
        () => post('/payouts/generate', STAFF, {}),
        () => post('/payouts/generate', STAFF, { month: '2026-11' }),
        () => post('/snapshots', STAFF),
        () => get('/snapshots/days', STAFF),
        ...rows.map(
          p => () =>
            post(`/payouts/${p.id}/paid`, STAFF, {
              reference: 'mine',
              paidOn: '2026-12-05',
            }),
        ),
      ];
      const answers: number[] = [];
      for (let i = 0; i < 30; i++) {
        answers.push((await writes[random(writes.length)]()).status);
      }
      for (const write of writes) answers.push((await write()).status);
      expect(new Set(answers)).toEqual(new Set([403]));
      expect(await all()).toEqual(rows);
    });
  },
);
