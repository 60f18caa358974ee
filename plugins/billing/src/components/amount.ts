/*
 * Amounts as people type them ("11.90") and as the API takes them (whole
 * minor units, 1190), converted on the digits of the string: no float ever
 * holds an amount (docs/billing.md#money).
 */
import {
  MAX_PER_SEAT_MINOR,
  minorDigits,
} from '@internal/plugin-billing-common';

/** An amount read from what was typed: the minor units, or why not. */
export type ParsedAmount =
  | { ok: true; minor: number }
  | { ok: false; error: string };

/**
 * A decimal amount in a currency (`11.9`, `11.90`, `0.05`; `1234` yen;
 * `1.234` dinar) as whole minor units, by string arithmetic: the whole part
 * and the fraction padded to the currency's digits are joined, never
 * multiplied. Refuses more decimals than the currency has, signs,
 * exponents, separators and amounts above the catalog's limit.
 */
export function parseAmount(text: string, currency: string): ParsedAmount {
  const digits = minorDigits(currency);
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!match) {
    return {
      ok: false,
      error:
        digits > 0
          ? `an amount like 12.${'5'.padEnd(digits, '0')}`
          : 'a whole amount like 1200',
    };
  }
  const [, whole, fraction = ''] = match;
  if (fraction.length > digits) {
    return {
      ok: false,
      error:
        digits === 0
          ? `${currency} has no decimals`
          : `${currency} has ${digits} decimals at most`,
    };
  }
  const minorText = `${whole}${fraction.padEnd(digits, '0')}`.replace(
    /^0+(?=\d)/,
    '',
  );
  const minor = Number(minorText);
  if (
    minorText.length > String(MAX_PER_SEAT_MINOR).length ||
    minor > MAX_PER_SEAT_MINOR
  ) {
    return { ok: false, error: 'more than the catalog takes per seat' };
  }
  return { ok: true, minor };
}

/**
 * Whole minor units as the decimal a person would type (1190 EUR → `11.90`,
 * 1234 JPY → `1234`, 1234 BHD → `1.234`), by string arithmetic: for an
 * input's first value. Shown amounts go through `formatMoney`.
 */
export function amountInput(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  if (digits === 0) return String(minor);
  const text = String(minor).padStart(digits + 1, '0');
  return `${text.slice(0, -digits)}.${text.slice(-digits)}`;
}
