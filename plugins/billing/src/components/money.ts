import { formatMoney } from '@internal/plugin-billing-common';

/** An amount in minor units for people, always with its currency; `—` without one. */
export function moneyText(amount: number | undefined, currency?: string) {
  if (amount === undefined || !currency) return '—';
  return formatMoney({ amount, currency });
}
