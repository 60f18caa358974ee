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
