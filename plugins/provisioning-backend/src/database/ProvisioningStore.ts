import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { PermissionCriteria } from '@backstage/plugin-permission-common';
import {
  applyPartnerScope,
  migrateLatest,
  PartnerScopeQuery,
} from '@internal/plugin-dezky-node';
import {
  DnsRecord,
  GitTenantStatus,
  LifecycleEvent,
  PROVISIONING_STEPS,
  ProvisioningAttempt,
  ProvisioningStep,
  ProvisioningTrigger,
  STEP_STATUSES,
  StepCondition,
  StepStatus,
  TENANT_PHASES,
  TenantHold,
  TenantPhase,
  TenantStatus,
} from '@internal/plugin-provisioning-common';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import {
  DEFAULT_GRACE_MS,
  LifecycleState,
  NewLifecycleEvent,
  transition,
} from '../engine/lifecycle';

const migrationsDir = resolvePackagePath(
  '@internal/plugin-provisioning-backend',
  'migrations',
);

/** Attempts kept per tenant and step. */
export const ATTEMPTS_KEPT = 20;
/** Rows per insert or `IN (…)` list (well under SQLite's variable limit). */
const CHUNK = 200;

/** A tenant's desired state as the engine stores it (from the catalog). */
export interface StoredTenant {
  tenantRef: string;
  name: string;
  title?: string;
  partnerRef?: string;
  /** The desired state, as built by `desiredTenants` (JSON). */
  desired: unknown;
  desiredHash: string;
  phase: TenantPhase;
  dueAt?: string;
  trigger?: ProvisioningTrigger;
  /** The effective status (see `LifecycleState`). */
  status: TenantStatus;
  lifecycle: LifecycleState;
}

/** An outbox row as the event it holds, with its place (`seq`). */
const eventFromRow = (r: {
  seq: number | string;
  event: string;
}): LifecycleEvent => ({ ...JSON.parse(r.event), seq: Number(r.seq) });

/** A rotating service credential as stored (the OCIS refresh token and its access token). */
export interface StoredCredential {
  refreshToken: string;
  accessToken?: string;
  accessExpiresAt?: string;
}

/** The stored credential of a row (none while its refresh token is empty). */
function credentialOf(
  row:
    | {
        refresh_token?: string;
        access_token?: string | null;
        access_expires_at?: string | null;
      }
    | undefined,
): StoredCredential | undefined {
  if (!row?.refresh_token) return undefined;
  return {
    refreshToken: row.refresh_token,
    ...(row.access_token ? { accessToken: row.access_token } : {}),
    ...(row.access_expires_at
      ? { accessExpiresAt: row.access_expires_at }
      : {}),
  };
}

/** What the catalog says of a tenant, as `syncTenants` takes it. */
export interface CatalogTenant {
  tenantRef: string;
  name: string;
  title?: string;
  partnerRef?: string;
  /** The desired state, as built by `desiredTenants` (JSON). */
  desired: unknown;
  desiredHash: string;
  gitStatus: GitTenantStatus;
  plan: string;
  seats: number;
}

/** What a suspension froze outside, and the value to put back. */
export interface FrozenObject {
  system: ProvisioningStep;
  objectId: string;
  tenantRef: string;
  objectName: string;
  previous: unknown;
  frozenAt: string;
}

/** A tenant claimed by a worker: work it, then `release` it. */
export interface ClaimedTenant extends StoredTenant {
  /** The request counter at claim time: a request made while working shows as a change. */
  requestSeq: number;
}

/** A step's stored condition, with what the engine keeps beside it. */
export interface StoredCondition extends StepCondition {
  observed?: Record<string, unknown>;
  /** Set before a create call whose result is not stored yet (a crash in between is detected). */
  createStartedAt?: string;
}

/** The filters of a tenant list (`GET /tenants`). */
export interface TenantFilter {
  scope?: PermissionCriteria<PartnerScopeQuery>;
  phase?: TenantPhase;
  step?: ProvisioningStep;
  status?: StepStatus;
  names?: string[];
  ref?: string;
  /** Tenants in this effective status. */
  lifecycle?: TenantStatus;
  limit?: number;
  offset?: number;
}

interface TenantRow {
  tenant_ref: string;
  name: string;
  title: string | null;
  partner_ref: string | null;
  desired: string;
  desired_hash: string;
  phase: string;
  due_at: string | null;
  trigger: string | null;
  request_seq: number | string;
  lease_owner: string | null;
  lease_until: string | null;
  updated_at: string;
  removed_at: string | null;
  status: string;
  plan: string;
  seats: number | string;
  hold: string | null;
  hold_reason: string | null;
  hold_by: string | null;
  hold_by_name: string | null;
  hold_at: string | null;
  termination_started_at: string | null;
  grace_until: string | null;
  terminated_at: string | null;
  activated_at: string | null;
  announced_status: string | null;
  announced_plan: string | null;
  announced_seats: number | string | null;
}

interface ConditionRow {
  tenant_ref: string;
  step: string;
  status: string;
  reason: string | null;
  message: string | null;
  last_transition_time: string;
  last_ok_at: string | null;
  last_attempt_at: string | null;
  attempts: number | string;
  next_attempt_at: string | null;
  observed_generation: string | null;
  external: string | null;
  observed: string | null;
  create_started_at: string | null;
}

interface AttemptRow {
  id: number | string;
  tenant_ref: string;
  step: string;
  trigger: string;
  started_at: string;
  finished_at: string;
  status: string;
  message: string | null;
  changes: string;
}

/** What `syncTenants` changed. */
export interface SyncResult {
  added: string[];
  changed: string[];
  removed: string[];
}

const SCOPE_COLUMNS = {
  partnerRef: 't.partner_ref',
  tenantRef: 't.tenant_ref',
};

function chunks<T>(list: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

const parse = <T>(text: string | null): T | undefined =>
  text === null ? undefined : (JSON.parse(text) as T);

function lifecycleFromRow(row: TenantRow): LifecycleState {
  const desired = JSON.parse(row.desired) as { status?: GitTenantStatus };
  return {
    tenantRef: row.tenant_ref,
    ...(row.partner_ref ? { partnerRef: row.partner_ref } : {}),
    gitStatus: desired.status ?? 'active',
    plan: row.plan,
    seats: Number(row.seats),
    phase: row.phase as TenantPhase,
    ...(row.hold
      ? {
          hold: {
            kind: row.hold as TenantHold['kind'],
            reason: row.hold_reason ?? '',
            by: row.hold_by ?? '',
            byName: row.hold_by_name ?? row.hold_by ?? '',
            at: row.hold_at ?? '',
          },
        }
      : {}),
    ...(row.termination_started_at
      ? { terminationStartedAt: row.termination_started_at }
      : {}),
    ...(row.grace_until ? { graceUntil: row.grace_until } : {}),
    ...(row.terminated_at ? { terminatedAt: row.terminated_at } : {}),
    ...(row.activated_at ? { activatedAt: row.activated_at } : {}),
    ...(row.announced_status
      ? {
          announced: {
            status: row.announced_status as TenantStatus,
            plan: row.announced_plan ?? '',
            seats: Number(row.announced_seats ?? 0),
          },
        }
      : {}),
  };
}

/** The lifecycle columns of a state. */
function lifecycleColumns(state: LifecycleState, status: TenantStatus) {
  return {
    status,
    hold: state.hold?.kind ?? null,
    hold_reason: state.hold?.reason ?? null,
    hold_by: state.hold?.by ?? null,
    hold_by_name: state.hold?.byName ?? null,
    hold_at: state.hold?.at ?? null,
    termination_started_at: state.terminationStartedAt ?? null,
    grace_until: state.graceUntil ?? null,
    terminated_at: state.terminatedAt ?? null,
    activated_at: state.activatedAt ?? null,
    announced_status: state.announced?.status ?? null,
    announced_plan: state.announced?.plan ?? null,
    announced_seats: state.announced?.seats ?? null,
  };
}

function tenantFromRow(row: TenantRow): StoredTenant {
  return {
    status: row.status as TenantStatus,
    lifecycle: lifecycleFromRow(row),
    tenantRef: row.tenant_ref,
    name: row.name,
    ...(row.title ? { title: row.title } : {}),
    ...(row.partner_ref ? { partnerRef: row.partner_ref } : {}),
    desired: JSON.parse(row.desired),
    desiredHash: row.desired_hash,
    phase: row.phase as TenantPhase,
    ...(row.due_at ? { dueAt: row.due_at } : {}),
    ...(row.trigger ? { trigger: row.trigger as ProvisioningTrigger } : {}),
  };
}

function conditionFromRow(row: ConditionRow): StoredCondition {
  const external = parse<Record<string, string>>(row.external);
  const observed = parse<Record<string, unknown>>(row.observed);
  return {
    step: row.step as ProvisioningStep,
    status: row.status as StepStatus,
    ...(row.reason ? { reason: row.reason } : {}),
    ...(row.message ? { message: row.message } : {}),
    lastTransitionTime: row.last_transition_time,
    ...(row.last_ok_at ? { lastOkAt: row.last_ok_at } : {}),
    ...(row.last_attempt_at ? { lastAttemptAt: row.last_attempt_at } : {}),
    attempts: Number(row.attempts),
    ...(row.next_attempt_at ? { nextAttemptAt: row.next_attempt_at } : {}),
    ...(row.observed_generation
      ? { observedGeneration: row.observed_generation }
      : {}),
    ...(external ? { external } : {}),
    ...(observed ? { observed } : {}),
    ...(row.create_started_at
      ? { createStartedAt: row.create_started_at }
      : {}),
  };
}

function conditionToRow(
  tenantRef: string,
  c: StoredCondition,
): Omit<ConditionRow, never> {
  return {
    tenant_ref: tenantRef,
    step: c.step,
    status: c.status,
    reason: c.reason ?? null,
    message: c.message ?? null,
    last_transition_time: c.lastTransitionTime,
    last_ok_at: c.lastOkAt ?? null,
    last_attempt_at: c.lastAttemptAt ?? null,
    attempts: c.attempts,
    next_attempt_at: c.nextAttemptAt ?? null,
    observed_generation: c.observedGeneration ?? null,
    external: c.external ? JSON.stringify(c.external) : null,
    observed: c.observed ? JSON.stringify(c.observed) : null,
    create_started_at: c.createStartedAt ?? null,
  };
}

function attemptFromRow(row: AttemptRow): ProvisioningAttempt {
  return {
    step: row.step as ProvisioningStep,
    trigger: row.trigger as ProvisioningTrigger,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    status: row.status as StepStatus,
    ...(row.message ? { message: row.message } : {}),
    changes: JSON.parse(row.changes),
  };
}

/** The trigger a released tenant keeps: a request's, else `retry` when it is due again. */
const nextTrigger = (requested: string | null, dueAt?: string) => {
  if (requested) return requested;
  return dueAt ? 'retry' : null;
};

/** The earlier of two optional ISO times. */
const earlier = (a: string | null | undefined, b: string) =>
  a && a < b ? a : b;

/**
 * The provisioning plugin's tables (SQLite or PostgreSQL): tenants' desired
 * state and work queue, step conditions, attempts, DNS records, rotating
 * credentials. Every multi-row change is one transaction.
 */
export class ProvisioningStore {
  static async create(options: {
    database: DatabaseService;
    /** Terminate → teardown (ms); default 30 days. */
    graceMs?: number;
  }) {
    const knex = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      await migrateLatest(knex, { directory: migrationsDir });
    }
    return new ProvisioningStore(knex, options.graceMs);
  }

  constructor(
    readonly knex: Knex,
    readonly graceMs: number = DEFAULT_GRACE_MS,
  ) {}

  /**
   * Brings a tenant row's lifecycle up to date (inside `tx`, the row
   * already read and locked) and writes the events it makes to the outbox.
   */
  private async applyTransition(
    tx: Knex.Transaction,
    state: LifecycleState,
    now: string,
  ): Promise<{ state: LifecycleState; status: TenantStatus }> {
    const next = transition(state, now, this.graceMs, randomUUID);
    await tx('provisioning_tenants')
      .where({ tenant_ref: state.tenantRef })
      .update(lifecycleColumns(next.state, next.status));
    await this.insertEvents(tx, next.events);
    return next;
  }

  private async insertEvents(
    tx: Knex.Transaction,
    events: NewLifecycleEvent[],
  ) {
    for (const e of events) {
      await tx('provisioning_lifecycle_events').insert({
        id: e.id,
        tenant_ref: e.tenantRef,
        type: e.type,
        at: e.at,
        event: JSON.stringify(e),
      });
    }
  }

  /** The row of a tenant, locked for the transaction on PostgreSQL. */
  private lockedRow(tx: Knex.Transaction, tenantRef: string) {
    const q = tx<TenantRow>('provisioning_tenants')
      .where({ tenant_ref: tenantRef })
      .first();
    return (this.isPostgres ? q.forUpdate() : q) as Promise<
      TenantRow | undefined
    >;
  }

  private get isPostgres() {
    return this.knex.client.config.client === 'pg';
  }

  /**
   * Makes the stored tenants the catalog's: new tenants and tenants whose
   * desired state changed are queued (trigger `catalog`) at once; tenants no
   * longer in the catalog are hidden (`removed_at`), not deleted: their
   * hold, conditions and events are kept, and come back with them (a
   * catalog read that misses a tenant for a while loses nothing; nothing is
   * torn down outside: that is the tenant lifecycle's terminate).
   */
  async syncTenants(
    tenants: CatalogTenant[],
    now: string,
  ): Promise<SyncResult> {
    return this.knex.transaction(async tx => {
      const rows = await tx<TenantRow>('provisioning_tenants').select(
        'tenant_ref',
        'desired_hash',
        'removed_at',
      );
      const existing = new Map<string, string>(
        rows.map(r => [r.tenant_ref, r.desired_hash]),
      );
      const hidden = new Set(
        rows.filter(r => r.removed_at).map(r => r.tenant_ref),
      );
      const result: SyncResult = { added: [], changed: [], removed: [] };
      const inserts: Partial<TenantRow>[] = [];
      const seen = new Set<string>();
      for (const t of tenants) {
        seen.add(t.tenantRef);
        const hash = existing.get(t.tenantRef);
        const row = {
          name: t.name,
          title: t.title ?? null,
          partner_ref: t.partnerRef ?? null,
          desired: JSON.stringify(t.desired),
          desired_hash: t.desiredHash,
          plan: t.plan,
          seats: t.seats,
          updated_at: now,
        };
        if (hash === undefined) {
          result.added.push(t.tenantRef);
          const { state, status } = transition(
            {
              tenantRef: t.tenantRef,
              ...(t.partnerRef ? { partnerRef: t.partnerRef } : {}),
              gitStatus: t.gitStatus,
              plan: t.plan,
              seats: t.seats,
              phase: 'pending',
            },
            now,
            this.graceMs,
            randomUUID,
          );
          inserts.push({
            tenant_ref: t.tenantRef,
            ...row,
            ...lifecycleColumns(state, status),
            phase: 'pending',
            due_at: now,
            trigger: 'catalog',
            request_seq: 1,
          });
        } else if (hash !== t.desiredHash || hidden.has(t.tenantRef)) {
          result.changed.push(t.tenantRef);
          const current = (await this.lockedRow(tx, t.tenantRef))!;
          await tx('provisioning_tenants')
            .where({ tenant_ref: t.tenantRef })
            .update({
              ...row,
              removed_at: null,
              due_at: earlier(current.due_at, now),
              trigger: 'catalog',
              request_seq: tx.raw('request_seq + 1'),
            });
          await this.applyTransition(
            tx,
            {
              ...lifecycleFromRow(current),
              ...(t.partnerRef
                ? { partnerRef: t.partnerRef }
                : { partnerRef: undefined }),
              gitStatus: t.gitStatus,
              plan: t.plan,
              seats: t.seats,
            },
            now,
          );
        }
      }
      for (const batch of chunks(inserts, 50)) {
        await tx('provisioning_tenants').insert(batch);
      }
      result.removed = [...existing.keys()].filter(
        ref => !seen.has(ref) && !hidden.has(ref),
      );
      for (const batch of chunks(result.removed)) {
        await tx('provisioning_tenants')
          .whereIn('tenant_ref', batch)
          .update({ removed_at: now, due_at: null, trigger: null });
      }
      return result;
    });
  }

  /**
   * Queues a tenant now (a reconcile on demand, drift). Resolves false for
   * an unknown tenant.
   */
  async enqueue(
    tenantRef: string,
    trigger: ProvisioningTrigger,
    now: string,
  ): Promise<boolean> {
    return this.knex.transaction(async tx => {
      const row = await tx<TenantRow>('provisioning_tenants')
        .where({ tenant_ref: tenantRef })
        .whereNull('removed_at')
        .first('due_at');
      if (!row) return false;
      await tx('provisioning_tenants')
        .where({ tenant_ref: tenantRef })
        .update({
          due_at: earlier(row.due_at, now),
          trigger,
          request_seq: tx.raw('request_seq + 1'),
        });
      return true;
    });
  }

  /**
   * Claims up to `limit` due tenants for `owner` until `leaseUntil` (retries
   * first, then by due time): on
   * PostgreSQL with `FOR UPDATE SKIP LOCKED`, so instances claiming at the
   * same time take different tenants; a tenant whose lease has expired (its
   * instance died) is due again.
   */
  async claim(options: {
    owner: string;
    limit: number;
    now: string;
    leaseUntil: string;
    /** Claim this tenant only (a reconcile on demand), if it is free. */
    tenantRef?: string;
  }): Promise<ClaimedTenant[]> {
    const { owner, limit, now, leaseUntil, tenantRef } = options;
    return this.knex.transaction(async tx => {
      let query = tx<TenantRow>('provisioning_tenants')
        .where(q => q.whereNull('lease_until').orWhere('lease_until', '<', now))
        .whereNull('removed_at')
        .select('*');
      if (tenantRef) {
        query = query.where({ tenant_ref: tenantRef });
      } else {
        // work under way (a retry, a recheck) before new work, then oldest
        // first: a tenant half done finishes before the next ones start
        query = query
          .where('due_at', '<=', now)
          .orderByRaw(`case when trigger = 'retry' then 0 else 1 end`)
          .orderBy('due_at')
          .orderBy('tenant_ref')
          .limit(limit);
      }
      if (this.isPostgres) query = query.forUpdate().skipLocked();
      const rows = (await query) as TenantRow[];
      if (rows.length === 0) return [];
      await tx('provisioning_tenants')
        .whereIn(
          'tenant_ref',
          rows.map(r => r.tenant_ref),
        )
        .update({ lease_owner: owner, lease_until: leaseUntil });
      return rows.map(row => ({
        ...tenantFromRow(row),
        requestSeq: Number(row.request_seq),
      }));
    });
  }

  /** Extends `owner`'s leases on these tenants. */
  async renewLeases(
    owner: string,
    tenantRefs: string[],
    leaseUntil: string,
  ): Promise<void> {
    for (const batch of chunks(tenantRefs)) {
      await this.knex('provisioning_tenants')
        .whereIn('tenant_ref', batch)
        .where({ lease_owner: owner })
        .update({ lease_until: leaseUntil });
    }
  }

  /** Gives back claimed tenants `owner` did not work (still due as they were). */
  async unclaim(owner: string, tenantRefs: string[]): Promise<void> {
    for (const batch of chunks(tenantRefs)) {
      await this.knex('provisioning_tenants')
        .whereIn('tenant_ref', batch)
        .where({ lease_owner: owner })
        .update({ lease_owner: null, lease_until: null });
    }
  }

  /**
   * Ends `owner`'s work on a tenant: stores its phase and when it is due
   * next (`dueAt`, or never). A request that came in while it was worked
   * (the request counter moved) keeps the tenant due at once.
   */
  async release(options: {
    tenantRef: string;
    owner: string;
    requestSeq: number;
    phase: TenantPhase;
    dueAt?: string;
    now: string;
    /** The teardown finished: the tenant is terminated. */
    terminated?: boolean;
  }): Promise<void> {
    const { tenantRef, owner, requestSeq, phase, dueAt, now } = options;
    await this.knex.transaction(async tx => {
      const row = await this.lockedRow(tx, tenantRef);
      if (!row || row.lease_owner !== owner) return;
      const state = lifecycleFromRow(row);
      await this.applyTransition(
        tx,
        {
          ...state,
          phase,
          ...(options.terminated && !state.terminatedAt
            ? { terminatedAt: now }
            : {}),
        },
        now,
      );
      const requested = Number(row.request_seq) !== requestSeq;
      await tx('provisioning_tenants')
        .where({ tenant_ref: tenantRef })
        .update({
          phase,
          lease_owner: null,
          lease_until: null,
          due_at: requested ? now : dueAt ?? null,
          trigger: nextTrigger(requested ? row.trigger : null, dueAt),
          updated_at: now,
        });
    });
  }

  async tenant(tenantRef: string): Promise<StoredTenant | undefined> {
    const row = await this.knex<TenantRow>('provisioning_tenants')
      .where({ tenant_ref: tenantRef })
      .whereNull('removed_at')
      .first();
    return row ? tenantFromRow(row) : undefined;
  }

  /** The conditions of these tenants, by tenant ref. */
  async conditions(
    tenantRefs: string[],
  ): Promise<Map<string, StoredCondition[]>> {
    const out = new Map<string, StoredCondition[]>();
    for (const batch of chunks(tenantRefs)) {
      const rows = await this.knex<ConditionRow>('provisioning_conditions')
        .whereIn('tenant_ref', batch)
        .select('*');
      for (const row of rows) {
        const list = out.get(row.tenant_ref) ?? [];
        list.push(conditionFromRow(row));
        out.set(row.tenant_ref, list);
      }
    }
    for (const list of out.values()) {
      list.sort(
        (a, b) =>
          PROVISIONING_STEPS.indexOf(a.step) -
          PROVISIONING_STEPS.indexOf(b.step),
      );
    }
    return out;
  }

  /** Every stored condition of one step (the drift resync compares them). */
  async stepConditions(
    step: ProvisioningStep,
  ): Promise<Array<{ tenantRef: string; condition: StoredCondition }>> {
    const rows = await this.knex<ConditionRow>('provisioning_conditions')
      .where({ step })
      .select('*');
    return rows.map(row => ({
      tenantRef: row.tenant_ref,
      condition: conditionFromRow(row),
    }));
  }

  /**
   * Stores a step's condition and, when given, the attempt that produced
   * it (keeping the newest {@link ATTEMPTS_KEPT} per tenant and step).
   */
  async saveCondition(
    tenantRef: string,
    condition: StoredCondition,
    attempt?: ProvisioningAttempt,
  ): Promise<void> {
    await this.knex.transaction(async tx => {
      await tx('provisioning_conditions')
        .insert(conditionToRow(tenantRef, condition))
        .onConflict(['tenant_ref', 'step'])
        .merge();
      if (!attempt) return;
      await tx('provisioning_attempts').insert({
        tenant_ref: tenantRef,
        step: attempt.step,
        trigger: attempt.trigger,
        started_at: attempt.startedAt,
        finished_at: attempt.finishedAt,
        status: attempt.status,
        message: attempt.message ?? null,
        changes: JSON.stringify(attempt.changes),
      });
      const keep = await tx<AttemptRow>('provisioning_attempts')
        .where({ tenant_ref: tenantRef, step: attempt.step })
        .orderBy('id', 'desc')
        .offset(ATTEMPTS_KEPT)
        .first('id');
      if (keep) {
        await tx('provisioning_attempts')
          .where({ tenant_ref: tenantRef, step: attempt.step })
          .where('id', '<=', keep.id)
          .del();
      }
    });
  }

  /** Marks that a create call is about to be made for a step. */
  async markCreateStarted(
    tenantRef: string,
    step: ProvisioningStep,
    at: string | null,
  ): Promise<void> {
    await this.knex('provisioning_conditions')
      .where({ tenant_ref: tenantRef, step })
      .update({ create_started_at: at });
  }

  /** The newest attempts of a tenant (newest first). */
  async attempts(tenantRef: string): Promise<ProvisioningAttempt[]> {
    const rows = await this.knex<AttemptRow>('provisioning_attempts')
      .where({ tenant_ref: tenantRef })
      .orderBy('id', 'desc')
      .limit(ATTEMPTS_KEPT * PROVISIONING_STEPS.length);
    return rows.map(attemptFromRow);
  }

  /** The tenants that match, one page ordered by name, and how many match. */
  async list(
    filter: TenantFilter,
  ): Promise<{ items: StoredTenant[]; total: number }> {
    const base = () => {
      const q = this.knex<TenantRow>({ t: 'provisioning_tenants' }).whereNull(
        't.removed_at',
      );
      if (filter.scope) applyPartnerScope(q, filter.scope, SCOPE_COLUMNS);
      if (filter.phase) q.where('t.phase', filter.phase);
      if (filter.ref) q.where('t.tenant_ref', filter.ref);
      if (filter.lifecycle) q.where('t.status', filter.lifecycle);
      if (filter.names) {
        q.whereIn(
          this.knex.raw('lower(t.name)') as unknown as string,
          filter.names.map(n => n.toLocaleLowerCase('en-US')),
        );
      }
      if (filter.step || filter.status) {
        q.whereExists(sub => {
          sub
            .select(this.knex.raw('1'))
            .from({ c: 'provisioning_conditions' })
            .whereRaw('c.tenant_ref = t.tenant_ref');
          if (filter.step) sub.where('c.step', filter.step);
          if (filter.status) sub.where('c.status', filter.status);
        });
      }
      return q;
    };
    const [{ count }] = (await base().count({ count: '*' })) as Array<{
      count: number | string;
    }>;
    const rows = (await base()
      .select('t.*')
      .orderBy('t.name')
      .limit(filter.limit ?? 50)
      .offset(filter.offset ?? 0)) as TenantRow[];
    return { items: rows.map(tenantFromRow), total: Number(count) };
  }

  /** Counts by phase, and by step and status, of the tenants in scope. */
  async summary(scope?: PermissionCriteria<PartnerScopeQuery>): Promise<{
    phases: Record<TenantPhase, number>;
    steps: Record<ProvisioningStep, Record<StepStatus, number>>;
  }> {
    const phases = Object.fromEntries(TENANT_PHASES.map(p => [p, 0])) as Record<
      TenantPhase,
      number
    >;
    const steps = Object.fromEntries(
      PROVISIONING_STEPS.map(s => [
        s,
        Object.fromEntries(STEP_STATUSES.map(st => [st, 0])),
      ]),
    ) as Record<ProvisioningStep, Record<StepStatus, number>>;
    const byPhase = this.knex({ t: 'provisioning_tenants' })
      .whereNull('t.removed_at')
      .select('t.phase')
      .count({ n: '*' })
      .groupBy('t.phase');
    if (scope) applyPartnerScope(byPhase, scope, SCOPE_COLUMNS);
    for (const row of (await byPhase) as Array<{
      phase: TenantPhase;
      n: number | string;
    }>) {
      if (row.phase in phases) phases[row.phase] = Number(row.n);
    }
    const byStep = this.knex({ c: 'provisioning_conditions' })
      .join({ t: 'provisioning_tenants' }, 't.tenant_ref', 'c.tenant_ref')
      .whereNull('t.removed_at')
      .select('c.step', 'c.status')
      .count({ n: '*' })
      .groupBy('c.step', 'c.status');
    if (scope) applyPartnerScope(byStep, scope, SCOPE_COLUMNS);
    for (const row of (await byStep) as Array<{
      step: ProvisioningStep;
      status: StepStatus;
      n: number | string;
    }>) {
      if (steps[row.step] && row.status in steps[row.step]) {
        steps[row.step][row.status] = Number(row.n);
      }
    }
    return { phases, steps };
  }

  /** Stores a tenant's phase (after a condition changed outside a work run). */
  async setPhase(tenantRef: string, phase: TenantPhase): Promise<void> {
    await this.knex('provisioning_tenants')
      .where({ tenant_ref: tenantRef })
      .update({ phase });
  }

  /** The DNS records stored for a tenant's domains. */
  async dnsRecords(
    tenantRef: string,
  ): Promise<Array<{ domain: string; records: DnsRecord[]; readAt: string }>> {
    const rows = await this.knex('provisioning_dns_records')
      .where({ tenant_ref: tenantRef })
      .orderBy('domain');
    return rows.map(
      (r: { domain: string; records: string; read_at: string }) => ({
        domain: r.domain,
        records: JSON.parse(r.records),
        readAt: r.read_at,
      }),
    );
  }

  /** Replaces the DNS records of a tenant's domains (those not listed are removed). */
  async saveDnsRecords(
    tenantRef: string,
    domains: Array<{ domain: string; records: DnsRecord[]; zoneFile: string }>,
    readAt: string,
  ): Promise<void> {
    await this.knex.transaction(async tx => {
      await tx('provisioning_dns_records')
        .where({ tenant_ref: tenantRef })
        .del();
      if (domains.length === 0) return;
      await tx('provisioning_dns_records').insert(
        domains.map(d => ({
          tenant_ref: tenantRef,
          domain: d.domain,
          records: JSON.stringify(d.records),
          zone_file: d.zoneFile,
          read_at: readAt,
        })),
      );
    });
  }

  /**
   * Changes a tenant's portal hold in one transaction: `decide` sees the
   * current lifecycle and returns the new hold (null lifts it) or a
   * refusal; the lifecycle is brought up to date, its events written to
   * the outbox, and the tenant queued at once (trigger `lifecycle`).
   * Undefined for an unknown tenant.
   */
  async updateHold<R>(
    tenantRef: string,
    decide: (
      state: LifecycleState,
    ) => { hold: TenantHold | null } | { refused: R },
    now: string,
  ): Promise<
    { state: LifecycleState; status: TenantStatus } | { refused: R } | undefined
  > {
    return this.knex.transaction(async tx => {
      const row = await this.lockedRow(tx, tenantRef);
      if (!row || row.removed_at) return undefined;
      const state = lifecycleFromRow(row);
      const decision = decide(state);
      if ('refused' in decision) return decision;
      const next: LifecycleState = { ...state };
      if (decision.hold) next.hold = decision.hold;
      else delete next.hold;
      const after = await this.applyTransition(tx, next, now);
      await tx('provisioning_tenants')
        .where({ tenant_ref: tenantRef })
        .update({
          due_at: earlier(row.due_at, now),
          trigger: 'lifecycle',
          request_seq: tx.raw('request_seq + 1'),
          updated_at: now,
        });
      return after;
    });
  }

  /**
   * The events after the subscriber's last acknowledged one, oldest first
   * (a new subscriber starts at the first event).
   */
  async lifecycleEvents(
    subscriber: string,
    limit: number,
  ): Promise<LifecycleEvent[]> {
    const cursor = await this.knex('provisioning_event_cursors')
      .where({ subscriber })
      .first('last_seq');
    const rows = (await this.knex('provisioning_lifecycle_events')
      .where('seq', '>', Number(cursor?.last_seq ?? 0))
      .orderBy('seq')
      .limit(limit)
      .select('seq', 'event')) as Array<{
      seq: number | string;
      event: string;
    }>;
    return rows.map(eventFromRow);
  }

  /**
   * Acknowledges a subscriber's events up to `seq` (a cursor only moves
   * forward, and not past the newest event). Resolves with the cursor.
   */
  async ackLifecycleEvents(
    subscriber: string,
    seq: number,
    now: string,
  ): Promise<number> {
    return this.knex.transaction(async tx => {
      const newest = await tx('provisioning_lifecycle_events').max({
        m: 'seq',
      });
      const top = Math.min(seq, Number(newest[0]?.m ?? 0));
      const current = await tx('provisioning_event_cursors')
        .where({ subscriber })
        .first('last_seq');
      const last = Math.max(Number(current?.last_seq ?? 0), top);
      await tx('provisioning_event_cursors')
        .insert({ subscriber, last_seq: last, updated_at: now })
        .onConflict('subscriber')
        .merge();
      return last;
    });
  }

  /** The events of one tenant, oldest first (for its page and tests). */
  async tenantEvents(tenantRef: string): Promise<LifecycleEvent[]> {
    const rows = (await this.knex('provisioning_lifecycle_events')
      .where({ tenant_ref: tenantRef })
      .orderBy('seq')
      .select('seq', 'event')) as Array<{
      seq: number | string;
      event: string;
    }>;
    return rows.map(eventFromRow);
  }

  /** What suspensions froze, of one system, by object id. */
  async frozen(
    system: ProvisioningStep,
    objectIds: string[],
  ): Promise<Map<string, FrozenObject>> {
    const out = new Map<string, FrozenObject>();
    for (const batch of chunks(objectIds)) {
      const rows = await this.knex('provisioning_frozen')
        .where({ system })
        .whereIn('object_id', batch);
      for (const r of rows) {
        out.set(r.object_id, {
          system,
          objectId: r.object_id,
          tenantRef: r.tenant_ref,
          objectName: r.object_name,
          previous: JSON.parse(r.previous),
          frozenAt: r.frozen_at,
        });
      }
    }
    return out;
  }

  /** Records (before the call) that a suspension is about to freeze these; an object already recorded keeps its first value. */
  async recordFrozen(objects: FrozenObject[]): Promise<void> {
    for (const batch of chunks(objects, 50)) {
      await this.knex('provisioning_frozen')
        .insert(
          batch.map(o => ({
            system: o.system,
            object_id: o.objectId,
            tenant_ref: o.tenantRef,
            object_name: o.objectName,
            previous: JSON.stringify(o.previous),
            frozen_at: o.frozenAt,
          })),
        )
        .onConflict(['system', 'object_id'])
        .ignore();
    }
  }

  /** Forgets frozen objects once they are restored (or gone). */
  async forgetFrozen(
    system: ProvisioningStep,
    objectIds: string[],
  ): Promise<void> {
    for (const batch of chunks(objectIds)) {
      await this.knex('provisioning_frozen')
        .where({ system })
        .whereIn('object_id', batch)
        .del();
    }
  }

  /** Whether a tenant has anything frozen in a system. */
  async hasFrozen(
    system: ProvisioningStep,
    tenantRef: string,
  ): Promise<boolean> {
    const row = await this.knex('provisioning_frozen')
      .where({ system, tenant_ref: tenantRef })
      .first('object_id');
    return row !== undefined;
  }

  /** The Authentik group ids of the tenants (all, or only those whose effective status is active), but one. */
  async tenantGroupIds(options: {
    activeOnly: boolean;
    except?: string;
  }): Promise<Set<string>> {
    const q = this.knex({ c: 'provisioning_conditions' })
      .join({ t: 'provisioning_tenants' }, 't.tenant_ref', 'c.tenant_ref')
      .where({ 'c.step': 'authentik' })
      .whereNotNull('c.external')
      .select('c.external');
    if (options.activeOnly) q.where('t.status', 'active');
    if (options.except) q.whereNot('t.tenant_ref', options.except);
    const ids = new Set<string>();
    for (const r of (await q) as Array<{ external: string }>) {
      const id = (JSON.parse(r.external) as { groupId?: string }).groupId;
      if (id) ids.add(id);
    }
    return ids;
  }

  /**
   * Runs `fn` holding the lock of a system's rotating credential: one
   * holder at a time. `fn` gets the stored credential (absent the first
   * time) and returns what to store, or undefined to leave it.
   *
   * On PostgreSQL the lock is the row's (`SELECT … FOR UPDATE`), so it holds
   * across instances. On SQLite — one instance, and knex gives it a single
   * connection — a transaction held across `fn`'s HTTP call would stall
   * every other query of the plugin until the call ended; an in-process lock
   * serializes the holders instead, and the row is read and written in
   * short statements around `fn`.
   */
  async withCredential<T>(
    system: string,
    fn: (stored: StoredCredential | undefined) => Promise<{
      result: T;
      store?: StoredCredential;
    }>,
  ): Promise<T> {
    if (this.isPostgres) return this.withCredentialRowLock(system, fn);
    const previous = this.credentialLocks.get(system) ?? Promise.resolve();
    const run = previous.then(async () => {
      const row = await this.knex('provisioning_credentials')
        .where({ system })
        .first();
      const { result, store } = await fn(credentialOf(row));
      if (store) await this.storeCredential(this.knex, system, store);
      return result;
    });
    this.credentialLocks.set(
      system,
      run.then(
        () => undefined,
        () => undefined,
      ),
    );
    return run;
  }

  private readonly credentialLocks = new Map<string, Promise<void>>();

  private async withCredentialRowLock<T>(
    system: string,
    fn: (stored: StoredCredential | undefined) => Promise<{
      result: T;
      store?: StoredCredential;
    }>,
  ): Promise<T> {
    return this.knex.transaction(async tx => {
      let row = await tx('provisioning_credentials')
        .where({ system })
        .first()
        .forUpdate();
      if (!row) {
        // the first holder creates the row; a concurrent creator waits on the key
        await tx('provisioning_credentials')
          .insert({
            system,
            refresh_token: '',
            updated_at: new Date().toISOString(),
          })
          .onConflict('system')
          .ignore();
        row = await tx('provisioning_credentials')
          .where({ system })
          .first()
          .forUpdate();
      }
      const { result, store } = await fn(credentialOf(row));
      if (store) await this.storeCredential(tx, system, store);
      return result;
    });
  }

  private async storeCredential(
    db: Knex | Knex.Transaction,
    system: string,
    store: StoredCredential,
  ) {
    await db('provisioning_credentials')
      .insert({
        system,
        refresh_token: store.refreshToken,
        access_token: store.accessToken ?? null,
        access_expires_at: store.accessExpiresAt ?? null,
        updated_at: new Date().toISOString(),
      })
      .onConflict('system')
      .merge();
  }
}
