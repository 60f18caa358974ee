import {
  BillingCondition,
  BillingConditionKind,
  BillingCycle,
  monthlyRecurring,
  Price,
  SubscriptionStatus,
  TenantBilling,
} from '@internal/plugin-billing-common';
import {
  LifecycleEvent,
  TenantStatus,
} from '@internal/plugin-provisioning-common';

/** What billing keeps of a tenant (a `billing_tenants` row). */
export interface BillingRecord extends TenantBilling {
  /** The tenant's effective status as last announced. */
  lifecycle: TenantStatus;
  /** Whether the tenant was activated (nothing is billed before). */
  activated: boolean;
  /** How many Stripe subscriptions were created for it (the next one's idempotency key). */
  stripeGeneration?: number;
  /** The invoice whose payment failed (cleared when it is paid, voided or written off). */
  paymentFailedInvoice?: string;
}

/** What the catalog and the price catalog say about billing a tenant now. */
export interface BillingContext {
  /** The partner's `spec.billing.currency`, or the direct tenant's own. */
  currency?: string;
  /** A direct tenant without `spec.billing`. */
  missingDetails: boolean;
  cycle: BillingCycle;
  /** The price of the tenant's plan in that currency and cycle, if any. */
  price?: Price;
  /** Whether Stripe is connected (the engine then takes the record on). */
  stripeConnected?: boolean;
}

/** The subscription a tenant's lifecycle calls for. */
function statusFor(lifecycle: TenantStatus): SubscriptionStatus {
  switch (lifecycle) {
    case 'active':
      return 'active';
    case 'terminated':
      return 'canceled';
    default:
      return 'paused';
  }
}

/**
 * A tenant's billing record after one of its lifecycle events (pure):
 * - nothing is billed before `activated`;
 * - a tenant is billed when its plan has a price in its currency and
 *   cycle, it has seats, and — sold directly — it has billing details;
 * - the subscription is active while the tenant is, paused while it is
 *   suspended or terminating, canceled once terminated;
 * - the price is the current version of the row when the subscription
 *   starts or the plan changes, kept otherwise (a price edit moves
 *   subscriptions itself);
 * - MRR counts an active subscription, paused MRR a paused one.
 */
export function applyLifecycleEvent(
  prev: BillingRecord | undefined,
  event: LifecycleEvent,
  context: BillingContext,
  now: string,
): BillingRecord {
  const activated = prev?.activated === true || event.type === 'activated';
  const base = {
    tenant: event.tenantRef.replace(/^tenant:[^/]+\//, ''),
    tenantRef: event.tenantRef,
    ...(event.partnerRef ? { partnerRef: event.partnerRef } : {}),
    plan: event.plan,
    seats: event.seats,
    lifecycle: event.status,
    activated,
    updatedAt: now,
  };
  const condition = (
    kind: BillingConditionKind,
    message: string,
  ): BillingCondition => ({
    kind,
    message,
    since:
      prev?.condition.kind === kind && prev.condition.message === message
        ? prev.condition.since
        : now,
  });
  const unbilled = (kind: BillingConditionKind, message: string) => {
    const wasBilled = prev?.status === 'active' || prev?.status === 'paused';
    return {
      ...base,
      ...(wasBilled ? subscriptionOf(prev!, 'canceled') : {}),
      mrr: 0,
      pausedMrr: 0,
      condition: condition(kind, message),
    };
  };

  if (!activated) {
    return unbilled('not-billed', 'not activated yet');
  }
  if (context.missingDetails) {
    return unbilled(
      'missing-billing-details',
      'missing billing details: a tenant sold directly needs spec.billing',
    );
  }
  if (!context.currency) {
    return unbilled(
      'out-of-sync',
      'no billing currency: its partner has no spec.billing.currency',
    );
  }
  if (!context.price) {
    return unbilled(
      'not-billed',
      `no ${context.cycle} price for plan ${event.plan} in ${context.currency}`,
    );
  }
  if (event.seats < 1) return unbilled('not-billed', 'no seats');

  const status = statusFor(event.status);
  const open = prev?.status === 'active' || prev?.status === 'paused';
  const reprice =
    !open ||
    prev?.plan !== event.plan ||
    prev?.currency !== context.currency ||
    prev?.cycle !== context.cycle;
  const snapshot = reprice
    ? {
        currency: context.currency,
        cycle: context.cycle,
        priceId: context.price.id,
        priceVersion: context.price.version,
        perSeatAmount: context.price.perSeatAmount,
      }
    : {
        currency: prev!.currency!,
        cycle: prev!.cycle!,
        priceId: prev!.priceId!,
        priceVersion: prev!.priceVersion!,
        perSeatAmount: prev!.perSeatAmount!,
      };
  const mrr = monthlyRecurring(
    snapshot.perSeatAmount,
    event.seats,
    snapshot.cycle,
  );
  return {
    ...base,
    ...snapshot,
    status,
    mrr: status === 'active' ? mrr : 0,
    pausedMrr: status === 'paused' ? mrr : 0,
    condition:
      status === 'canceled'
        ? condition(
            'not-billed',
            'the tenant is terminated: its subscription is canceled',
          )
        : condition(
            'in-sync',
            context.stripeConnected
              ? 'billed: the subscription follows in Stripe'
              : 'billed locally (Stripe is not connected)',
          ),
  };
}

/** A record's subscription fields, in a status. */
function subscriptionOf(r: BillingRecord, status: SubscriptionStatus) {
  return {
    ...(r.currency ? { currency: r.currency } : {}),
    ...(r.cycle ? { cycle: r.cycle } : {}),
    ...(r.priceId ? { priceId: r.priceId } : {}),
    ...(r.priceVersion ? { priceVersion: r.priceVersion } : {}),
    ...(r.perSeatAmount !== undefined
      ? { perSeatAmount: r.perSeatAmount }
      : {}),
    status,
  };
}
