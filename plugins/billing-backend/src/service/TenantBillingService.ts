import { Entity } from '@backstage/catalog-model';
import { NotFoundError } from '@backstage/errors';
import { AuditTrailService } from '@internal/plugin-audit-node';
import {
  BillingConditionKind,
  MrrReport,
  TenantBilling,
  TenantBillingList,
} from '@internal/plugin-billing-common';
import { PermissionCriteria } from '@backstage/plugin-permission-common';
import { PartnerScopeQuery } from '@internal/plugin-dezky-node';
import { LifecycleEvent } from '@internal/plugin-provisioning-common';
import { TenantBillingStore } from '../database/TenantBillingStore';
import {
  applyLifecycleEvent,
  BillingContext,
  BillingRecord,
} from './tenantBilling';

/** What a caller may see: everything, or the tenants these criteria allow. */
export type BillingScope = PermissionCriteria<PartnerScopeQuery> | undefined;

/** The audit action of a change of a tenant's subscription record, if it changed. */
function actionOf(
  prev: BillingRecord | undefined,
  next: BillingRecord,
): string | undefined {
  const was = prev?.status;
  const is = next.status;
  if (was !== is) {
    if (is === 'active')
      return was === 'paused'
        ? 'billing.subscription.resumed'
        : 'billing.subscription.created';
    if (is === 'paused') return 'billing.subscription.paused';
    if (is === 'canceled') return 'billing.subscription.canceled';
  }
  if (
    prev &&
    (prev.seats !== next.seats ||
      prev.priceId !== next.priceId ||
      prev.priceVersion !== next.priceVersion)
  ) {
    return 'billing.subscription.updated';
  }
  if (prev?.condition.kind !== next.condition.kind) {
    return 'billing.condition.changed';
  }
  return undefined;
}

export const publicRecord = ({
  lifecycle,
  activated,
  stripeGeneration,
  paymentFailedInvoice,
  ...billing
}: BillingRecord): TenantBilling => billing;

/**
 * Each tenant's billing from its lifecycle events: the local subscription
 * record (the source of truth for MRR), its condition, and the MRR sums.
 * Every change is audited (`billing.subscription.*`) before it is stored,
 * under the event's id, so a redelivered event is neither applied nor
 * audited twice.
 */
export class TenantBillingService {
  constructor(
    private readonly deps: {
      store: TenantBillingStore;
      context: {
        resolve(
          event: LifecycleEvent,
          cache?: Map<string, Promise<Entity | undefined>>,
        ): Promise<BillingContext>;
      };
      trail: AuditTrailService;
      now?: () => Date;
    },
  ) {}

  private now() {
    return (this.deps.now?.() ?? new Date()).toISOString();
  }

  /** Applies one lifecycle event (a repeat changes nothing). */
  async handle(event: LifecycleEvent): Promise<void> {
    const { store, context } = this.deps;
    const ctx = await context.resolve(event);
    const now = this.now();
    const prev = await store.get(event.tenantRef);
    const next = applyLifecycleEvent(prev, event, ctx, now);
    const action = actionOf(prev, next);
    if (action) {
      await this.audit(action, next, now, {
        // one audit event per lifecycle event, also when it comes again
        externalId: `lifecycle:${event.id}`,
        metadata: { event: { id: event.id, type: event.type } },
      });
    }
    await store.applyEvent(
      event,
      p => applyLifecycleEvent(p, event, ctx, now),
      now,
    );
  }

  /**
   * Looks at a tenant again with what the catalog and the price catalog say
   * now (a partner's currency set later, billing details added, a price for
   * its plan created), as if its last lifecycle state were announced again;
   * a change is audited and stored. Resolves the record.
   */
  async refresh(
    tenantRef: string,
    cache?: Map<string, Promise<Entity | undefined>>,
  ): Promise<BillingRecord | undefined> {
    const { store, context } = this.deps;
    const prev = await store.get(tenantRef);
    if (!prev) return undefined;
    const event: LifecycleEvent = {
      id: `refresh:${tenantRef}`,
      seq: 0,
      type: prev.lifecycle === 'active' ? 'seatsChanged' : 'suspended',
      tenantRef,
      ...(prev.partnerRef ? { partnerRef: prev.partnerRef } : {}),
      at: this.now(),
      status: prev.lifecycle,
      plan: prev.plan,
      seats: prev.seats,
    };
    const now = this.now();
    const next = applyLifecycleEvent(
      prev,
      event,
      await context.resolve(event, cache),
      now,
    );
    const action = actionOf(prev, next);
    // a billed tenant's condition is the engine's (in sync with Stripe,
    // payment failed, out of sync): only a change of what is billed, or a
    // verdict that it is not billed, is stored here
    const billedAsBefore =
      next.condition.kind === 'in-sync' &&
      (action === undefined || action === 'billing.condition.changed');
    const sameVerdict =
      action === undefined && prev.condition.message === next.condition.message;
    if (billedAsBefore || sameVerdict) return prev;
    if (action) {
      await this.audit(action, next, now, {
        metadata: {
          reason: 'billing reconcile: the catalog or the prices changed',
        },
      });
    }
    await store.save(next);
    return next;
  }

  /** Audits a change of a tenant's record (what it bills now). */
  private async audit(
    action: string,
    next: BillingRecord,
    now: string,
    extra: { externalId?: string; metadata: Record<string, unknown> },
  ) {
    await this.deps.trail.record([
      {
        at: now,
        actor: { type: 'service', ref: 'plugin:billing' },
        action,
        outcome: 'success',
        resource: {
          type: 'billing-subscription',
          ref: next.tenantRef,
          name: next.tenant,
        },
        tenant: next.tenantRef,
        ...(next.partnerRef ? { partner: next.partnerRef } : {}),
        source: 'billing',
        ...(extra.externalId ? { externalId: extra.externalId } : {}),
        metadata: {
          ...extra.metadata,
          status: next.status ?? null,
          seats: next.seats,
          plan: next.plan,
          currency: next.currency ?? null,
          perSeatAmount: next.perSeatAmount ?? null,
          mrr: next.mrr,
          pausedMrr: next.pausedMrr,
          condition: next.condition,
        },
      },
    ]);
  }

  /** One tenant's record by name, in the caller's scope (404 otherwise). */
  async record(name: string, scope: BillingScope): Promise<BillingRecord> {
    const { items } = await this.deps.store.list({
      ...(scope ? { scope } : {}),
      names: [name],
      limit: 1,
    });
    if (!items[0]) throw new NotFoundError(`No billing for tenant ${name}`);
    return items[0];
  }

  /** Which of these tenants (by name) the scope lets the caller see. */
  async visible(names: string[], scope: BillingScope): Promise<Set<string>> {
    if (!scope) return new Set(names);
    const unique = [...new Set(names)];
    if (unique.length === 0) return new Set();
    const { items } = await this.deps.store.list({
      scope,
      names: unique,
      limit: unique.length,
    });
    return new Set(items.map(i => i.tenant));
  }

  async list(
    query: { condition?: BillingConditionKind; limit: number; offset: number },
    scope: BillingScope,
  ): Promise<TenantBillingList> {
    const { items, total } = await this.deps.store.list({
      ...(scope ? { scope } : {}),
      ...(query.condition ? { condition: query.condition } : {}),
      limit: query.limit,
      offset: query.offset,
    });
    return { items: items.map(publicRecord), total };
  }

  async get(name: string, scope: BillingScope): Promise<TenantBilling> {
    const { items } = await this.deps.store.list({
      ...(scope ? { scope } : {}),
      names: [name],
      limit: 1,
    });
    if (!items[0]) throw new NotFoundError(`No billing for tenant ${name}`);
    return publicRecord(items[0]);
  }

  mrr(scope: BillingScope): Promise<MrrReport> {
    return this.deps.store.mrr(scope);
  }
}
