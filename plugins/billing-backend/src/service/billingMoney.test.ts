/*
 * Money through the whole billing path, on SQLite and PostgreSQL: random
 * price rows, seat counts, cycles and partners go in as lifecycle events;
 * the MRR report must be integers, sum per currency, equal the partners'
 * plus the direct tenants', and equal an independent exact computation;
 * a re-pricing's impact preview must equal what the edit then changes.
 */
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
// a test-only, seeded random source (the repo's one)
import { dezkyTestDatabases, seededRandom } from '@internal/dezky-test-utils';
import {
  BillingCycle,
  MrrReport,
  Price,
  sumByCurrency,
} from '@internal/plugin-billing-common';
import { LifecycleEvent } from '@internal/plugin-provisioning-common';
import { PriceStore } from '../database/PriceStore';
import { RepricingStore } from '../database/RepricingStore';
import { TenantBillingStore } from '../database/TenantBillingStore';
import { BillingEngine } from './BillingEngine';
import { PriceService } from './PriceService';
import { Repricer } from './Repricer';
import { connectStripe } from './stripeClient';
import { BillingContext } from './tenantBilling';
import { TenantBillingService } from './TenantBillingService';

jest.setTimeout(120_000);

const databases = dezkyTestDatabases();
const CURRENCIES = ['EUR', 'CHF', 'JPY', 'BHD'];
const PLANS = ['starter', 'business', 'enterprise'];
const PARTNERS = ['partner:default/p1', 'partner:default/p2', undefined];

/** MRR the long way: exact rational per tenant, rounded half up (BigInt). */
function exactMrr(perSeat: number, seats: number, cycle: BillingCycle) {
  const months = BigInt(cycle === 'yearly' ? 12 : 1);
  const total = BigInt(perSeat) * BigInt(seats);
  const whole = total / months;
  const rest = total % months;
  return Number(rest * 2n >= months ? whole + 1n : whole);
}

const flat = (totals: MrrReport['total']) =>
  totals.flatMap(t => [
    { currency: t.currency, amount: t.mrr },
    { currency: `${t.currency}/paused`, amount: t.pausedMrr },
  ]);

describe.each(databases.eachSupportedId())('billing money on %p', id => {
  it('MRR per currency is an integer sum equal to the exact per-tenant amounts and to partners + direct; a re-pricing changes MRR by exactly its impact preview', async () => {
    const random = seededRandom(20261208);
    const knex = await databases.init(id);
    const prices = await PriceStore.create({
      database: mockServices.database({ knex }),
    });
    const store = new TenantBillingStore(knex);
    const now = new Date().toISOString();
    // random price rows: each plan × currency × cycle with probability 3/4
    for (const plan of PLANS) {
      for (const currency of CURRENCIES) {
        for (const cycle of ['monthly', 'yearly'] as const) {
          if (random(4) === 0) continue;
          await prices.create(
            { plan, currency, cycle, perSeatAmount: random(1_000_000) },
            undefined,
            now,
          );
        }
      }
    }
    const tenantsMeta = new Map<
      string,
      { currency: string; cycle: BillingCycle }
    >();
    const trail = { record: async () => [] };
    const service = new TenantBillingService({
      store,
      trail,
      context: {
        async resolve(event: LifecycleEvent): Promise<BillingContext> {
          const meta = tenantsMeta.get(event.tenantRef)!;
          const price = await prices.find(
            event.plan,
            meta.currency,
            meta.cycle,
          );
          return {
            currency: meta.currency,
            cycle: meta.cycle,
            missingDetails: false,
            ...(price ? { price } : {}),
          };
        },
      },
    });
    const expected = new Map<string, { mrr: number; paused: number }>();
    for (let i = 0; i < 150; i++) {
      const tenantRef = `tenant:default/t${i}`;
      const currency = CURRENCIES[random(CURRENCIES.length)];
      const cycle: BillingCycle = random(2) ? 'yearly' : 'monthly';
      tenantsMeta.set(tenantRef, { currency, cycle });
      const plan = PLANS[random(PLANS.length)];
      const seats = random(3) === 0 ? 0 : random(100_000);
      const suspended = random(4) === 0;
      const partnerRef = PARTNERS[random(PARTNERS.length)];
      const base = {
        tenantRef,
        ...(partnerRef ? { partnerRef } : {}),
        at: now,
        plan,
        seats,
      };
      await service.handle({
        ...base,
        id: `00000000-0000-4000-8000-${String(2 * i + 1).padStart(12, '0')}`,
        seq: 2 * i + 1,
        type: 'activated',
        status: 'active',
      });
      if (suspended) {
        await service.handle({
          ...base,
          id: `00000000-0000-4000-8000-${String(2 * i + 2).padStart(12, '0')}`,
          seq: 2 * i + 2,
          type: 'suspended',
          status: 'suspended',
        });
      }
      const price = await prices.find(plan, currency, cycle);
      if (price && seats > 0) {
        const e = expected.get(currency) ?? { mrr: 0, paused: 0 };
        const amount = exactMrr(price.perSeatAmount, seats, cycle);
        if (suspended) e.paused += amount;
        else e.mrr += amount;
        expected.set(currency, e);
      }
    }

    const report = await store.mrr();
    expect(
      report.total.map(t => [t.currency, t.mrr, t.pausedMrr]).sort(),
    ).toEqual([...expected].map(([c, e]) => [c, e.mrr, e.paused]).sort());
    for (const t of [
      ...report.total,
      ...report.direct,
      ...report.partners.flatMap(p => p.totals),
    ]) {
      expect([t.mrr, t.pausedMrr].every(Number.isSafeInteger)).toBe(true);
    }
    expect(
      sumByCurrency([
        ...report.partners.flatMap(p => flat(p.totals)),
        ...flat(report.direct),
      ]),
    ).toEqual(sumByCurrency(flat(report.total)));

    // re-pricing (Stripe not connected): the preview is what the edit does
    const engine = new BillingEngine({
      store,
      prices,
      stripe: connectStripe(new ConfigReader({})),
      flags: { isEnabled: async () => true },
      trail,
      logger: mockServices.logger.mock(),
    });
    const outcomes = new RepricingStore(knex);
    const repricer = new Repricer({
      tenants: store,
      outcomes,
      engine,
      trail,
      logger: mockServices.logger.mock(),
    });
    const priceService = new PriceService({
      store: prices,
      trail,
      repricer,
      outcomes,
    });
    const rows: Price[] = await prices.list({});
    for (let round = 0; round < 6; round++) {
      const row = rows[random(rows.length)];
      const current = (await prices.get(row.id))!;
      const newAmount = random(1_000_000);
      const impact = await priceService.impact(row.id, newAmount);
      const before = await store.mrr();
      const detail = await priceService.updateAmount(
        row.id,
        newAmount,
        current.version,
        {
          $$type: '@backstage/BackstageCredentials',
          principal: { type: 'user', userEntityRef: 'user:default/anna' },
        } as any,
      );
      const after = await store.mrr();
      const moved = detail.repricing.filter(
        o => o.toVersion === current.version + 1,
      );
      expect(moved.every(o => o.outcome === 'moved')).toBe(true);
      expect(moved).toHaveLength(impact.subscriptions);
      const totalOf = (r: MrrReport, currency: string) =>
        r.total.find(t => t.currency === currency) ?? {
          mrr: 0,
          pausedMrr: 0,
        };
      for (const c of impact.perCurrency) {
        expect(c.mrrChange).toBe(c.mrrAfter - c.mrrBefore);
        expect(
          totalOf(after, c.currency).mrr - totalOf(before, c.currency).mrr,
        ).toBe(c.mrrChange);
        expect(
          totalOf(after, c.currency).pausedMrr -
            totalOf(before, c.currency).pausedMrr,
        ).toBe(c.pausedMrrAfter - c.pausedMrrBefore);
      }
    }
  });
});
