// a test-only, seeded random source (the repo's one)
import { seededRandom } from '@internal/dezky-test-utils';
import { accrues, marginString, payoutAmount } from './payouts';

/** The exact amount the long way: margin scaled to 10^-6, remainder compared. */
function exact(gross: bigint, margin: string): bigint {
  const [whole, frac = ''] = margin.split('.');
  const scaled = BigInt(whole) * 1_000_000n + BigInt(frac.padEnd(6, '0'));
  const num = gross * scaled;
  const den = 100n * 1_000_000n;
  const q = num / den;
  return (num % den) * 2n >= den ? q + 1n : q;
}

describe('payoutAmount', () => {
  it.each([
    // gross, margin, amount
    [0n, '0', 0n],
    [333n, '0', 0n],
    [333n, '12.5', 42n], // 41.625 → 42
    [1n, '12.5', 0n], // 0.125 → 0
    [4n, '12.5', 1n], // 0.5 → 1 (half up)
    [12n, '12.5', 2n], // 1.5 → 2
    [333n, '20', 67n], // 66.6 → 67
    [1n, '20', 0n], // 0.2 → 0
    [5n, '20', 1n],
    [333n, '100', 333n],
    [1n, '100', 1n],
    [1n, '50', 1n], // 0.5 → 1
    [3n, '50', 2n], // 1.5 → 2
    [999_999_999_999n, '12.5', 125_000_000_000n], // 124999999999.875 → up
    [9_007_199_254_740_993n, '33.3333', 3_002_396_749_180_579n], // beyond 2^53
    [100n, '0.0001', 0n],
    [5000n, '0.0001', 0n], // 0.005 → 0
    [500_000n, '0.0001', 1n], // 0.5 → 1
  ])('%p × %p %% = %p', (gross, margin, amount) => {
    expect(payoutAmount(gross, margin)).toBe(amount);
    expect(exact(gross, margin)).toBe(amount);
  });

  it('equals the exact rational amount rounded half up, and sums per currency add up (random cases)', () => {
    const random = seededRandom(20261208);
    const sums = new Map<string, bigint>();
    const expected = new Map<string, bigint>();
    for (let i = 0; i < 20_000; i++) {
      const gross = BigInt(random(1_000_000_000)) * BigInt(1 + random(1000));
      const whole = random(101);
      const margin =
        whole === 100 || random(2) === 0
          ? String(whole)
          : `${whole}.${String(random(10_000)).padStart(4, '0')}`.replace(
              /\.?0+$/,
              '',
            );
      const currency = ['EUR', 'CHF', 'JPY'][random(3)];
      const amount = payoutAmount(gross, margin);
      expect(amount).toBe(exact(gross, margin));
      expect(amount >= 0n && amount <= gross).toBe(true);
      sums.set(currency, (sums.get(currency) ?? 0n) + amount);
      expected.set(
        currency,
        (expected.get(currency) ?? 0n) + exact(gross, margin),
      );
    }
    expect(sums).toEqual(expected);
  });

  it('refuses what is not a margin', () => {
    expect(() => payoutAmount(1n, '1e2')).toThrow('not a margin');
    expect(() => payoutAmount(1n, '-1')).toThrow('not a margin');
    expect(() => payoutAmount(-1n, '10')).toThrow('below 0');
  });
});

describe('marginString', () => {
  it.each([
    [12.5, '12.5'],
    [0, '0'],
    [100, '100'],
    [20, '20'],
    [0.1, '0.1'],
    [33.3333, '33.3333'],
    [100.5, undefined],
    [-1, undefined],
    [1e-7, undefined],
    [12.34567, undefined],
    ['12.5', undefined],
    [undefined, undefined],
    [Number.NaN, undefined],
  ])('%p → %p', (value, text) => {
    expect(marginString(value)).toBe(text);
  });
});

describe('accrues', () => {
  const p = (status?: string, contractEndDate?: string) => ({
    partnerRef: 'partner:default/p',
    marginPct: '10',
    ...(status ? { status } : {}),
    ...(contractEndDate ? { contractEndDate } : {}),
  });
  it.each([
    [p('active'), '2030-01', true],
    [p('paused', '2026-01-15'), '2027-01', true],
    [p('terminated'), '2027-01', true],
    [p('terminated', '2026-10-15'), '2026-10', true],
    [p('terminated', '2026-10-15'), '2026-11', false],
    [p('terminated', '2026-10-31'), '2027-01', false],
  ])('%p in %p → %p', (partner, month, result) => {
    expect(accrues(partner, month)).toBe(result);
  });
});
