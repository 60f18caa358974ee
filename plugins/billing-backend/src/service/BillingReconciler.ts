import { Entity } from '@backstage/catalog-model';
import { ReconcileSummary } from '@internal/plugin-billing-common';
import { TenantBillingStore } from '../database/TenantBillingStore';
import { BillingEngine } from './BillingEngine';
import { Repricer } from './Repricer';
import { TenantBillingService } from './TenantBillingService';
import { BillingRecord } from './tenantBilling';

/**
 * The billing reconcile (docs/billing.md#reconcile), on the scheduler and
 * on demand: for every tenant, the local record is looked at again with
 * the catalog and prices of now; re-pricing moves not done yet are tried
 * again; then every billed tenant (and every one with a Stripe
 * subscription) is compared with Stripe and what is missing or differs is
 * fixed — e.g. the customer and subscription of a tenant activated while
 * Stripe was down.
 */
export class BillingReconciler {
  constructor(
    private readonly deps: {
      store: TenantBillingStore;
      tenants: TenantBillingService;
      engine: BillingEngine;
      repricer: Repricer;
    },
  ) {}

  async reconcile(): Promise<ReconcileSummary> {
    const { store, tenants, engine, repricer } = this.deps;
    const refs = await store.allRefs();
    const cache = new Map<string, Promise<Entity | undefined>>();
    for (const ref of refs) await tenants.refresh(ref, cache);
    const repricing = await repricer.run();
    let inSync = 0;
    let outOfSync = 0;
    for (const ref of await store.reconcileCandidates()) {
      const outcome = await engine.sync(ref);
      if (outcome === 'in-sync') inSync += 1;
      if (outcome === 'out-of-sync') outOfSync += 1;
    }
    return {
      tenants: refs.length,
      inSync,
      outOfSync,
      repricingMoved: repricing.moved,
      repricingFailed: repricing.failed,
    };
  }

  /** Sync now: one tenant, looked at again and compared with Stripe. */
  async syncTenant(record: BillingRecord): Promise<void> {
    await this.deps.tenants.refresh(record.tenantRef);
    await this.deps.engine.sync(record.tenantRef);
  }
}
