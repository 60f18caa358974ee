import { LoggerService } from '@backstage/backend-plugin-api';
import { AuditTrailService } from '@internal/plugin-audit-node';
import {
  monthlyRecurring,
  Price,
  PriceImpact,
  RepricingOutcome,
} from '@internal/plugin-billing-common';
import { RepricingStore } from '../database/RepricingStore';
import { TenantBillingStore } from '../database/TenantBillingStore';
import { BillingEngine, stripeErrorMessage } from './BillingEngine';

/**
 * Moving live subscriptions onto a new version of their price
 * (docs/billing.md#re-pricing): the impact preview before an edit, then,
 * after it, every live subscription on the row moved — in Stripe onto the
 * version's new Stripe price with `proration_behavior: none` (effective
 * from their next cycle), and its local record (per-seat amount, MRR) —
 * with an outcome per subscription. Failed moves stay listed and are tried
 * again by the billing reconcile until they succeed.
 */
export class Repricer {
  constructor(
    private readonly deps: {
      tenants: TenantBillingStore;
      outcomes: RepricingStore;
      engine: BillingEngine;
      trail: AuditTrailService;
      logger: LoggerService;
      now?: () => Date;
    },
  ) {}

  private now() {
    return (this.deps.now?.() ?? new Date()).toISOString();
  }

  /** What changing the row's amount to `newAmount` would move, and the MRR before and after, per currency. */
  async impact(price: Price, newAmount: number): Promise<PriceImpact> {
    const live = await this.deps.tenants.liveOnPrice(price.id);
    const perCurrency = new Map<string, PriceImpact['perCurrency'][number]>();
    for (const r of live) {
      const currency = r.currency!;
      let c = perCurrency.get(currency);
      if (!c) {
        c = {
          currency,
          subscriptions: 0,
          mrrBefore: 0,
          mrrAfter: 0,
          mrrChange: 0,
          pausedMrrBefore: 0,
          pausedMrrAfter: 0,
        };
        perCurrency.set(currency, c);
      }
      const after = monthlyRecurring(newAmount, r.seats, r.cycle!);
      c.subscriptions += 1;
      if (r.status === 'active') {
        c.mrrBefore += r.mrr;
        c.mrrAfter += after;
      } else {
        c.pausedMrrBefore += r.pausedMrr;
        c.pausedMrrAfter += after;
      }
      c.mrrChange = c.mrrAfter - c.mrrBefore;
    }
    return {
      priceId: price.id,
      version: price.version,
      perSeatAmount: price.perSeatAmount,
      newPerSeatAmount: newAmount,
      subscriptions: live.length,
      perCurrency: [...perCurrency.values()].sort((a, b) =>
        a.currency < b.currency ? -1 : 1,
      ),
    };
  }

  /**
   * After an edit made `updated` (from `previous`): archives the replaced
   * Stripe price, records every live subscription on the row as to be
   * moved, and moves them. Resolves with the outcomes of this edit.
   */
  async afterEdit(previous: Price, updated: Price): Promise<void> {
    const { tenants, outcomes, engine, logger } = this.deps;
    const live = (await tenants.liveOnPrice(updated.id)).filter(
      r => (r.priceVersion ?? 0) < updated.version,
    );
    await outcomes.begin(
      updated.id,
      updated.version,
      live.map(r => ({
        tenant: r.tenant,
        tenantRef: r.tenantRef,
        ...(r.partnerRef ? { partnerRef: r.partnerRef } : {}),
        fromVersion: r.priceVersion!,
        ...(r.stripe?.subscriptionId
          ? { subscriptionId: r.stripe.subscriptionId }
          : {}),
      })),
      this.now(),
    );
    if (previous.stripePriceId) {
      try {
        await engine.archivePrice(previous.stripePriceId);
      } catch (err) {
        // the old price keeps billing the subscriptions on it either way;
        // a price left active in Stripe only means it could still be chosen there
        logger.warn(
          `billing: could not archive Stripe price ${
            previous.stripePriceId
          }: ${stripeErrorMessage(err)}`,
        );
      }
    }
    await this.run(updated.id);
  }

  /** Tries every move not done yet (of one price, or all); how many moved and failed. */
  async run(priceId?: string): Promise<{ moved: number; failed: number }> {
    const open = await this.deps.outcomes.open(priceId);
    let moved = 0;
    let failed = 0;
    for (const o of open) {
      const result = await this.moveOne(o);
      if (result === 'moved') moved += 1;
      if (result === 'failed') failed += 1;
    }
    return { moved, failed };
  }

  private async moveOne(
    o: RepricingOutcome,
  ): Promise<'moved' | 'failed' | 'dropped'> {
    const { tenants, outcomes, engine } = this.deps;
    const record = await tenants.get(o.tenantRef);
    const price = record?.priceId === o.priceId;
    if (!record || !price) {
      await outcomes.drop(o); // it left this price: nothing to move
      return 'dropped';
    }
    if ((record.priceVersion ?? 0) >= o.toVersion) {
      await outcomes.settle(o, { outcome: 'moved' }, this.now());
      return 'moved';
    }
    const perSeatAmount = await this.amountOf(o);
    try {
      const done = await engine.reprice(o.tenantRef, {
        priceId: o.priceId,
        fromVersion: record.priceVersion!,
        toVersion: o.toVersion,
        perSeatAmount,
      });
      if (!done) {
        // changed between the read and the move: the next run looks again
        return 'failed';
      }
      await outcomes.settle(o, { outcome: 'moved' }, this.now());
      await this.audit(o, record.tenant, 'billing.subscription.repriced', {
        fromVersion: record.priceVersion,
        toVersion: o.toVersion,
        perSeatAmount,
        attempts: o.attempts + 1,
      });
      return 'moved';
    } catch (err) {
      const error = stripeErrorMessage(err);
      await outcomes.settle(o, { outcome: 'failed', error }, this.now());
      await this.audit(
        o,
        record.tenant,
        'billing.subscription.repriced',
        { toVersion: o.toVersion, error, attempts: o.attempts + 1 },
        'failure',
      );
      return 'failed';
    }
  }

  private async amountOf(o: RepricingOutcome): Promise<number> {
    const v = await this.deps.engine.priceVersion(o.priceId, o.toVersion);
    return v.perSeatAmount;
  }

  private async audit(
    o: RepricingOutcome,
    name: string,
    action: string,
    metadata: Record<string, unknown>,
    outcome: 'success' | 'failure' = 'success',
  ) {
    await this.deps.trail.record([
      {
        at: this.now(),
        actor: { type: 'service', ref: 'plugin:billing' },
        action,
        outcome,
        resource: { type: 'billing-subscription', ref: o.tenantRef, name },
        tenant: o.tenantRef,
        ...(o.partnerRef ? { partner: o.partnerRef } : {}),
        source: 'billing',
        metadata: { priceId: o.priceId, ...metadata },
      },
    ]);
  }
}
