import { LoggerService } from '@backstage/backend-plugin-api';
import { AuditTrailService } from '@internal/plugin-audit-node';
import { BillingConditionKind } from '@internal/plugin-billing-common';
import { FlagsService } from '@internal/plugin-flags-node';
import Stripe from 'stripe';
import { PriceStore } from '../database/PriceStore';
import {
  StripePatch,
  TenantBillingStore,
} from '../database/TenantBillingStore';
import { BILLING_ENGINE_FLAG, StripeConnection } from './stripeClient';
import { BillingRecord } from './tenantBilling';

/** What one sync of a tenant came to. */
export type SyncOutcome = 'in-sync' | 'out-of-sync' | 'skipped';

/** A price version's move, for {@link BillingEngine.reprice}. */
export interface PriceMove {
  priceId: string;
  fromVersion: number;
  toVersion: number;
  perSeatAmount: number;
}

/** The message of a failed Stripe call, for people (and the condition). */
export function stripeErrorMessage(err: unknown): string {
  if (err instanceof Stripe.errors.StripeError) {
    const status = err.statusCode ? ` (HTTP ${err.statusCode})` : '';
    if (err.type === 'StripeConnectionError') {
      return `Stripe cannot be reached: ${err.message}`;
    }
    return `Stripe answered ${err.type}${status}: ${err.message}`;
  }
  return err instanceof Error ? err.message : String(err);
}

const iso = (unix: number | null | undefined) =>
  typeof unix === 'number' ? new Date(unix * 1000).toISOString() : null;

/** What billing keeps of a Stripe subscription (the mirror columns). */
function mirror(sub: Stripe.Subscription): StripePatch {
  const item = sub.items.data[0];
  return {
    subscriptionId: sub.id,
    itemId: item?.id ?? null,
    priceId: item?.price.id ?? null,
    quantity: item?.quantity ?? null,
    status: sub.status,
    collectionPaused: sub.pause_collection !== null,
    currentPeriodStart: iso(item?.current_period_start),
    currentPeriodEnd: iso(item?.current_period_end),
  };
}

const customerOf = (sub: Stripe.Subscription) =>
  typeof sub.customer === 'string' ? sub.customer : sub.customer.id;

/**
 * Makes Stripe match each tenant's local subscription record (the source of
 * truth) — docs/billing.md#stripe:
 * - a billed tenant (active or paused record) gets one Stripe customer
 *   (metadata: its entity ref) and one `send_invoice` subscription at the
 *   Stripe price of its record's price version, quantity = seats; creates
 *   carry idempotency keys derived from the tenant and the action (the
 *   subscription's from how many it had), so a retry never makes a second;
 * - what differs is fixed: quantity and price (`proration_behavior: none`:
 *   effective from the next cycle), collection paused while the record is
 *   paused (`pause_collection[behavior]=void`) and resumed after;
 * - a canceled record cancels its Stripe subscription;
 * - Stripe failing never blocks anything: the tenant's billing condition
 *   says out of sync and why, and the billing reconcile tries again.
 * Only with Stripe connected, and only for tenants the flag
 * `new_billing_engine` is on for. One sync per tenant at a time (in this
 * process; across processes the idempotency keys keep creates single).
 */
export class BillingEngine {
  private readonly running = new Map<string, Promise<unknown>>();

  constructor(
    private readonly deps: {
      store: TenantBillingStore;
      prices: PriceStore;
      stripe: StripeConnection;
      flags: Pick<FlagsService, 'isEnabled'>;
      trail: AuditTrailService;
      logger: LoggerService;
      now?: () => Date;
    },
  ) {}

  /** Whether live Stripe calls are made at all. */
  get connected(): boolean {
    return this.deps.stripe.client !== undefined;
  }

  private now() {
    return (this.deps.now?.() ?? new Date()).toISOString();
  }

  /** Runs `fn` after whatever runs for this tenant now. */
  private serialize<T>(tenantRef: string, fn: () => Promise<T>): Promise<T> {
    const before = this.running.get(tenantRef) ?? Promise.resolve();
    const run = before.catch(() => undefined).then(fn);
    const tail = run.catch(() => undefined);
    this.running.set(tenantRef, tail);
    tail.then(() => {
      if (this.running.get(tenantRef) === tail) this.running.delete(tenantRef);
    });
    return run;
  }

  /** Whether the engine bills this tenant through Stripe (connected, and the flag on). */
  async bills(tenantRef: string): Promise<boolean> {
    if (!this.connected) return false;
    return this.deps.flags.isEnabled(BILLING_ENGINE_FLAG, tenantRef);
  }

  /** Compares one tenant with Stripe and fixes what differs. */
  sync(tenantRef: string): Promise<SyncOutcome> {
    if (!this.connected) return Promise.resolve('skipped');
    return this.serialize(tenantRef, () => this.syncNow(tenantRef));
  }

  private async syncNow(tenantRef: string): Promise<SyncOutcome> {
    const { store } = this.deps;
    const record = await store.get(tenantRef);
    if (!record) return 'skipped';
    const billed = record.status === 'active' || record.status === 'paused';
    const openInStripe =
      record.stripe?.subscriptionId !== undefined &&
      record.stripe.status !== 'canceled';
    // every activated tenant is a Stripe customer (also on a free plan);
    // a terminated one never becomes one
    const wantsCustomer =
      record.activated &&
      record.lifecycle !== 'terminated' &&
      !record.stripe?.customerId;
    if (!billed && !openInStripe && !wantsCustomer) return 'skipped';
    if (!(await this.deps.flags.isEnabled(BILLING_ENGINE_FLAG, tenantRef))) {
      if (billed) {
        await this.setCondition(
          record,
          'not-billed',
          `not billed through Stripe: the flag ${BILLING_ENGINE_FLAG} is off for this tenant (its MRR is kept locally)`,
        );
      }
      return 'skipped';
    }
    try {
      if (billed) await this.ensureBilled(record);
      else if (openInStripe) await this.ensureCanceled(record);
      else await this.ensureCustomer(record);
      await store.updateStripe(tenantRef, { syncedAt: this.now() });
      if (billed) {
        const fresh = (await store.get(tenantRef))!;
        if (fresh.paymentFailedInvoice) {
          await this.setCondition(
            fresh,
            'payment-failed',
            `the payment of invoice ${fresh.paymentFailedInvoice} failed`,
          );
        } else {
          await this.setCondition(fresh, 'in-sync', 'in sync with Stripe');
        }
      }
      return 'in-sync';
    } catch (err) {
      const message = stripeErrorMessage(err);
      this.deps.logger.warn(
        `billing: ${tenantRef} is out of sync with Stripe: ${message}`,
      );
      // a tenant not billed keeps its verdict (why it is not billed); the
      // reconcile makes its customer when Stripe answers again
      if (billed || openInStripe) {
        await this.setCondition(
          (await store.get(tenantRef)) ?? record,
          'out-of-sync',
          `out of sync with Stripe: ${message} (the billing reconcile tries again)`,
        );
      }
      return 'out-of-sync';
    }
  }

  /**
   * Moves a tenant's subscription onto a new version of its price: in
   * Stripe first (when the engine bills the tenant and it has a
   * subscription; `proration_behavior: none`), then the local record.
   * Throws when Stripe refuses (the caller records the failure).
   * Returns false when the record is no longer on `fromVersion`.
   */
  reprice(tenantRef: string, move: PriceMove): Promise<boolean> {
    return this.serialize(tenantRef, async () => {
      const { store } = this.deps;
      const record = await store.get(tenantRef);
      if (
        !record ||
        record.priceId !== move.priceId ||
        record.priceVersion !== move.fromVersion
      ) {
        return false;
      }
      const subscriptionId = record.stripe?.subscriptionId;
      if (
        subscriptionId &&
        record.stripe?.status !== 'canceled' &&
        (await this.bills(tenantRef))
      ) {
        const client = this.deps.stripe.client!;
        const price = await this.ensurePrice(move.priceId, move.toVersion);
        const sub = await client.subscriptions.retrieve(subscriptionId);
        const item = sub.items.data[0];
        if (item && item.price.id !== price) {
          const updated = await client.subscriptions.update(subscriptionId, {
            items: [{ id: item.id, price }],
            proration_behavior: 'none',
          });
          await store.updateStripe(tenantRef, mirror(updated));
        }
      }
      return store.movePrice(tenantRef, move, this.now());
    });
  }

  /** Archives a Stripe price (a replaced version: Stripe prices are immutable). */
  async archivePrice(stripePriceId: string): Promise<void> {
    const client = this.deps.stripe.client;
    if (!client) return;
    await client.prices.update(stripePriceId, { active: false });
  }

  /** One version of a price row; throws when there is none. */
  async priceVersion(priceId: string, version: number) {
    const v = await this.deps.prices.version(priceId, version);
    if (!v) throw new Error(`price ${priceId} has no version ${version}`);
    return v;
  }

  /**
   * The Stripe price of a version of a price row, minted (with the row's
   * product) the first time it is needed.
   */
  async ensurePrice(priceId: string, version: number): Promise<string> {
    const { prices } = this.deps;
    const client = this.deps.stripe.client!;
    const v = await this.priceVersion(priceId, version);
    if (v.stripePriceId) return v.stripePriceId;
    let product = v.stripeProductId;
    if (!product) {
      product = (
        await client.products.create(
          {
            name: `Dezky ${v.plan} (${v.currency}, ${v.cycle})`,
            metadata: { plan: v.plan, priceRow: priceId },
          },
          { idempotencyKey: `dezky-product-${priceId}` },
        )
      ).id;
      await prices.setStripeProduct(priceId, product);
    }
    const created = await client.prices.create(
      {
        product,
        currency: v.currency.toLowerCase(),
        unit_amount: v.perSeatAmount,
        recurring: { interval: v.cycle === 'yearly' ? 'year' : 'month' },
        nickname: `${v.plan} ${v.currency} ${v.cycle} v${version}`,
        metadata: { priceRow: priceId, version: String(version) },
      },
      { idempotencyKey: `dezky-price-${priceId}-v${version}` },
    );
    await prices.setStripePrice(priceId, version, created.id);
    await this.audit('billing.stripe.price.created', {
      type: 'billing-price',
      ref: priceId,
      name: `${v.plan} ${v.currency} ${v.cycle}`,
      metadata: {
        version,
        stripePriceId: created.id,
        perSeatAmount: v.perSeatAmount,
      },
    });
    return created.id;
  }

  private async ensureBilled(record: BillingRecord): Promise<void> {
    const { store, stripe } = this.deps;
    const client = stripe.client!;
    const ref = record.tenantRef;
    const price = await this.ensurePrice(record.priceId!, record.priceVersion!);

    const customerId = await this.ensureCustomer(record);

    let sub: Stripe.Subscription | undefined;
    if (record.stripe?.subscriptionId) {
      sub = await client.subscriptions.retrieve(record.stripe.subscriptionId);
      if (sub.status === 'canceled' || sub.status === 'incomplete_expired') {
        // ended in Stripe while the tenant is billed: a new one follows
        sub = undefined;
      }
    }
    if (!sub) {
      const generation = (record.stripeGeneration ?? 0) + 1;
      sub = await client.subscriptions.create(
        {
          customer: customerId,
          items: [{ price, quantity: record.seats }],
          collection_method: 'send_invoice',
          days_until_due: stripe.daysUntilDue,
          metadata: { tenant: ref },
        },
        { idempotencyKey: `dezky-subscription-${ref}-${generation}` },
      );
      await store.updateStripe(ref, {
        customerId: customerOf(sub),
        ...mirror(sub),
        generation,
      });
      await this.auditTenant(record, 'billing.stripe.subscription.created', {
        subscriptionId: sub.id,
        stripePriceId: price,
        quantity: record.seats,
      });
    }

    const item = sub.items.data[0];
    const params: Stripe.SubscriptionUpdateParams = {};
    const changes: Record<string, unknown> = {};
    if (!item || item.price.id !== price || item.quantity !== record.seats) {
      params.items = [
        { ...(item ? { id: item.id } : {}), price, quantity: record.seats },
      ];
      params.proration_behavior = 'none';
      changes.stripePriceId = price;
      changes.quantity = record.seats;
      changes.before = {
        stripePriceId: item?.price.id,
        quantity: item?.quantity,
      };
    }
    const paused = record.status === 'paused';
    if (paused && sub.pause_collection === null) {
      params.pause_collection = { behavior: 'void' };
      changes.collection = 'paused';
    } else if (!paused && sub.pause_collection !== null) {
      params.pause_collection = '';
      changes.collection = 'resumed';
    }
    if (Object.keys(params).length > 0) {
      sub = await client.subscriptions.update(sub.id, params);
      await this.auditTenant(record, 'billing.stripe.subscription.updated', {
        subscriptionId: sub.id,
        ...changes,
      });
    }
    await store.updateStripe(ref, mirror(sub));
  }

  /** The tenant's Stripe customer (metadata: its entity ref), made once. */
  private async ensureCustomer(record: BillingRecord): Promise<string> {
    const existing = record.stripe?.customerId;
    if (existing) return existing;
    const ref = record.tenantRef;
    const customer = await this.deps.stripe.client!.customers.create(
      {
        name: record.tenant,
        metadata: {
          tenant: ref,
          ...(record.partnerRef ? { partner: record.partnerRef } : {}),
        },
      },
      { idempotencyKey: `dezky-customer-${ref}` },
    );
    await this.deps.store.updateStripe(ref, { customerId: customer.id });
    await this.auditTenant(record, 'billing.stripe.customer.created', {
      customerId: customer.id,
    });
    return customer.id;
  }

  private async ensureCanceled(record: BillingRecord): Promise<void> {
    const client = this.deps.stripe.client!;
    const id = record.stripe!.subscriptionId!;
    let sub = await client.subscriptions.retrieve(id);
    if (sub.status !== 'canceled') {
      sub = await client.subscriptions.cancel(id);
      await this.auditTenant(record, 'billing.stripe.subscription.canceled', {
        subscriptionId: id,
      });
    }
    await this.deps.store.updateStripe(record.tenantRef, mirror(sub));
  }

  private async setCondition(
    record: BillingRecord,
    kind: BillingConditionKind,
    message: string,
  ) {
    if (
      record.condition.kind === kind &&
      record.condition.message === message
    ) {
      return;
    }
    const now = this.now();
    if (record.condition.kind !== kind) {
      await this.auditTenant(record, 'billing.condition.changed', {
        from: record.condition.kind,
        to: kind,
        message,
      });
    }
    await this.deps.store.setCondition(
      record.tenantRef,
      { kind, message },
      now,
    );
  }

  private auditTenant(
    record: BillingRecord,
    action: string,
    metadata: Record<string, unknown>,
  ) {
    return this.audit(action, {
      type: 'billing-subscription',
      ref: record.tenantRef,
      name: record.tenant,
      tenant: record.tenantRef,
      ...(record.partnerRef ? { partner: record.partnerRef } : {}),
      metadata,
    });
  }

  private async audit(
    action: string,
    what: {
      type: string;
      ref: string;
      name: string;
      tenant?: string;
      partner?: string;
      metadata: Record<string, unknown>;
    },
  ) {
    await this.deps.trail.record([
      {
        at: this.now(),
        actor: { type: 'service', ref: 'plugin:billing' },
        action,
        outcome: 'success',
        resource: { type: what.type, ref: what.ref, name: what.name },
        ...(what.tenant ? { tenant: what.tenant } : {}),
        ...(what.partner ? { partner: what.partner } : {}),
        source: 'billing',
        metadata: what.metadata,
      },
    ]);
  }
}
