import { mockServices } from '@backstage/backend-test-utils';
// a test-only, seeded random source (the repo's one)
import { dezkyTestDatabases, seededRandom } from '@internal/dezky-test-utils';
import { sumByCurrency } from '@internal/plugin-billing-common';
import { LifecycleEvent } from '@internal/plugin-provisioning-common';
import { BillingRecord } from '../service/tenantBilling';
import { PriceStore } from './PriceStore';
import { TenantBillingStore } from './TenantBillingStore';

jest.setTimeout(60_000);

const databases = dezkyTestDatabases();
const NOW = '2026-12-07T10:00:00.000Z';

const record = (
  name: string,
  partner: string | undefined,
  currency: string,
  mrr: number,
  status: 'active' | 'paused' | 'canceled' = 'active',
): BillingRecord => ({
  tenant: name,
  tenantRef: `tenant:default/${name}`,
  ...(partner ? { partnerRef: `partner:default/${partner}` } : {}),
  plan: 'business',
  seats: 1,
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
  condition: { kind: 'in-sync', message: 'ok', since: NOW },
  updatedAt: NOW,
});

let n = 0;
const eventFor = (r: BillingRecord): LifecycleEvent => ({
  id: `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
  seq: n,
  type: 'activated',
  tenantRef: r.tenantRef,
  at: NOW,
  status: 'active',
  plan: r.plan,
  seats: r.seats,
});

describe.each(databases.eachSupportedId())('TenantBillingStore on %p', id => {
  let store: TenantBillingStore;

  beforeEach(async () => {
    const knex = await databases.init(id);
    await PriceStore.create({ database: mockServices.database({ knex }) });
    store = new TenantBillingStore(knex);
  });

  it('applies an event once: a repeat changes nothing', async () => {
    const r = record('acme', 'nord', 'EUR', 1000);
    const e = eventFor(r);
    expect(await store.applyEvent(e, () => r, NOW)).toEqual(r);
    expect(await store.applyEvent(e, () => ({ ...r, seats: 99 }), NOW)).toBe(
      'repeat',
    );
    expect(await store.get(r.tenantRef)).toEqual(r);
  });

  it('sums MRR per currency in SQL — in total, per partner and direct — with paused MRR apart, and scopes to a partner', async () => {
    for (const r of [
      record('a', 'nord', 'EUR', 1000),
      record('b', 'nord', 'EUR', 250, 'paused'),
      record('c', 'nord', 'CHF', 700),
      record('d', 'sued', 'EUR', 333),
      record('e', undefined, 'EUR', 5),
      record('f', undefined, 'EUR', 1, 'canceled'),
    ]) {
      await store.applyEvent(eventFor(r), () => r, NOW);
    }
    const report = await store.mrr();
    expect(report.total).toEqual([
      { currency: 'CHF', mrr: 700, pausedMrr: 0, subscriptions: 1 },
      { currency: 'EUR', mrr: 1338, pausedMrr: 250, subscriptions: 4 },
    ]);
    expect(report.partners).toEqual([
      {
        partnerRef: 'partner:default/nord',
        totals: [
          { currency: 'CHF', mrr: 700, pausedMrr: 0, subscriptions: 1 },
          { currency: 'EUR', mrr: 1000, pausedMrr: 250, subscriptions: 2 },
        ],
      },
      {
        partnerRef: 'partner:default/sued',
        totals: [{ currency: 'EUR', mrr: 333, pausedMrr: 0, subscriptions: 1 }],
      },
    ]);
    expect(report.direct).toEqual([
      { currency: 'EUR', mrr: 5, pausedMrr: 0, subscriptions: 1 },
    ]);
    const nordOnly = {
      column: 'partnerRef' as const,
      values: ['partner:default/nord'],
    };
    const nord = await store.mrr(nordOnly);
    expect(nord.total.map(t => [t.currency, t.mrr])).toEqual([
      ['CHF', 700],
      ['EUR', 1000],
    ]);
    expect(nord.direct).toEqual([]);
    const list = await store.list({ scope: nordOnly });
    expect(list.items.map(i => i.tenant)).toEqual(['a', 'b', 'c']);
    expect(list.total).toBe(3);
  });

  it('has the platform MRR equal to the partners’ plus the direct tenants’, per currency (random cases)', async () => {
    const random = seededRandom(42);
    const currencies = ['EUR', 'CHF', 'GBP'];
    const partners = ['p1', 'p2', 'p3', undefined];
    const statuses = ['active', 'paused', 'canceled'] as const;
    for (let i = 0; i < 60; i++) {
      const r = record(
        `t${i}`,
        partners[random(partners.length)],
        currencies[random(currencies.length)],
        random(1_000_000),
        statuses[random(statuses.length)],
      );
      await store.applyEvent(eventFor(r), () => r, NOW);
    }
    const report = await store.mrr();
    const flat = (
      totals: Array<{ currency: string; mrr: number; pausedMrr: number }>,
    ) =>
      totals.flatMap(t => [
        { currency: t.currency, amount: t.mrr },
        { currency: `${t.currency}-paused`, amount: t.pausedMrr },
      ]);
    expect(
      sumByCurrency([
        ...report.partners.flatMap(p => flat(p.totals)),
        ...flat(report.direct),
      ]),
    ).toEqual(sumByCurrency(flat(report.total)));
    for (const t of report.total) {
      expect(
        Number.isSafeInteger(t.mrr) && Number.isSafeInteger(t.pausedMrr),
      ).toBe(true);
    }
  });
});
