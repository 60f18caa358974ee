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
  /**
   * The subscriptions moved by the edits of this price that are not all
   * done yet (pending or failed ones, and the moves of the latest edit):
   * failed ones are retried by the billing reconcile until they are moved.
   */
  repricing: RepricingOutcome[];
}

/** What moving one subscription onto a new version of its price came to. */
export interface RepricingOutcome {
  priceId: string;
  fromVersion: number;
  toVersion: number;
  tenant: string;
  tenantRef: string;
  partnerRef?: string;
  /** The Stripe subscription moved (absent while Stripe is not connected). */
  subscriptionId?: string;
  outcome: 'pending' | 'moved' | 'failed';
  /** Why the last attempt failed. */
  error?: string;
  attempts: number;
  updatedAt: string;
}

/**
 * `GET /api/billing/prices/:id/impact?perSeatAmount=N`: what an edit of the
 * amount would change — the live subscriptions (active or paused) it moves
 * and their MRR before and after, per currency (a price row has one
 * currency; the list shape keeps sums per currency everywhere).
 */
export interface PriceImpact {
  priceId: string;
  version: number;
  perSeatAmount: number;
  newPerSeatAmount: number;
  /** Live subscriptions on this price: exactly those an edit moves. */
  subscriptions: number;
  perCurrency: Array<{
    currency: string;
    subscriptions: number;
    mrrBefore: number;
    mrrAfter: number;
    /** mrrAfter − mrrBefore (minor units, may be negative). */
    mrrChange: number;
    pausedMrrBefore: number;
    pausedMrrAfter: number;
  }>;
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
  /** The tenant's Stripe customer and subscription as last seen (absent before). */
  stripe?: StripeLink;
  updatedAt: string;
}

/** A tenant's Stripe objects, as billing last saw them. */
export interface StripeLink {
  customerId?: string;
  subscriptionId?: string;
  /** The subscription's one item (seats × price). */
  itemId?: string;
  /** The Stripe price the item is on. */
  priceId?: string;
  /** Stripe's subscription status (`active`, `past_due`, `canceled`…). */
  status?: string;
  /** Whether collection is paused (`pause_collection` set). */
  collectionPaused?: boolean;
  quantity?: number;
  currentPeriodStart?: string;
  currentPeriodEnd?: string;
  /** When billing last compared the tenant with Stripe. */
  syncedAt?: string;
}

/** An invoice, mirrored from Stripe's webhook events. Amounts in minor units of `currency`. */
export interface Invoice {
  id: string;
  tenant?: string;
  tenantRef?: string;
  partnerRef?: string;
  customerId: string;
  subscriptionId?: string;
  /** Set once finalized. */
  number?: string;
  status: 'draft' | 'open' | 'paid' | 'uncollectible' | 'void';
  currency: string;
  total: number;
  amountDue: number;
  amountPaid: number;
  amountRemaining: number;
  periodStart?: string;
  periodEnd?: string;
  dueDate?: string;
  /** Set once finalized. */
  hostedInvoiceUrl?: string;
  invoicePdf?: string;
  billingReason?: string;
  createdAt: string;
  updatedAt: string;
}

/** `GET /api/billing/invoices`, `GET /api/billing/tenants/:name/invoices`. */
export interface InvoiceList {
  items: Invoice[];
  total: number;
}

/** A webhook event as received (`GET /api/billing/stripe/events`). */
export interface StripeEventRecord {
  id: string;
  type: string;
  objectId?: string;
  tenantRef?: string;
  partnerRef?: string;
  /** The event's `created` (ISO 8601). */
  createdAt: string;
  receivedAt: string;
  /** applied; stale (older than the state it would overwrite); ignored (not handled, or no tenant). */
  outcome: 'applied' | 'stale' | 'ignored';
  message?: string;
}

/** `GET /api/billing/stripe/events`. */
export interface StripeEventList {
  items: StripeEventRecord[];
  total: number;
}

/** `GET /api/billing/status`: whether live Stripe calls are on. */
export interface BillingStatus {
  stripe: {
    /** `billing.stripe.enabled` and a secret key: live calls are made. */
    connected: boolean;
    /** `sk_live_…` keys: real money. */
    livemode: boolean;
    /** For people: why it is (not) connected. */
    message: string;
  };
  /** The flag that decides per tenant whether the engine bills it. */
  flag: string;
}

/** `POST /api/billing/reconcile`: what one billing reconcile did. */
export interface ReconcileSummary {
  tenants: number;
  inSync: number;
  outOfSync: number;
  repricingMoved: number;
  repricingFailed: number;
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

/** A day of MRR history (`GET /api/billing/snapshots/days`). */
export interface SnapshotDay {
  /** UTC day, YYYY-MM-DD. */
  day: string;
  /** When it was last taken (the day's final snapshot once the day is over). */
  takenAt: string;
  /** Tenants in the snapshot. */
  tenants: number;
}

/** `open` (current month) → `closed` (month over, frozen) → `paid`. */
export type PayoutState = 'open' | 'closed' | 'paid';

/** The payout states, in order. */
export const PAYOUT_STATES: readonly PayoutState[] = ['open', 'closed', 'paid'];

/**
 * A partner's payout for one month in one currency: gross MRR of its
 * tenants' active subscriptions in the month's final snapshot × marginPct ÷
 * 100, rounded half up once (minor units).
 */
export interface Payout {
  id: string;
  partnerRef: string;
  /** YYYY-MM. */
  month: string;
  currency: string;
  grossMrr: number;
  /** The margin as a decimal string, e.g. "12.5". */
  marginPct: string;
  amount: number;
  state: PayoutState;
  /** The snapshot day the figures come from. */
  snapshotDay: string;
  generatedAt: string;
  closedAt?: string;
  /** YYYY-MM-DD. */
  paidOn?: string;
  paidReference?: string;
  paidBy?: string;
}

/** `POST /api/billing/payouts/generate`: what a generation did, over every month it touched. */
export interface PayoutGeneration {
  /** The month generated, YYYY-MM. */
  month: string;
  /** The snapshot day its figures come from. */
  snapshotDay: string;
  /** Earlier months closed on the way. */
  closedMonths: string[];
  created: number;
  changed: number;
  closed: number;
}

/** `GET /api/billing/payouts`. */
export interface PayoutList {
  items: Payout[];
  total: number;
}
