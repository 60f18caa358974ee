import { BillingCycle } from './money';

/**
 * One row of the price catalog: what a seat of a plan costs in a currency
 * and cycle. An edit of the amount makes a new version of the row (Stripe
 * prices are immutable: each version has its own Stripe price).
 */
export interface Price {
  /** Stable across edits. */
  id: string;
  /** The plan key Tenant entities name in `spec.plan`. */
  plan: string;
  /** ISO 4217, upper case. */
  currency: string;
  cycle: BillingCycle;
  /** Per seat and cycle, in minor units. */
  perSeatAmount: number;
  /** Increases with every edit of the amount (1 when created). */
  version: number;
  /** The Stripe product and price of the current version (absent until Stripe is connected). */
  stripeProductId?: string;
  stripePriceId?: string;
  createdAt: string;
  updatedAt: string;
  /** Who made the current version (user entity ref). */
  updatedBy?: string;
}

/** An earlier version of a price row. */
export interface PriceVersion {
  version: number;
  perSeatAmount: number;
  stripePriceId?: string;
  /** When this version stopped being current. */
  replacedAt: string;
  replacedBy?: string;
}

/** `GET /api/billing/prices`. */
export interface PriceList {
  items: Price[];
}

/** `GET /api/billing/prices/:id`: the row and its earlier versions, newest first. */
export interface PriceDetail extends Price {
  history: PriceVersion[];
}

/** `POST /api/billing/prices`. */
export interface NewPrice {
  plan: string;
  currency: string;
  cycle: BillingCycle;
  perSeatAmount: number;
}

/** Where a tenant's subscription record stands. */
export type SubscriptionStatus = 'active' | 'paused' | 'canceled';

/**
 * A tenant's billing condition:
 * - `in-sync`: the subscription record matches the catalog (and Stripe, when connected);
 * - `out-of-sync`: something differs or could not be done (`message` says what);
 * - `not-billed`: nothing to bill (free plan — no price —, no seats, not activated yet);
 * - `missing-billing-details`: a direct tenant on a priced plan without `spec.billing`;
 * - `payment-failed`: its last invoice's payment failed.
 */
export type BillingConditionKind =
  | 'in-sync'
  | 'out-of-sync'
  | 'not-billed'
  | 'missing-billing-details'
  | 'payment-failed';

export const BILLING_CONDITION_KINDS: readonly BillingConditionKind[] = [
  'in-sync',
  'out-of-sync',
  'not-billed',
  'missing-billing-details',
  'payment-failed',
];

export interface BillingCondition {
  kind: BillingConditionKind;
  /** For people: why. */
  message: string;
  /** When it became this kind (ISO 8601). */
  since: string;
}

/**
 * A tenant's billing: its local subscription record (the source of truth
 * for MRR), as `GET /api/billing/tenants` lists it.
 */
export interface TenantBilling {
  /** `metadata.name`. */
  tenant: string;
  tenantRef: string;
  partnerRef?: string;
  plan: string;
  seats: number;
  /** The billing currency (the partner's, or the direct tenant's own). */
  currency?: string;
  cycle?: BillingCycle;
  /** The price row and version the record bills at. */
  priceId?: string;
  priceVersion?: number;
  /** Per seat and cycle at that version (minor units). */
  perSeatAmount?: number;
  /** Absent while nothing is billed. */
  status?: SubscriptionStatus;
  /** MRR in minor units: counted while active (0 otherwise). */
  mrr: number;
  /** MRR of a paused subscription (0 otherwise). */
  pausedMrr: number;
  condition: BillingCondition;
  updatedAt: string;
}

/** `GET /api/billing/tenants`. */
export interface TenantBillingList {
  items: TenantBilling[];
  total: number;
}

/** MRR of a set of tenants in one currency (minor units). */
export interface MrrTotal {
  currency: string;
  mrr: number;
  pausedMrr: number;
  /** Tenants with an active or paused subscription in this currency. */
  subscriptions: number;
}

/** `GET /api/billing/mrr`: per currency, never across currencies. */
export interface MrrReport {
  /** Every tenant in the caller's scope. */
  total: MrrTotal[];
  /** Per partner. */
  partners: Array<{ partnerRef: string; totals: MrrTotal[] }>;
  /** Tenants sold directly (operators only see these). */
  direct: MrrTotal[];
}
