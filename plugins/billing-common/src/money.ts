/**
 * Money in the portal: always a whole number of a currency's minor units
 * (cents for EUR, yen for JPY, fils for BHD), never a float, and only ever
 * added to money of the same currency (docs/billing.md#money).
 */

/** How a price recurs. */
export type BillingCycle = 'monthly' | 'yearly';

export const BILLING_CYCLES: readonly BillingCycle[] = ['monthly', 'yearly'];

/** Months per billing cycle (MRR divides by it). */
export const MONTHS_PER_CYCLE: Record<BillingCycle, number> = {
  monthly: 1,
  yearly: 12,
};

/** The largest per-seat amount the catalog takes (minor units): 10,000,000.00 of a 2-decimal currency. */
export const MAX_PER_SEAT_MINOR = 1_000_000_000;
/** The most seats a tenant can have. */
export const MAX_SEATS = 1_000_000;

/** An amount of one currency. */
export interface Money {
  /** Whole minor units. */
  amount: number;
  /** ISO 4217, upper case (`EUR`). */
  currency: string;
}

/** Whether a code is an ISO 4217 currency this runtime knows (upper case). */
export function isCurrency(code: string): boolean {
  return (
    /^[A-Z]{3}$/.test(code) &&
    (Intl.supportedValuesOf?.('currency') ?? []).includes(code)
  );
}

function assertMinor(name: string, value: number, max: number) {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new RangeError(
      `${name} must be a whole number from 0 to ${max} (got ${value})`,
    );
  }
}

/**
 * A tenant's monthly recurring revenue in minor units: the per-seat amount
 * × seats ÷ months per cycle, rounded half up once (an exact half goes up),
 * by integer arithmetic only. `perSeat` 999 (9.99 €) × 7 seats yearly =
 * 6993 ÷ 12 = 582.75 → 583.
 */
export function monthlyRecurring(
  perSeat: number,
  seats: number,
  cycle: BillingCycle,
): number {
  assertMinor('perSeat', perSeat, MAX_PER_SEAT_MINOR);
  assertMinor('seats', seats, MAX_SEATS);
  const months = MONTHS_PER_CYCLE[cycle];
  if (months === undefined) throw new RangeError(`unknown cycle ${cycle}`);
  // ≤ 1e15: exact in a double; half up: floor((2·total + months) / (2·months))
  const total = perSeat * seats;
  return Math.floor((2 * total + months) / (2 * months));
}

/**
 * Sums per currency: `{ EUR: 1200, CHF: 300 }`. Amounts of different
 * currencies are never added together; a sum beyond the safe integer range
 * throws rather than lose a cent.
 */
export function sumByCurrency(items: Iterable<Money>): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const { amount, currency } of items) {
    if (!Number.isSafeInteger(amount)) {
      throw new RangeError(
        `${currency} amount ${amount} is not a whole number`,
      );
    }
    const next = (sums[currency] ?? 0) + amount;
    if (!Number.isSafeInteger(next)) {
      throw new RangeError(`the ${currency} sum exceeds the safe range`);
    }
    sums[currency] = next;
  }
  return sums;
}

/** The number of decimals of a currency's minor unit (EUR 2, JPY 0, BHD 3). */
export function minorDigits(currency: string): number {
  return (
    new Intl.NumberFormat('en', {
      style: 'currency',
      currency,
    }).resolvedOptions().maximumFractionDigits ?? 2
  );
}

/** For people: `1.234,56 €` in `de`, `€1,234.56` in `en` (minor units in). */
export function formatMoney(
  { amount, currency }: Money,
  locale = 'en',
): string {
  const digits = minorDigits(currency);
  const abs = Math.abs(amount);
  const unit = 10 ** digits;
  const whole = Math.floor(abs / unit);
  const fraction = String(abs % unit).padStart(digits, '0');
  // a decimal string (Intl formats it exactly): no float touches the minor units
  const decimal = `${amount < 0 ? '-' : ''}${whole}${
    digits ? `.${fraction}` : ''
  }`;
  return new Intl.NumberFormat(locale, {
    style: 'currency',
    currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(decimal as unknown as number);
}
