import { LoggerService } from '@backstage/backend-plugin-api';
import { AuditEventInput } from '@internal/plugin-audit-common';
import { AuditTrailService } from '@internal/plugin-audit-node';
import {
  effectiveStatus,
  PROVISIONING_STEPS,
  ProvisioningStep,
  ProvisioningTrigger,
  StepStatus,
  TenantPhase,
  tenantPhase,
} from '@internal/plugin-provisioning-common';
import { SystemError } from '../clients/SystemHttp';
import {
  ClaimedTenant,
  ProvisioningStore,
  StoredCondition,
} from '../database/ProvisioningStore';
import {
  Change,
  describeChange,
  LifecycleLedger,
  StepDriver,
  StepResult,
} from '../steps/types';
import { backoffMs } from './backoff';
import { DesiredTenant, stepNeed } from './desired';
import { LifecycleMode, lifecycleMode } from './lifecycle';

/** The order of the teardown's second stage: domains, then the space, then the group. */
const TEARDOWN_ORDER: ProvisioningStep[] = ['stalwart', 'ocis', 'authentik'];

/** The flag that switches provisioning off for a tenant (a kill switch, on by default). */
export const PROVISIONING_FLAG = 'tenant_provisioning';

/** The longest wait between two looks at a step that is on its way (ms). */
const RECHECK_MAX_MS = 5 * 60_000;

/** Whether the kill switch lets provisioning run for a tenant. */
export type ProvisioningSwitch = (tenantRef: string) => Promise<boolean>;

/** Who asked for the work, for the audit trail. */
export interface WorkRequester {
  /** A user's entity ref, for a reconcile on demand. */
  userRef?: string;
}

/** The outcome of working one tenant. */
export interface WorkOutcome {
  phase: TenantPhase;
  /** When the tenant is due again (a retry, a recheck, the grace period's end); absent: when something changes. */
  dueAt?: string;
  conditions: StoredCondition[];
  /** The teardown finished: the tenant is terminated. */
  terminated?: boolean;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** `SystemUnavailable` (down, 5xx, 429: it may pass) or `Refused` (another 4xx: it needs a fix). */
function systemReason(error: SystemError): string {
  const s = error.status;
  return s === undefined || s >= 500 || s === 429
    ? 'SystemUnavailable'
    : 'Refused';
}

/** What a condition keeps across attempts: the ids outside, the last observation, the last success. */
function keptOf(prev: StoredCondition | undefined): Partial<StoredCondition> {
  return {
    ...(prev?.external ? { external: prev.external } : {}),
    ...(prev?.observed ? { observed: prev.observed } : {}),
    ...(prev?.lastOkAt ? { lastOkAt: prev.lastOkAt } : {}),
    ...(prev?.lastAttemptAt ? { lastAttemptAt: prev.lastAttemptAt } : {}),
    ...(prev?.observedGeneration
      ? { observedGeneration: prev.observedGeneration }
      : {}),
  };
}

/**
 * Works one claimed tenant: each step on its own (one failing never stops
 * or undoes another), deciding per step whether to call the system at all,
 * then storing the step's condition and attempt and auditing every change
 * made outside.
 */
export class Reconciler {
  private readonly drivers: Map<ProvisioningStep, StepDriver>;

  constructor(
    private readonly deps: {
      store: ProvisioningStore;
      drivers: StepDriver[];
      enabled: ProvisioningSwitch;
      trail: AuditTrailService;
      logger: LoggerService;
      now?: () => number;
      random?: () => number;
    },
  ) {
    this.drivers = new Map(deps.drivers.map(d => [d.step, d]));
  }

  private now() {
    return (this.deps.now ?? Date.now)();
  }

  async work(
    claimed: ClaimedTenant,
    requester: WorkRequester = {},
  ): Promise<WorkOutcome> {
    const tenant = claimed.desired as DesiredTenant;
    const trigger: ProvisioningTrigger = claimed.trigger ?? 'retry';
    const previous =
      (await this.deps.store.conditions([tenant.tenantRef])).get(
        tenant.tenantRef,
      ) ?? [];
    // the switch is read once per tenant; unreadable, nothing is called
    const enabled = await this.deps.enabled(tenant.tenantRef);
    const mode = lifecycleMode(claimed.lifecycle, this.now());
    if (mode === 'teardown') {
      return this.teardown(tenant, previous, trigger, enabled, requester);
    }
    const terminating =
      effectiveStatus(claimed.lifecycle).status === 'terminating';
    const conditions = await Promise.all(
      PROVISIONING_STEPS.map(step =>
        this.workStep(
          tenant,
          step,
          previous.find(c => c.step === step),
          trigger,
          enabled,
          requester,
          mode,
          terminating,
        ),
      ),
    );
    const due = [
      ...conditions.filter(c => c.nextAttemptAt).map(c => c.nextAttemptAt!),
      // a terminating tenant is due when its grace period ends. Only while
      // it is terminating: a terminated tenant keeps its (past) graceUntil,
      // and a past due time made it due again at once, for ever — worked
      // in a loop that never yielded the event loop on SQLite (the engine
      // drains until no tenant is due)
      ...(terminating && claimed.lifecycle.graceUntil
        ? [claimed.lifecycle.graceUntil]
        : []),
    ].sort()[0];
    return {
      phase: tenantPhase(conditions),
      ...(due ? { dueAt: due } : {}),
      conditions,
    };
  }

  /**
   * The teardown, once the grace period is over: first every system's
   * members (mailboxes, identities) at once, then, one after the other,
   * the domains, the space and the group — a step that fails stops the
   * ones after it and is retried with backoff. Every change is audited as
   * it is made. When all is gone the tenant is terminated.
   */
  private async teardown(
    tenant: DesiredTenant,
    previous: StoredCondition[],
    trigger: ProvisioningTrigger,
    enabled: boolean,
    requester: WorkRequester,
  ): Promise<WorkOutcome> {
    const now = this.now();
    const prevOf = (step: ProvisioningStep) =>
      previous.find(c => c.step === step);
    if (!enabled) {
      const conditions = await Promise.all(
        PROVISIONING_STEPS.map(step =>
          this.settle(tenant.tenantRef, step, prevOf(step), {
            status: 'paused',
            reason: 'ProvisioningOff',
            message: `the ${PROVISIONING_FLAG} flag is off for this tenant: the teardown waits`,
          }),
        ),
      );
      return { phase: tenantPhase(conditions), conditions };
    }
    const involved = PROVISIONING_STEPS.filter(
      step =>
        stepNeed(tenant, step).needed ||
        Object.keys(prevOf(step)?.external ?? {}).length > 0,
    );
    const failures = new Map<ProvisioningStep, unknown>();
    const changes = new Map<ProvisioningStep, Change[]>(
      PROVISIONING_STEPS.map(step => [step, []]),
    );
    const run = async (
      step: ProvisioningStep,
      stage: 'teardownMembers' | 'teardownResources',
    ) => {
      const work = {
        tenant,
        ...(prevOf(step) ? { condition: prevOf(step)! } : {}),
        ledger: this.ledger(tenant.tenantRef, step),
        changes: changes.get(step)!,
      };
      const before = work.changes.length;
      try {
        await this.drivers.get(step)![stage](work);
      } catch (error) {
        failures.set(step, error);
      } finally {
        await this.audit(tenant, step, prevOf(step), trigger, requester, {
          changes: work.changes.slice(before),
          external: prevOf(step)?.external ?? {},
        });
      }
    };
    await Promise.all(involved.map(step => run(step, 'teardownMembers')));
    if (failures.size === 0) {
      for (const step of TEARDOWN_ORDER.filter(s => involved.includes(s))) {
        await run(step, 'teardownResources');
        if (failures.has(step)) break;
      }
    }
    const done = failures.size === 0;
    const startedAt = iso(now);
    const conditions: StoredCondition[] = [];
    for (const step of PROVISIONING_STEPS) {
      const prev = prevOf(step);
      const failure = failures.get(step);
      let condition: StoredCondition;
      if (failure !== undefined) {
        const attempts = (prev?.attempts ?? 0) + 1;
        condition = this.failed(step, prev, failure, attempts, {
          ...(prev?.external ? { external: prev.external } : {}),
          ...(prev?.lastOkAt ? { lastOkAt: prev.lastOkAt } : {}),
        });
        if (!(failure instanceof SystemError)) {
          this.deps.logger.error(
            `provisioning teardown ${tenant.name} ${step}: ${String(failure)}`,
            failure as Error,
          );
        }
      } else if (done) {
        condition = {
          step,
          status: 'skipped',
          reason: 'Terminated',
          message: `the tenant is terminated: torn down on ${startedAt.slice(
            0,
            10,
          )}`,
          lastTransitionTime: startedAt,
          attempts: 0,
        };
      } else {
        condition = {
          step,
          status: 'pending',
          reason: 'TearingDown',
          message: `being torn down: waiting for ${[...failures.keys()].join(
            ', ',
          )}`,
          lastTransitionTime:
            prev?.status === 'pending' ? prev.lastTransitionTime : startedAt,
          attempts: 0,
          ...(prev?.external ? { external: prev.external } : {}),
          nextAttemptAt: [...failures.values()].length
            ? iso(now + backoffMs(1, this.deps.random))
            : startedAt,
        };
      }
      condition.lastAttemptAt = startedAt;
      const stepChanges = changes.get(step)!;
      await this.deps.store.saveCondition(
        tenant.tenantRef,
        condition,
        involved.includes(step)
          ? {
              step,
              trigger,
              startedAt,
              finishedAt: iso(this.now()),
              status: condition.status,
              ...(condition.message ? { message: condition.message } : {}),
              changes: stepChanges.map(describeChange),
            }
          : undefined,
      );
      conditions.push(condition);
    }
    const due = conditions
      .filter(c => c.nextAttemptAt)
      .map(c => c.nextAttemptAt!)
      .sort()[0];
    return {
      phase: tenantPhase(conditions),
      ...(due && !done ? { dueAt: due } : {}),
      conditions,
      ...(done ? { terminated: true } : {}),
    };
  }

  /** What suspensions froze in one system, for one tenant's step. */
  private ledger(tenantRef: string, step: ProvisioningStep): LifecycleLedger {
    const { store } = this.deps;
    return {
      frozen: ids => store.frozen(step, ids),
      hasFrozen: () => store.hasFrozen(step, tenantRef),
      record: objects =>
        store.recordFrozen(
          objects.map(o => ({
            ...o,
            system: step,
            tenantRef,
            frozenAt: iso(this.now()),
          })),
        ),
      forget: ids => store.forgetFrozen(step, ids),
      otherTenantGroups: options =>
        store.tenantGroupIds({ ...options, except: tenantRef }),
    };
  }

  /** Stores a condition the engine decides without calling the system (unchanged ones are not rewritten). */
  private async settle(
    tenantRef: string,
    step: ProvisioningStep,
    prev: StoredCondition | undefined,
    next: { status: StepStatus; reason: string; message: string },
  ): Promise<StoredCondition> {
    if (
      prev?.status === next.status &&
      prev.reason === next.reason &&
      prev.message === next.message
    ) {
      return prev;
    }
    const condition: StoredCondition = {
      step,
      ...next,
      lastTransitionTime:
        prev?.status === next.status
          ? prev.lastTransitionTime
          : iso(this.now()),
      attempts: 0,
      ...keptOf(prev),
    };
    await this.deps.store.saveCondition(tenantRef, condition);
    return condition;
  }

  private async workStep(
    tenant: DesiredTenant,
    step: ProvisioningStep,
    prev: StoredCondition | undefined,
    trigger: ProvisioningTrigger,
    enabled: boolean,
    requester: WorkRequester,
    mode: LifecycleMode,
    terminating: boolean,
  ): Promise<StoredCondition> {
    const { store } = this.deps;
    const now = this.now();
    const need = stepNeed(tenant, step, mode);
    const kept = keptOf(prev);
    const settle = (status: StepStatus, reason: string, message: string) =>
      this.settle(tenant.tenantRef, step, prev, { status, reason, message });

    if (!need.needed) return settle('skipped', need.reason, need.message);
    if (terminating && Object.keys(prev?.external ?? {}).length === 0) {
      // never created: a tenant on its way out gets nothing new
      return settle(
        'skipped',
        'Terminating',
        'the tenant is being terminated: nothing is created',
      );
    }
    if (!enabled) {
      return settle(
        'paused',
        'ProvisioningOff',
        `the ${PROVISIONING_FLAG} flag is off for this tenant: nothing is called`,
      );
    }

    // a change of the desired state or a reconcile on demand resets the backoff
    const reset =
      trigger === 'reconcile' ||
      trigger === 'catalog' ||
      trigger === 'lifecycle';
    if (prev && trigger !== 'reconcile') {
      const current = prev.observedGeneration === need.generation;
      if (prev.status === 'ok' && current) return prev;
      const waiting =
        !reset &&
        (prev.status === 'error' || prev.status === 'pending') &&
        prev.nextAttemptAt !== undefined &&
        Date.parse(prev.nextAttemptAt) > now &&
        prev.reason !== 'DriftDetected';
      if (waiting) return prev;
    }

    const driver = this.drivers.get(step)!;
    const attempts = (reset ? 0 : prev?.attempts ?? 0) + 1;
    const startedAt = iso(now);
    let condition: StoredCondition;
    let changes: Change[] = [];
    try {
      const result = await driver.converge({
        tenant,
        desired: need.desired,
        ...(prev ? { condition: prev } : {}),
        trigger,
        beforeCreate: () => this.beforeCreate(tenant.tenantRef, step, prev),
        ledger: this.ledger(tenant.tenantRef, step),
      });
      changes = result.changes;
      await this.audit(tenant, step, prev, trigger, requester, result);
      condition = this.converged(step, prev, result, attempts, need.generation);
      if (result.dnsRecords) {
        await store.saveDnsRecords(
          tenant.tenantRef,
          result.dnsRecords,
          iso(this.now()),
        );
      }
    } catch (error) {
      condition = this.failed(step, prev, error, attempts, kept);
      if (!(error instanceof SystemError)) {
        this.deps.logger.error(
          `provisioning ${tenant.name} ${step}: ${String(error)}`,
          error as Error,
        );
      }
    }
    condition.lastAttemptAt = startedAt;
    await store.saveCondition(tenant.tenantRef, condition, {
      step,
      trigger,
      startedAt,
      finishedAt: iso(this.now()),
      status: condition.status,
      ...(condition.message ? { message: condition.message } : {}),
      changes: changes.map(describeChange),
    });
    return condition;
  }

  /** The condition after a successful (ok or still pending) attempt. */
  private converged(
    step: ProvisioningStep,
    prev: StoredCondition | undefined,
    result: StepResult,
    attempts: number,
    generation: string,
  ): StoredCondition {
    const now = this.now();
    const base = {
      step,
      status: result.status,
      lastTransitionTime:
        prev?.status === result.status ? prev.lastTransitionTime : iso(now),
      external: result.external,
      observed: result.observed,
    };
    if (result.status === 'ok') {
      return {
        ...base,
        reason: 'Converged',
        lastOkAt: iso(now),
        attempts: 0,
        observedGeneration: generation,
      };
    }
    const wait = Math.min(
      RECHECK_MAX_MS,
      (result.recheckMs ?? 1_000) * 2 ** Math.min(attempts - 1, 20),
    );
    return {
      ...base,
      ...(result.reason ? { reason: result.reason } : {}),
      ...(result.message ? { message: result.message } : {}),
      ...(prev?.lastOkAt ? { lastOkAt: prev.lastOkAt } : {}),
      ...(prev?.observedGeneration
        ? { observedGeneration: prev.observedGeneration }
        : {}),
      attempts,
      nextAttemptAt: iso(now + wait),
    };
  }

  /** The condition after a failed attempt: retried with backoff, not before a Retry-After. */
  private failed(
    step: ProvisioningStep,
    prev: StoredCondition | undefined,
    error: unknown,
    attempts: number,
    kept: Partial<StoredCondition>,
  ): StoredCondition {
    const now = this.now();
    const system = error instanceof SystemError ? error : undefined;
    const wait = Math.max(
      backoffMs(attempts, this.deps.random),
      system?.retryAt ? system.retryAt - now : 0,
    );
    const reason = system ? systemReason(system) : 'InternalError';
    return {
      ...kept,
      step,
      status: 'error',
      reason,
      message: error instanceof Error ? error.message : String(error),
      lastTransitionTime:
        prev?.status === 'error' ? prev.lastTransitionTime : iso(now),
      attempts,
      nextAttemptAt: iso(now + wait),
      ...(prev?.createStartedAt
        ? { createStartedAt: prev.createStartedAt }
        : {}),
    };
  }

  /** Marks (in the database, before the call) that a create is about to be made. */
  private async beforeCreate(
    tenantRef: string,
    step: ProvisioningStep,
    prev: StoredCondition | undefined,
  ) {
    const at = iso(this.now());
    if (prev) {
      prev.createStartedAt = at;
      await this.deps.store.markCreateStarted(tenantRef, step, at);
      return;
    }
    await this.deps.store.saveCondition(tenantRef, {
      step,
      status: 'pending',
      reason: 'Creating',
      lastTransitionTime: at,
      attempts: 0,
      createStartedAt: at,
    });
  }

  /** Every change made outside, in the audit chain (before the condition is stored). */
  private async audit(
    tenant: DesiredTenant,
    step: ProvisioningStep,
    prev: StoredCondition | undefined,
    trigger: ProvisioningTrigger,
    requester: WorkRequester,
    result: Pick<StepResult, 'changes' | 'external'>,
  ) {
    if (result.changes.length === 0) return;
    const at = iso(this.now());
    const drift = prev?.reason === 'DriftDetected' ? prev.message : undefined;
    const events: AuditEventInput[] = result.changes.map((change, i) => ({
      at,
      actor: requester.userRef
        ? { type: 'user', ref: requester.userRef }
        : { type: 'service', ref: 'plugin:provisioning' },
      action: drift
        ? 'provisioning.drift.repaired'
        : `provisioning.${change.object}.${change.verb}`,
      outcome: 'success',
      resource: {
        type: `${step}-${change.object}`,
        ref: change.id,
        name: change.name,
      },
      tenant: tenant.tenantRef,
      ...(tenant.partnerRef ? { partner: tenant.partnerRef } : {}),
      source: 'provisioning',
      externalId: `${tenant.tenantRef}:${step}:${at}:${i}`,
      metadata: {
        step,
        trigger,
        change: describeChange(change),
        ids: result.external,
        ...(drift ? { drift } : {}),
      },
    }));
    await this.deps.trail.record(events);
  }
}
