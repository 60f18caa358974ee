import { PermissionCriteria } from '@backstage/plugin-permission-common';
import { PartnerScopeQuery } from '@internal/plugin-dezky-node';
import {
  PROVISIONING_STEPS,
  ProvisioningStep,
  ProvisioningSummary,
  ReconcileResult,
  StepCondition,
  StepDetail,
  StepStatus,
  TenantPhase,
  TenantStatus,
  TenantProvisioning,
  TenantProvisioningDetail,
  TenantProvisioningList,
} from '@internal/plugin-provisioning-common';
import {
  ProvisioningStore,
  StoredCondition,
  StoredTenant,
} from '../database/ProvisioningStore';
import { DesiredTenant, stepNeed } from '../engine/desired';
import { lifecycleMode, publicLifecycle } from '../engine/lifecycle';
import { ProvisioningEngine } from '../engine/ProvisioningEngine';

/** What a caller may see: everything, or the tenants these criteria allow. */
export type ProvisioningScope =
  | PermissionCriteria<PartnerScopeQuery>
  | undefined;

/** The filters of `GET /tenants`. */
export interface TenantQuery {
  phase?: TenantPhase;
  step?: ProvisioningStep;
  status?: StepStatus;
  lifecycle?: TenantStatus;
  tenants?: string[];
  limit: number;
  offset: number;
}

const lower = (s: string) => s.toLocaleLowerCase('en-US');

/** A condition as the API shows it (without the engine's bookkeeping). */
function publicCondition(c: StoredCondition): StepCondition {
  const { observed, createStartedAt, ...condition } = c;
  return condition;
}

/** The condition of a step the engine has not looked at yet. */
function notYet(step: ProvisioningStep, since: string): StepCondition {
  return {
    step,
    status: 'pending',
    reason: 'NotStarted',
    message: 'not worked yet',
    lastTransitionTime: since,
    attempts: 0,
  };
}

/** The fields of `desired` whose value differs in `observed`. */
export function differences(
  desired: Record<string, unknown> | undefined,
  observed: Record<string, unknown> | undefined,
): string[] {
  if (!desired) return [];
  if (!observed) return Object.keys(desired);
  const out = Object.keys(desired).filter(
    k => JSON.stringify(desired[k]) !== JSON.stringify(observed[k]),
  );
  if (observed.disabled === true && desired.suspended !== true) {
    out.push('disabled');
  }
  return out;
}

/** The provisioning API's logic: lists, details, summaries, reconcile on demand. */
export class ProvisioningService {
  constructor(
    private readonly deps: {
      store: ProvisioningStore;
      engine: ProvisioningEngine;
    },
  ) {}

  async list(
    query: TenantQuery,
    scope: ProvisioningScope,
  ): Promise<TenantProvisioningList> {
    const { items, total } = await this.deps.store.list({
      ...(scope ? { scope } : {}),
      ...(query.phase ? { phase: query.phase } : {}),
      ...(query.step ? { step: query.step } : {}),
      ...(query.status ? { status: query.status } : {}),
      ...(query.lifecycle ? { lifecycle: query.lifecycle } : {}),
      ...(query.tenants ? { names: query.tenants } : {}),
      limit: query.limit,
      offset: query.offset,
    });
    const conditions = await this.deps.store.conditions(
      items.map(t => t.tenantRef),
    );
    return {
      items: items.map(t =>
        this.summaryOf(t, conditions.get(t.tenantRef) ?? []),
      ),
      total,
    };
  }

  /** One tenant in detail, by name; undefined if unknown or not in scope. */
  async detail(
    name: string,
    scope: ProvisioningScope,
  ): Promise<TenantProvisioningDetail | undefined> {
    const tenant = await this.find(name, scope);
    if (!tenant) return undefined;
    return this.detailOf(tenant);
  }

  /**
   * Reconciles a tenant now (see `ProvisioningEngine.reconcileNow`);
   * undefined if unknown or not in `readScope`. `allowed` says whether the
   * caller may reconcile it (checked once the tenant is found).
   */
  async reconcile(
    name: string,
    readScope: ProvisioningScope,
    allowed: (t: { tenantRef: string; partnerRef?: string }) => boolean,
    requester: { userRef?: string },
  ): Promise<ReconcileResult | 'forbidden' | undefined> {
    const tenant = await this.find(name, readScope);
    if (!tenant) return undefined;
    if (
      !allowed({
        tenantRef: tenant.tenantRef,
        ...(tenant.partnerRef ? { partnerRef: tenant.partnerRef } : {}),
      })
    ) {
      return 'forbidden';
    }
    const outcome = await this.deps.engine.reconcileNow(
      tenant.tenantRef,
      requester,
    );
    const fresh = await this.deps.store.tenant(tenant.tenantRef);
    if (!outcome || !fresh) return undefined;
    return { outcome, tenant: await this.detailOf(fresh) };
  }

  async summary(scope: ProvisioningScope): Promise<ProvisioningSummary> {
    return this.deps.store.summary(scope);
  }

  /** One tenant in detail, by entity ref (no scope: the caller checked it). */
  async detailByRef(
    tenantRef: string,
  ): Promise<TenantProvisioningDetail | undefined> {
    const t = await this.deps.store.tenant(tenantRef);
    return t ? this.detailOf(t) : undefined;
  }

  /** A tenant by name, if in scope. */
  async find(name: string, scope: ProvisioningScope) {
    const { items } = await this.deps.store.list({
      ...(scope ? { scope } : {}),
      names: [lower(name)],
      limit: 1,
    });
    return items[0];
  }

  private summaryOf(
    t: StoredTenant,
    conditions: StoredCondition[],
  ): TenantProvisioning {
    return {
      tenant: t.name,
      ...(t.title ? { title: t.title } : {}),
      ...(t.partnerRef ? { partner: t.partnerRef } : {}),
      phase: t.phase,
      lifecycle: publicLifecycle(t.lifecycle),
      steps: PROVISIONING_STEPS.map(step => {
        const c = conditions.find(x => x.step === step);
        return c ? publicCondition(c) : notYet(step, t.dueAt ?? '');
      }),
    };
  }

  private async detailOf(t: StoredTenant): Promise<TenantProvisioningDetail> {
    const { store } = this.deps;
    const conditions =
      (await store.conditions([t.tenantRef])).get(t.tenantRef) ?? [];
    const desired = t.desired as DesiredTenant;
    const mode = lifecycleMode(t.lifecycle, Date.now());
    const steps: StepDetail[] = PROVISIONING_STEPS.map(step => {
      const c = conditions.find(x => x.step === step);
      const need = stepNeed(
        desired,
        step,
        mode === 'teardown' ? 'active' : mode,
      );
      const want = need.needed ? need.desired : undefined;
      return {
        ...(c ? publicCondition(c) : notYet(step, t.dueAt ?? '')),
        ...(want ? { desired: want } : {}),
        ...(c?.observed ? { observed: c.observed } : {}),
        differences: differences(want, c?.observed),
      };
    });
    return {
      ...this.summaryOf(t, conditions),
      steps,
      attempts: await store.attempts(t.tenantRef),
      dnsRecords: await store.dnsRecords(t.tenantRef),
    };
  }
}
