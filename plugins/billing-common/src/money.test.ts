// a test-only, seeded random source (the repo's one); nothing of it ships
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import { seededRandom } from '@internal/dezky-test-utils';
import {
  BILLING_CYCLES,
  BillingCycle,
  formatMoney,
  isCurrency,
  MAX_PER_SEAT_MINOR,
  minorDigits,
  monthlyRecurring,
  MONTHS_PER_CYCLE,
  sumByCurrency,
} from './money';

describe('monthlyRecurring', () => {
  it.each<[number, number, BillingCycle, number]>([
    // perSeat, seats, cycle, MRR (minor units)
    [0, 10, 'monthly', 0],
    [999, 0, 'monthly', 0],
    [999, 1, 'monthly', 999],
    [999, 7, 'monthly', 6993],
    [999, 7, 'yearly', 583], // 6993 / 12 = 582.75
    [1200, 1, 'yearly', 100], // exact
    [6, 1, 'yearly', 1], // 0.5 → up
    [18, 1, 'yearly', 2], // 1.5 → up
    [5, 1, 'yearly', 0], // 0.4166… → down
    [7, 1, 'yearly', 1], // 0.5833… → up
    [11_990, 250, 'yearly', 249_792], // 2,997,500 / 12 = 249,791.67
    [MAX_PER_SEAT_MINOR, 1_000_000, 'monthly', 1e15],
  ])('%i × %i %s → %i', (perSeat, seats, cycle, mrr) => {
    expect(monthlyRecurring(perSeat, seats, cycle)).toBe(mrr);
  });

  it.each([
    [9.99, 1],
    [-1, 1],
    [100, 2.5],
    [MAX_PER_SEAT_MINOR + 1, 1],
    [100, 1_000_001],
    [Number.NaN, 1],
  ])('refuses %p × %p (not whole minor units, or out of range)', (a, s) => {
    expect(() => monthlyRecurring(a, s, 'monthly')).toThrow(RangeError);
  });

  it('is a whole number, within half a minor unit of the exact value, rounding exact halves up (random cases)', () => {
    const random = seededRandom(20261207);
    for (let i = 0; i < 5000; i++) {
      const perSeat = random(200_000);
      const seats = random(5_000);
      const cycle = BILLING_CYCLES[random(BILLING_CYCLES.length)];
      const mrr = monthlyRecurring(perSeat, seats, cycle);
      const months = MONTHS_PER_CYCLE[cycle];
      const total = perSeat * seats;
      expect(Number.isSafeInteger(mrr)).toBe(true);
      // |mrr·months − total| ≤ months/2, and an exact half goes up
      const twice = 2 * (mrr * months - total);
      expect([
        perSeat,
        seats,
        cycle,
        twice <= months && twice > -months,
      ]).toEqual([perSeat, seats, cycle, true]);
    }
  });
});

describe('sumByCurrency', () => {
  it('sums each currency apart and never across', () => {
    expect(
      sumByCurrency([
        { amount: 100, currency: 'EUR' },
        { amount: 250, currency: 'CHF' },
        { amount: 1, currency: 'EUR' },
        { amount: 0, currency: 'JPY' },
      ]),
    ).toEqual({ EUR: 101, CHF: 250, JPY: 0 });
    expect(sumByCurrency([])).toEqual({});
  });

  it('refuses fractions and sums beyond the safe range', () => {
    expect(() => sumByCurrency([{ amount: 0.5, currency: 'EUR' }])).toThrow(
      RangeError,
    );
    expect(() =>
      sumByCurrency([
        { amount: Number.MAX_SAFE_INTEGER, currency: 'EUR' },
        { amount: 1, currency: 'EUR' },
      ]),
    ).toThrow(/EUR sum/);
  });

  it('equals the sum of any split of the items into groups, per currency (random cases)', () => {
    const random = seededRandom(7);
    const currencies = ['EUR', 'CHF', 'GBP', 'JPY'];
    for (let round = 0; round < 200; round++) {
      const items = Array.from({ length: random(60) }, () => ({
        amount: random(10_000_000),
        currency: currencies[random(currencies.length)],
        group: random(4),
      }));
      const whole = sumByCurrency(items);
      const parts = [0, 1, 2, 3].map(g =>
        sumByCurrency(items.filter(x => x.group === g)),
      );
      const recombined = sumByCurrency(
        parts.flatMap(p =>
          Object.entries(p).map(([currency, amount]) => ({ currency, amount })),
        ),
      );
      expect(recombined).toEqual(whole);
      for (const amount of Object.values(whole)) {
        expect(Number.isSafeInteger(amount)).toBe(true);
      }
    }
  });
});

describe('currencies', () => {
  it('knows ISO 4217 codes and their minor units', () => {
    expect(isCurrency('EUR')).toBe(true);
    expect(isCurrency('eur')).toBe(false);
    expect(isCurrency('XYZ')).toBe(false);
    expect(minorDigits('EUR')).toBe(2);
    expect(minorDigits('JPY')).toBe(0);
    expect(minorDigits('BHD')).toBe(3);
  });

  it.each([
    [{ amount: 123456, currency: 'EUR' }, 'en', '€1,234.56'],
    [{ amount: 123456, currency: 'EUR' }, 'de', '1.234,56 €'],
    [{ amount: 5, currency: 'EUR' }, 'en', '€0.05'],
    [{ amount: -5, currency: 'EUR' }, 'en', '-€0.05'],
    [{ amount: 1234, currency: 'JPY' }, 'en', '¥1,234'],
    [{ amount: 1234, currency: 'BHD' }, 'en', 'BHD 1.234'],
    [
      { amount: 900719925474099, currency: 'EUR' },
      'en',
      '€9,007,199,254,740.99',
    ],
  ])('formats %j in %s as %s', (money, locale, text) => {
    expect(formatMoney(money, locale).replace(/\u00a0/g, ' ')).toBe(text);
  });
});
