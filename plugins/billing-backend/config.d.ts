export interface Config {
  /** Billing (docs/billing.md). */
  billing?: {
    /** The cycle tenants are billed in: `monthly` (default) or `yearly`. */
    defaultCycle?: 'monthly' | 'yearly';
    /**
     * Prices a fresh database starts with: seeded once, only into an empty
     * price catalog (development; production seeds none).
     */
    seedPrices?: Array<{
      plan: string;
      /** ISO 4217, upper case. */
      currency: string;
      cycle: 'monthly' | 'yearly';
      /** Per seat and cycle, in minor units (cents). */
      perSeatAmount: number;
    }>;
  };
}
