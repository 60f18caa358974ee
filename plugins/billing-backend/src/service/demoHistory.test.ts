/*
 * The development demo history on SQLite and PostgreSQL: written once, when
 * billing knows priced tenants, as month-end snapshots derived from today's
 * records, with those months' payouts closed; never over a real history.
 */
import { mockServices } from '@backstage/backend-test-utils';
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import { Knex } from 'knex';
import { MrrHistoryStore } from '../database/MrrHistoryStore';
import { PayoutStore } from '../database/PayoutStore';
import { PriceStore } from '../database/PriceStore';
import { TenantBillingStore } from '../database/TenantBillingStore';
import { demoRows, seedDemoHistory } from './demoHistory';
import { MrrHistoryService } from './MrrHistoryService';
import { PayoutService } from './PayoutService';
import { BillingRecord } from './tenantBilling';

jest.setTimeout(60_000);

const databases = dezkyTestDatabases();
const NOW = new Date('2026-12-07T12:00:00.000Z');

const record = (i: number, partner: string | undefined): BillingRecord => ({
  tenant: `t${i}`,
  tenantRef: `tenant:default/t${i}`,
  ...(partner ? { partnerRef: `partner:default/${partner}` } : {}),
  plan: 'business',
  seats: 10 + i,
  lifecycle: 'active',
  activated: true,
  currency: i % 2 ? 'EUR' : 'CHF',
  cycle: 'monthly',
  perSeatAmount: 1190,
  status: 'active',
  mrr: (10 + i) * 1190,
  pausedMrr: 0,
  condition: { kind: 'in-sync', message: 'ok', since: '2026-11-01T00:00:00Z' },
  updatedAt: '2026-11-01T00:00:00Z',
});

describe.each(databases.eachSupportedId())('the demo history on %p', id => {
  let knex: Knex;
  const setup = () => {
    const trail = { record: async () => [] };
    const history = new MrrHistoryStore(knex);
    const payouts = new PayoutService({
      payouts: new PayoutStore(knex),
      history,
      partners: async () => [
        {
          partnerRef: 'partner:default/nord',
          marginPct: '20',
          status: 'active',
        },
      ],
      trail,
      now: () => NOW,
    });
    const seed = () =>
      seedDemoHistory({
        history,
        payouts,
        months: 12,
        logger: mockServices.logger.mock(),
        now: () => NOW,
      });
    return { history, payouts, seed, trail };
  };

  beforeEach(async () => {
    knex = await databases.init(id);
    await PriceStore.create({ database: mockServices.database({ knex }) });
  });

  it('waits for priced tenants, then writes 12 month ends and their closed payouts once', async () => {
    const { history, seed } = setup();
    expect(await seed()).toBe('waiting');
    const tenants = new TenantBillingStore(knex);
    for (let i = 0; i < 20; i++) {
      await tenants.save(record(i, i % 4 ? 'nord' : undefined));
    }
    // with the health awaited: not until every priced tenant has one
    const waiting = await seedDemoHistory({
      history,
      payouts: setup().payouts,
      months: 12,
      logger: mockServices.logger.mock(),
      waitForHealth: true,
      now: () => NOW,
    });
    expect(waiting).toBe('waiting');
    expect(await history.days()).toEqual([]);
    await knex('billing_tenants').update({ health: 'warn' });
    expect(await seed()).toBe('seeded');
    const days = (await history.days()).map(d => d.day);
    expect(days).toEqual([
      '2026-11-30',
      '2026-10-31',
      '2026-09-30',
      '2026-08-31',
      '2026-07-31',
      '2026-06-30',
      '2026-05-31',
      '2026-04-30',
      '2026-03-31',
      '2026-02-28',
      '2026-01-31',
      '2025-12-31',
    ]);
    // the newest month end holds every priced tenant; earlier ones fewer or as many
    const counts = [];
    for (const d of days) counts.push((await history.rows(d)).length);
    expect(counts[0]).toBeGreaterThan(10);
    expect(counts[0]).toBeLessThanOrEqual(20);
    expect([...counts].sort((a, b) => b - a)).toEqual(counts);
    // whole minor units, never more seats than today
    for (const d of days) {
      for (const r of await history.rows(d)) {
        expect(r.health).toBe('warn');
        expect(Number.isInteger(r.mrr)).toBe(true);
        expect(r.seats).toBeLessThanOrEqual(
          10 + Number(r.tenant_name.slice(1)),
        );
      }
    }
    const ledger = await new PayoutStore(knex).list({ limit: 200 });
    expect(ledger.items.length).toBeGreaterThan(0);
    expect(new Set(ledger.items.map(p => p.state))).toEqual(
      new Set(['closed']),
    );
    expect(new Set(ledger.items.map(p => p.partnerRef))).toEqual(
      new Set(['partner:default/nord']),
    );
    // once: a second run, and a run after today's snapshot, write nothing
    expect(await seed()).toBe('not-needed');
    expect((await history.days()).length).toBe(12);
  });

  it('writes nothing over a real history', async () => {
    const { history, seed, trail } = setup();
    const tenants = new TenantBillingStore(knex);
    await tenants.save(record(1, 'nord'));
    await new MrrHistoryService({
      store: history,
      trail,
      now: () => new Date('2026-11-15T10:00:00.000Z'),
    }).takeToday();
    expect(await seed()).toBe('not-needed');
    expect((await history.days()).map(d => d.day)).toEqual(['2026-11-15']);
  });
});

describe('demoRows', () => {
  it('keeps the money of a row in its currency, in whole minor units', () => {
    const live = [
      {
        tenant_ref: 'tenant:default/a',
        tenant_name: 'a',
        partner_ref: null,
        plan: 'business',
        seats: 7,
        currency: 'JPY',
        status: 'active',
        lifecycle: 'active',
        mrr: 7 * 333,
        paused_mrr: 0,
        health: null,
      },
    ];
    for (let back = 0; back <= 12; back++) {
      for (const r of demoRows(live, back, 12)) {
        expect(r.currency).toBe('JPY');
        expect(Number.isInteger(r.mrr)).toBe(true);
        expect(r.seats).toBeGreaterThanOrEqual(1);
      }
    }
  });
});
