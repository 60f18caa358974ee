import { LoggerService } from '@backstage/backend-plugin-api';
import { tenantPhase } from '@internal/plugin-provisioning-common';
import { randomUUID } from 'node:crypto';
import {
  ClaimedTenant,
  ProvisioningStore,
  StoredCondition,
} from '../database/ProvisioningStore';
import { StepDriver } from '../steps/types';
import { DesiredTenant, desiredHash } from './desired';
import { Reconciler, WorkOutcome, WorkRequester } from './Reconciler';

/** How the engine shares work (config `provisioning.engine`). */
export interface EngineOptions {
  /** Tenants worked at once by this instance. */
  concurrency: number;
  /** How long a claim holds a tenant without renewal (ms); a dead instance's tenants are free after it. */
  leaseMs: number;
  /** A tenant whose work failed unexpectedly (e.g. the flags could not be read) is tried again after this (ms). */
  failureRetryMs: number;
}

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  concurrency: 16,
  leaseMs: 120_000,
  failureRetryMs: 30_000,
};

/** What one drift resync found. */
export interface ResyncReport {
  /** Tenants queued, by step, with what was found. */
  drifted: Array<{ tenantRef: string; step: string; message: string }>;
  /** Steps whose system could not be listed (nothing queued for them). */
  failed: Array<{ step: string; message: string }>;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The reconcile loop of one backend instance: takes the catalog's desired
 * state into the store (queueing what changed), claims due tenants from the
 * shared queue (row locks, a lease), works them (the Reconciler), and runs
 * the drift resync that lists each system in bulk.
 */
export class ProvisioningEngine {
  /** This instance, as lease owner. */
  readonly owner = `instance-${randomUUID()}`;
  private draining?: Promise<number>;
  private drainAgain = false;
  private stopped = false;

  constructor(
    private readonly deps: {
      store: ProvisioningStore;
      reconciler: Reconciler;
      drivers: StepDriver[];
      logger: LoggerService;
      options?: Partial<EngineOptions>;
      now?: () => number;
    },
  ) {}

  private get options(): EngineOptions {
    return { ...DEFAULT_ENGINE_OPTIONS, ...this.deps.options };
  }

  private now() {
    return (this.deps.now ?? Date.now)();
  }

  /** Stores the catalog's desired state; new and changed tenants are due at once. */
  async sync(tenants: DesiredTenant[]) {
    const result = await this.deps.store.syncTenants(
      tenants.map(t => ({
        tenantRef: t.tenantRef,
        name: t.name,
        ...(t.title ? { title: t.title } : {}),
        ...(t.partnerRef ? { partnerRef: t.partnerRef } : {}),
        desired: t,
        desiredHash: desiredHash(t),
        gitStatus: t.status,
        plan: t.plan,
        seats: t.seats,
      })),
      iso(this.now()),
    );
    if (result.added.length || result.changed.length) this.kick();
    return result;
  }

  /** Works due tenants now, in the background (a change just queued some). */
  kick() {
    this.drain().catch(error =>
      this.deps.logger.error(`provisioning: ${error}`, error),
    );
  }

  /**
   * Claims and works due tenants until none is due (or `maxMs` passed);
   * resolves with how many were worked. One drain at a time per instance:
   * a call during one makes it look once more.
   */
  drain(maxMs = 50_000): Promise<number> {
    if (this.draining) {
      this.drainAgain = true;
      return this.draining;
    }
    const run = async () => {
      let worked = 0;
      const deadline = this.now() + maxMs;
      do {
        this.drainAgain = false;
        for (;;) {
          if (this.stopped || this.now() > deadline) return worked;
          const n = await this.workAvailable(deadline);
          worked += n;
          if (n === 0) break;
        }
      } while (this.drainAgain);
      return worked;
    };
    this.draining = run().finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  /** Stops claiming (the backend is shutting down); running work finishes. */
  async stop() {
    this.stopped = true;
    await this.draining?.catch(() => undefined);
  }

  /**
   * A reconcile on demand: queues the tenant and, if no other instance holds
   * it, works it before resolving (`done`); else the holder works it again
   * when it is done (`queued`). Undefined for an unknown tenant.
   */
  async reconcileNow(
    tenantRef: string,
    requester: WorkRequester,
  ): Promise<'done' | 'queued' | undefined> {
    const now = this.now();
    if (!(await this.deps.store.enqueue(tenantRef, 'reconcile', iso(now)))) {
      return undefined;
    }
    const [claimed] = await this.deps.store.claim({
      owner: this.owner,
      limit: 1,
      now: iso(now),
      leaseUntil: iso(now + this.options.leaseMs),
      tenantRef,
    });
    if (!claimed) return 'queued';
    await this.workClaimed(claimed, requester);
    return 'done';
  }

  /**
   * The drift resync: lists each system once (in bulk) and compares with
   * the steps stored as `ok`; a tenant whose objects are gone or changed
   * gets that step `pending` (DriftDetected, with what was found) and is
   * queued — its work repairs it and audits the repair as drift.
   */
  async resync(): Promise<ResyncReport> {
    const { store, drivers, logger } = this.deps;
    const report: ResyncReport = { drifted: [], failed: [] };
    for (const driver of drivers) {
      const rows = await store.stepConditions(driver.step);
      const ok = rows.filter(r => r.condition.status === 'ok');
      if (ok.length === 0) continue;
      const tenants = await this.tenants(ok.map(r => r.tenantRef));
      const converged = ok
        .filter(r => tenants.has(r.tenantRef))
        .map(r => ({
          tenant: tenants.get(r.tenantRef)!,
          condition: r.condition,
        }));
      let drifts;
      try {
        drifts = await driver.drift(converged);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        logger.warn(`provisioning drift resync: ${message}`);
        report.failed.push({ step: driver.step, message });
        continue;
      }
      const conditions = new Map(ok.map(r => [r.tenantRef, r.condition]));
      for (const drift of drifts) {
        const condition = conditions.get(drift.tenantRef)!;
        await this.markDrift(drift.tenantRef, condition, drift.message);
        report.drifted.push({ ...drift, step: driver.step });
      }
    }
    if (report.drifted.length) this.kick();
    return report;
  }

  private async markDrift(
    tenantRef: string,
    condition: StoredCondition,
    message: string,
  ) {
    const { store } = this.deps;
    const now = iso(this.now());
    await store.saveCondition(tenantRef, {
      ...condition,
      status: 'pending',
      reason: 'DriftDetected',
      message,
      lastTransitionTime: now,
    });
    const all = (await store.conditions([tenantRef])).get(tenantRef) ?? [];
    await store.setPhase(tenantRef, tenantPhase(all));
    await store.enqueue(tenantRef, 'drift', now);
  }

  private async tenants(refs: string[]): Promise<Map<string, DesiredTenant>> {
    const out = new Map<string, DesiredTenant>();
    for (const ref of refs) {
      const t = await this.deps.store.tenant(ref);
      if (t) out.set(ref, t.desired as DesiredTenant);
    }
    return out;
  }

  /** Claims one batch and works it; resolves with its size. */
  /**
   * Works due tenants with `concurrency` workers until a claim finds none
   * (or the deadline passes). A worker that finds the local queue empty
   * claims the next tenants while the others are still busy, so a
   * rate-limited system never waits for a batch's slowest tenant.
   */
  private async workAvailable(deadline: number): Promise<number> {
    const { concurrency, leaseMs } = this.options;
    const queue: ClaimedTenant[] = [];
    let worked = 0;
    let exhausted = false;
    let refilling: Promise<void> | undefined;
    const refill = () =>
      (refilling ??= (async () => {
        const now = this.now();
        const claimed = await this.deps.store.claim({
          owner: this.owner,
          limit: concurrency,
          now: iso(now),
          leaseUntil: iso(now + leaseMs),
        });
        if (claimed.length === 0) exhausted = true;
        queue.push(...claimed);
      })().finally(() => {
        refilling = undefined;
      }));
    const worker = async () => {
      for (;;) {
        if (this.stopped || this.now() > deadline) return;
        const next = queue.shift();
        if (next) {
          await this.workClaimed(next);
          worked += 1;
        } else if (exhausted) {
          return;
        } else {
          await refill();
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: concurrency }, worker));
    } finally {
      // claimed but not started (stopping, or the deadline): due again at once
      // for any instance, not after the lease
      if (queue.length > 0) {
        await this.deps.store.unclaim(
          this.owner,
          queue.map(c => c.tenantRef),
        );
      }
    }
    return worked;
  }

  /** Works one claimed tenant, renewing its lease meanwhile, and releases it. */
  private async workClaimed(
    claimed: ClaimedTenant,
    requester: WorkRequester = {},
  ): Promise<void> {
    const { store, reconciler, logger } = this.deps;
    const { leaseMs, failureRetryMs } = this.options;
    const renew = setInterval(() => {
      store
        .renewLeases(this.owner, [claimed.tenantRef], iso(this.now() + leaseMs))
        .catch(error => logger.warn(`provisioning lease renewal: ${error}`));
    }, leaseMs / 3);
    let outcome: Pick<WorkOutcome, 'phase' | 'dueAt' | 'terminated'>;
    try {
      outcome = await reconciler.work(claimed, requester);
    } catch (error) {
      logger.error(
        `provisioning ${claimed.name}: ${String(error)}`,
        error as Error,
      );
      outcome = {
        phase: claimed.phase,
        dueAt: iso(this.now() + failureRetryMs),
      };
    } finally {
      clearInterval(renew);
    }
    await store.release({
      tenantRef: claimed.tenantRef,
      owner: this.owner,
      requestSeq: claimed.requestSeq,
      phase: outcome.phase,
      ...(outcome.dueAt ? { dueAt: outcome.dueAt } : {}),
      ...(outcome.terminated ? { terminated: true } : {}),
      now: iso(this.now()),
    });
  }
}
