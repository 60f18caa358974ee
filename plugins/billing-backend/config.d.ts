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
    /**
     * Stripe (docs/billing.md#stripe). Without `enabled` and a secret key
     * billing is kept locally only ("Stripe is not connected").
     */
    stripe?: {
      /** `true` turns live Stripe calls on (a string from the environment is accepted). */
      enabled?: boolean | string;
      /**
       * The secret API key (`sk_test_…` / `sk_live_…`).
       * @visibility secret
       */
      secretKey?: string;
      /**
       * The webhook endpoint's signing secret (`whsec_…`).
       * @visibility secret
       */
      webhookSecret?: string;
      /** Another server speaking Stripe's API (the development stand-in); default api.stripe.com. */
      apiUrl?: string;
      /** `days_until_due` of the invoices of new subscriptions (default 14). */
      daysUntilDue?: number;
    };
    /** The billing reconcile. */
    reconcile?: {
      /** How often it runs (default 5 minutes), e.g. `{ minutes: 1 }`. */
      frequency?: { [unit: string]: number };
    };
    /** Each tenant's health (docs/reports.md#health). */
    health?: {
      /** How often it is refreshed (default 5 minutes), e.g. `{ minutes: 1 }`. */
      frequency?: { [unit: string]: number };
    };
  };
}
