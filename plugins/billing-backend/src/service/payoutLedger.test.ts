/*
 * The MRR history and the payout ledger on SQLite and PostgreSQL, with a
 * controlled clock: snapshots copy billing_tenants once per day, payouts
 * follow the rounding rule, are idempotent, close on the first run after
 * their month and never change once closed or paid.
 */
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import { AuditEventInput } from '@internal/plugin-audit-common';
import knexFactory, { Knex } from 'knex';
import { MrrHistoryStore } from '../database/MrrHistoryStore';
import { PayoutStore } from '../database/PayoutStore';
import { PriceStore } from '../database/PriceStore';
import { TenantBillingStore } from '../database/TenantBillingStore';
import { MrrHistoryService } from './MrrHistoryService';
import { PartnerTerms } from './payouts';
import { PayoutService } from './PayoutService';
import { BillingRecord } from './tenantBilling';

jest.setTimeout(120_000);

const databases = dezkyTestDatabases();
const OPERATOR = { type: 'user' as const, ref: 'user:default/anna' };

const record = (
  name: string,
  partner: string | undefined,
  currency: string,
  mrr: number,
  status: 'active' | 'paused' | 'canceled' = 'active',
  seats = 1,
): BillingRecord => ({
  tenant: name,
  tenantRef: `tenant:default/${name}`,
  ...(partner ? { partnerRef: `partner:default/${partner}` } : {}),
  plan: 'business',
  seats,
  lifecycle: status === 'paused' ? 'suspended' : 'active',
  activated: true,
  currency,
  cycle: 'monthly',
  priceId: 'p',
  priceVersion: 1,
  perSeatAmount: mrr,
  status,
  mrr: status === 'active' ? mrr : 0,
  pausedMrr: status === 'paused' ? mrr : 0,
  condition: { kind: 'in-sync', message: 'ok', since: '2026-11-01T00:00:00Z' },
  updatedAt: '2026-11-01T00:00:00Z',
});

const terms = (
  name: string,
  marginPct: string,
  status = 'active',
  contractEndDate?: string,
): PartnerTerms => ({
  partnerRef: `partner:default/${name}`,
  marginPct,
  status,
  ...(contractEndDate ? { contractEndDate } : {}),
});

/** Margins 0, 12.5, 20, 100; odd minor units; EUR, CHF, JPY per partner. */
const PARTNERS = [
  terms('zero', '0'),
  terms('half', '12.5'),
  terms('twenty', '20'),
  terms('all', '100'),
];
const TENANTS = [
  record('z1', 'zero', 'EUR', 333),
  record('h1', 'half', 'EUR', 333),
  record('h2', 'half', 'EUR', 1),
  record('h3', 'half', 'CHF', 1),
  record('h4', 'half', 'JPY', 4),
  record('h5', 'half', 'JPY', 7, 'paused'), // paused MRR is not paid out
  record('h6', 'half', 'JPY', 9, 'canceled'),
  record('t1', 'twenty', 'EUR', 333),
  record('t2', 'twenty', 'CHF', 1),
  record('t3', 'twenty', 'CHF', 1),
  record('a1', 'all', 'JPY', 1),
  record('a2', 'all', 'EUR', 333),
  record('d1', undefined, 'EUR', 5000), // direct: no payout
  record('u1', 'unknown', 'EUR', 5000), // not in the catalog: no payout
];
/** partner, currency, gross, margin, amount. */
const EXPECTED: Array<[string, string, number, string, number]> = [
  ['all', 'EUR', 333, '100', 333],
  ['all', 'JPY', 1, '100', 1],
  ['half', 'CHF', 1, '12.5', 0], // 0.125
  ['half', 'EUR', 334, '12.5', 42], // 41.75
  ['half', 'JPY', 4, '12.5', 1], // 0.5 → 1
  ['twenty', 'CHF', 2, '20', 0], // 0.4
  ['twenty', 'EUR', 333, '20', 67], // 66.6
  ['zero', 'EUR', 333, '0', 0],
];

describe.each(databases.eachSupportedId())('payout ledger on %p', id => {
  let knex: Knex;
  let tenants: TenantBillingStore;
  let clock: Date;
  let partners: PartnerTerms[];
  let audit: AuditEventInput[];

  const services = (db: Knex = knex) => {
    const trail = {
      record: async (inputs: AuditEventInput[]) => {
        audit.push(...inputs);
        return [];
      },
    };
    const history = new MrrHistoryStore(db);
    return {
      snapshots: new MrrHistoryService({
        store: history,
        trail,
        now: () => clock,
      }),
      payouts: new PayoutService({
        payouts: new PayoutStore(db),
        history,
        partners: async () => partners,
        trail,
        now: () => clock,
      }),
      store: new PayoutStore(db),
      history,
    };
  };

  const ledger = async (filter = {}) =>
    (await new PayoutStore(knex).list({ limit: 200, ...filter })).items;
  const figures = async (month: string) =>
    (await ledger({ month })).map(p => [
      p.partnerRef.replace('partner:default/', ''),
      p.currency,
      p.grossMrr,
      p.marginPct,
      p.amount,
    ]);

  beforeEach(async () => {
    knex = await databases.init(id);
    await PriceStore.create({ database: mockServices.database({ knex }) });
    tenants = new TenantBillingStore(knex);
    for (const t of TENANTS) await tenants.save(t);
    clock = new Date('2026-11-30T12:00:00.000Z');
    partners = PARTNERS;
    audit = [];
  });

  it("copies billing_tenants into the day's snapshot, once per day with two instances taking it at the same time, and refuses a past day", async () => {
    // on PostgreSQL the second instance has its own connection pool
    const other = id.startsWith('POSTGRES')
      ? knexFactory(knex.client.config)
      : knex;
    const a = services();
    const b = services(other);
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 ? a : b).snapshots.takeToday(),
      ),
    );
    const rows = await a.history.rows('2026-11-30');
    expect(rows).toHaveLength(TENANTS.length);
    const source = await knex('billing_tenants').orderBy('tenant_ref');
    expect(rows).toEqual(
      source.map(t => ({
        day: '2026-11-30',
        tenant_ref: t.tenant_ref,
        tenant_name: t.tenant_name,
        partner_ref: t.partner_ref,
        plan: t.plan,
        seats: Number(t.seats),
        currency: t.currency,
        status: t.status,
        lifecycle: t.lifecycle,
        mrr: Number(t.mrr),
        paused_mrr: Number(t.paused_mrr),
        health: t.health,
      })),
    );
    // the day's totals, written with it: per partner and currency over
    // the billed (active or paused) records, from the records themselves
    const expected = new Map<string, [number, number, number]>();
    for (const t of TENANTS) {
      if (t.status !== 'active' && t.status !== 'paused') continue;
      const key = `${t.partnerRef ?? ''}|${t.currency}`;
      const [m, p, n] = expected.get(key) ?? [0, 0, 0];
      expected.set(key, [m + t.mrr, p + t.pausedMrr, n + 1]);
    }
    const totals = await knex('billing_snapshot_totals').where({
      day: '2026-11-30',
    });
    expect(totals).toHaveLength(expected.size); // six takes, one set
    expect(
      new Map(
        totals.map(r => [
          `${r.partner_ref ?? ''}|${r.currency}`,
          [Number(r.mrr), Number(r.paused_mrr), Number(r.tenants)],
        ]),
      ),
    ).toEqual(expected);
    expect(await a.snapshots.days()).toEqual([
      {
        day: '2026-11-30',
        takenAt: '2026-11-30T12:00:00.000Z',
        tenants: TENANTS.length,
      },
    ]);
    expect(
      audit.filter(e => e.action === 'billing.snapshot.taken'),
    ).toHaveLength(6);
    await expect(a.snapshots.take('2026-11-29')).rejects.toMatchObject({
      name: 'ConflictError',
      message: expect.stringContaining('2026-11-29 is over'),
    });
    clock = new Date('2026-12-01T00:00:01.000Z');
    await expect(a.snapshots.take('2026-11-30')).rejects.toMatchObject({
      name: 'ConflictError',
    });
    // the final snapshot of 2026-11-30 is kept as it was
    expect(await a.history.rows('2026-11-30')).toEqual(rows);
    if (other !== knex) await other.destroy();
  });

  it('computes each partner × currency amount from the gross MRR of active subscriptions, rounded half up once', async () => {
    const { snapshots, payouts } = services();
    await snapshots.takeToday();
    expect(await payouts.generate()).toMatchObject({
      month: '2026-11',
      snapshotDay: '2026-11-30',
      created: EXPECTED.length,
    });
    expect(await figures('2026-11')).toEqual(
      [...EXPECTED].sort((x, y) =>
        `${x[0]} ${x[1]}`.localeCompare(`${y[0]} ${y[1]}`),
      ),
    );
    expect((await ledger()).every(p => p.state === 'open')).toBe(true);
    expect(
      audit.filter(e => e.action === 'billing.payout.generated'),
    ).toHaveLength(EXPECTED.length);
  });

  it('generating 100 times changes nothing', async () => {
    const { snapshots, payouts } = services();
    await snapshots.takeToday();
    await payouts.generate();
    const before = await ledger();
    const events = audit.length;
    for (let i = 0; i < 100; i++) {
      clock = new Date(clock.getTime() + 60_000);
      expect(await payouts.generate()).toMatchObject({
        created: 0,
        changed: 0,
        closed: 0,
      });
    }
    expect(await ledger()).toEqual(before);
    expect(audit).toHaveLength(events);
  });

  it('closes a month on the first run after it ends, with the figures of its final snapshot, and freezes it', async () => {
    const { snapshots, payouts, store } = services();
    clock = new Date('2026-11-29T12:00:00.000Z');
    await snapshots.takeToday();
    await payouts.generate();
    // the next day: more seats, a new snapshot, the open month follows
    clock = new Date('2026-11-30T12:00:00.000Z');
    await tenants.save(record('h1', 'half', 'EUR', 3330, 'active', 10));
    await snapshots.takeToday();
    await payouts.generate();
    const open = (await ledger({ month: '2026-11', state: 'open' })).find(
      p => p.partnerRef === 'partner:default/half' && p.currency === 'EUR',
    );
    expect(open).toMatchObject({ grossMrr: 3331, amount: 416 }); // 416.375
    // after the last run of November, the final snapshot changes once more
    clock = new Date('2026-11-30T23:30:00.000Z');
    await tenants.save(record('h1', 'half', 'EUR', 6660, 'active', 20));
    await snapshots.takeToday();
    // December's first run: November closes from its final snapshot
    clock = new Date('2026-12-01T00:05:00.000Z');
    await tenants.save(record('h1', 'half', 'EUR', 1, 'active', 1));
    await snapshots.takeToday();
    const summary = await payouts.generate();
    expect(summary).toMatchObject({
      month: '2026-12',
      closedMonths: ['2026-11'],
      closed: EXPECTED.length,
    });
    const november = await ledger({ month: '2026-11' });
    expect(november.every(p => p.state === 'closed')).toBe(true);
    expect(november.every(p => p.snapshotDay === '2026-11-30')).toBe(true);
    expect(
      november.find(
        p => p.partnerRef === 'partner:default/half' && p.currency === 'EUR',
      ),
    ).toMatchObject({
      grossMrr: 6661,
      amount: 833, // 832.625
      closedAt: '2026-12-01T00:05:00.000Z',
    });
    expect(
      audit.filter(e => e.action === 'billing.payout.closed'),
    ).toHaveLength(EXPECTED.length);
    // December is open with today's figures
    expect(
      (await ledger({ month: '2026-12' })).find(
        p => p.partnerRef === 'partner:default/half' && p.currency === 'EUR',
      ),
    ).toMatchObject({ state: 'open', grossMrr: 2, amount: 0 });
    // closed is frozen: a later margin change and generating November again change nothing
    const frozen = await ledger({ month: '2026-11' });
    partners = PARTNERS.map(p => ({ ...p, marginPct: '50' }));
    await payouts.generate('2026-11');
    await payouts.generate();
    expect(await ledger({ month: '2026-11' })).toEqual(frozen);
    // an open row cannot be paid: the month is not over
    const december = await ledger({ month: '2026-12' });
    await expect(
      payouts.markPaid(
        december[0].id,
        { reference: 'TX-1', paidOn: '2026-12-02' },
        OPERATOR,
      ),
    ).rejects.toMatchObject({
      name: 'ConflictError',
      message: expect.stringContaining('the month is not over'),
    });
    expect(await store.get(december[0].id)).toEqual(december[0]);
  });

  it('never changes a paid row: not by generation, nor by a later price or seats change', async () => {
    const { snapshots, payouts } = services();
    await snapshots.takeToday();
    await payouts.generate();
    clock = new Date('2026-12-01T06:00:00.000Z');
    await snapshots.takeToday();
    await payouts.generate();
    const row = (await ledger({ month: '2026-11' })).find(
      p => p.partnerRef === 'partner:default/half' && p.currency === 'EUR',
    )!;
    const paid = await payouts.markPaid(
      row.id,
      { reference: 'SEPA-2026-11-half', paidOn: '2026-12-03' },
      OPERATOR,
    );
    expect(paid).toEqual({
      ...row,
      state: 'paid',
      paidOn: '2026-12-03',
      paidReference: 'SEPA-2026-11-half',
      paidBy: 'user:default/anna',
    });
    expect(audit.at(-1)).toMatchObject({
      action: 'billing.payout.paid',
      actor: OPERATOR,
      partner: 'partner:default/half',
    });
    await expect(
      payouts.markPaid(
        row.id,
        { reference: 'again', paidOn: '2026-12-04' },
        OPERATOR,
      ),
    ).rejects.toMatchObject({
      name: 'ConflictError',
      message: expect.stringContaining('already paid'),
    });
    // seats and price change, a new snapshot, generate everything again
    await tenants.save(record('h1', 'half', 'EUR', 99_999, 'active', 30));
    await tenants.save(record('h2', 'half', 'EUR', 12_345, 'active', 5));
    await snapshots.takeToday();
    partners = PARTNERS.map(p => ({ ...p, marginPct: '99.5' }));
    for (const month of ['2026-11', '2026-12', undefined]) {
      await payouts.generate(month);
    }
    expect(
      await payouts.list({ month: '2026-11', state: 'paid' }, undefined),
    ).toEqual({ items: [paid], total: 1 });
    await expect(
      payouts.markPaid(
        '00000000-0000-4000-8000-000000000000',
        { reference: 'x', paidOn: '2026-12-04' },
        OPERATOR,
      ),
    ).rejects.toMatchObject({ name: 'NotFoundError' });
  });

  it('a terminated partner accrues nothing after the month its contract ends', async () => {
    const { snapshots, payouts } = services();
    partners = [
      terms('half', '12.5', 'terminated', '2026-11-10'),
      terms('twenty', '20', 'terminated'),
      terms('all', '100', 'paused'),
    ];
    await snapshots.takeToday();
    await payouts.generate();
    const november = await figures('2026-11');
    expect(november.map(r => r[0])).toEqual([
      'all',
      'all',
      'half',
      'half',
      'half',
      'twenty',
      'twenty',
    ]);
    clock = new Date('2026-12-02T06:00:00.000Z');
    await snapshots.takeToday();
    await payouts.generate();
    expect((await figures('2026-12')).map(r => r[0])).toEqual([
      'all',
      'all',
      'twenty',
      'twenty',
    ]);
  });

  it('steps the migrations down and up: their tables and columns go and come back, billing_tenants keeps its rows', async () => {
    const { snapshots, payouts } = services();
    await snapshots.takeToday();
    await payouts.generate();
    const directory = resolvePackagePath(
      '@internal/plugin-billing-backend',
      'migrations',
    );
    const name = '20261208160000_mrr_history.js';
    // the reports' migration (20261209100000) alters these tables: it
    // steps down first and back up last
    const reports = '20261209100000_reports.js';
    await knex.migrate.down({ directory, name: reports });
    expect(await knex.schema.hasColumn('billing_tenants', 'health')).toBe(
      false,
    );
    await knex.migrate.down({ directory, name });
    for (const table of [
      'billing_mrr_snapshots',
      'billing_snapshot_days',
      'billing_payouts',
    ]) {
      expect(await knex.schema.hasTable(table)).toBe(false);
    }
    await knex.migrate.up({ directory, name });
    // an event applied before the reports' migration: it gets its handled
    // time and the tenant's partner
    await knex('billing_handled_events').insert({
      event_id: '00000000-0000-4000-8000-000000000001',
      tenant_ref: 'tenant:default/h1',
      type: 'activated',
      seq: 1,
      handled_at: '2026-11-02T10:00:00.000Z',
    });
    await knex.migrate.up({ directory, name: reports });
    expect(
      await knex('billing_handled_events')
        .select('at', 'partner_ref')
        .where({ event_id: '00000000-0000-4000-8000-000000000001' }),
    ).toEqual([
      { at: '2026-11-02T10:00:00.000Z', partner_ref: 'partner:default/half' },
    ]);
    expect(await knex.schema.hasColumn('billing_tenants', 'health')).toBe(true);
    expect(await ledger()).toEqual([]);
    const [{ n }] = await knex('billing_tenants').count({ n: '*' });
    expect(Number(n)).toBe(TENANTS.length);
    await snapshots.takeToday();
    expect((await payouts.generate()).created).toBe(EXPECTED.length);
  });

  it('refuses a future month and a month without a snapshot', async () => {
    const { payouts } = services();
    await expect(payouts.generate('2027-01')).rejects.toMatchObject({
      name: 'InputError',
    });
    await expect(payouts.generate()).rejects.toMatchObject({
      name: 'ConflictError',
      message: expect.stringContaining('no MRR snapshot in 2026-11'),
    });
  });
});
