/**
 * The payout rules (docs/billing.md#payouts-and-mrr-history), pure: the
 * amount of a payout row, the margin as a decimal string, months and days
 * in UTC, and whether a partner accrues in a month.
 */

/** A margin: 0–100 with up to 4 decimals, as a decimal string ("12.5"). */
const MARGIN = /^(\d{1,3})(?:\.(\d{1,4}))?$/;

/**
 * The catalog's `spec.marginPct` as the decimal string payouts store, or
 * undefined if it is not a number from 0 to 100 with at most 4 decimals.
 * `String()` of a JavaScript number is its shortest exact decimal form, so
 * 12.5 is "12.5" and 0.1 is "0.1" (never 0.1000000000000000055…).
 */
export function marginString(value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  const text = String(value);
  const m = MARGIN.exec(text);
  if (!m || value < 0 || value > 100) return undefined;
  return text;
}

/**
 * The payout amount in minor units: `gross × margin ÷ 100`, rounded half
 * up, once, with exact integer arithmetic on the decimal margin
 * (12.5 % of 333 = 41.625 → 42; 50 % of 1 = 0.5 → 1).
 */
export function payoutAmount(grossMrr: bigint, marginPct: string): bigint {
  const m = MARGIN.exec(marginPct);
  if (!m) throw new Error(`not a margin: ${marginPct}`);
  if (grossMrr < 0n) throw new Error(`gross MRR below 0: ${grossMrr}`);
  const decimals = m[2] ?? '';
  const numerator = BigInt(`${m[1]}${decimals}`);
  const denominator = 100n * 10n ** BigInt(decimals.length);
  return (2n * grossMrr * numerator + denominator) / (2n * denominator);
}

/** The UTC day of an instant, YYYY-MM-DD. */
export const dayOf = (at: Date): string => at.toISOString().slice(0, 10);

/** The month of a day or instant, YYYY-MM. */
export const monthOf = (day: string): string => day.slice(0, 7);

/** The first and the last possible day of a month (for `day BETWEEN`). */
export const monthDays = (month: string): [string, string] => [
  `${month}-01`,
  `${month}-31`,
];

/** A month's catalog terms for a partner, as payouts read them. */
export interface PartnerTerms {
  /** Lower-case entity ref, e.g. partner:default/nord. */
  partnerRef: string;
  /** Undefined when the catalog's marginPct is missing or invalid. */
  marginPct?: string;
  status?: string;
  /** `spec.contract.endDate`, YYYY-MM-DD. */
  contractEndDate?: string;
}

/**
 * Whether a partner accrues a payout in `month`: a terminated partner with
 * a contract end date accrues nothing after the month of that date; every
 * other partner (active, paused, terminated without an end date) accrues.
 */
export function accrues(partner: PartnerTerms, month: string): boolean {
  if (partner.status !== 'terminated' || !partner.contractEndDate) return true;
  return month <= monthOf(partner.contractEndDate);
}
