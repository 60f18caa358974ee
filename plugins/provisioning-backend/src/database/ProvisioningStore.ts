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
  PROVISIONING_STEPS,
  ProvisioningAttempt,
  ProvisioningStep,
  ProvisioningTrigger,
  STEP_STATUSES,
  StepCondition,
  StepStatus,
  TENANT_PHASES,
  TenantPhase,
} from '@internal/plugin-provisioning-common';
import { Knex } from 'knex';

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
  /** The desired state, as built by `desiredState` (JSON). */
  desired: unknown;
  desiredHash: string;
  phase: TenantPhase;
  dueAt?: string;
  trigger?: ProvisioningTrigger;
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

function tenantFromRow(row: TenantRow): StoredTenant {
  return {
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
  static async create(options: { database: DatabaseService }) {
    const knex = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      await migrateLatest(knex, { directory: migrationsDir });
    }
    return new ProvisioningStore(knex);
  }

  constructor(readonly knex: Knex) {}

  private get isPostgres() {
    return this.knex.client.config.client === 'pg';
  }

  /**
   * Makes the stored tenants the catalog's: new tenants and tenants whose
   * desired state changed are queued (trigger `catalog`) at once; tenants no
   * longer in the catalog are removed with their conditions (nothing is torn
   * down outside: that is the tenant lifecycle's terminate).
   */
  async syncTenants(
    tenants: Array<Omit<StoredTenant, 'phase' | 'dueAt' | 'trigger'>>,
    now: string,
  ): Promise<SyncResult> {
    return this.knex.transaction(async tx => {
      const existing = new Map<string, string>(
        (
          await tx<TenantRow>('provisioning_tenants').select(
            'tenant_ref',
            'desired_hash',
          )
        ).map(r => [r.tenant_ref, r.desired_hash]),
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
          updated_at: now,
        };
        if (hash === undefined) {
          result.added.push(t.tenantRef);
          inserts.push({
            tenant_ref: t.tenantRef,
            ...row,
            phase: 'pending',
            due_at: now,
            trigger: 'catalog',
            request_seq: 1,
          });
        } else if (hash !== t.desiredHash) {
          result.changed.push(t.tenantRef);
          const current = await tx<TenantRow>('provisioning_tenants')
            .where({ tenant_ref: t.tenantRef })
            .first('due_at');
          await tx('provisioning_tenants')
            .where({ tenant_ref: t.tenantRef })
            .update({
              ...row,
              due_at: earlier(current?.due_at, now),
              trigger: 'catalog',
              request_seq: tx.raw('request_seq + 1'),
            });
        }
      }
      for (const batch of chunks(inserts, 50)) {
        await tx('provisioning_tenants').insert(batch);
      }
      result.removed = [...existing.keys()].filter(ref => !seen.has(ref));
      for (const batch of chunks(result.removed)) {
        await tx('provisioning_conditions').whereIn('tenant_ref', batch).del();
        await tx('provisioning_attempts').whereIn('tenant_ref', batch).del();
        await tx('provisioning_dns_records').whereIn('tenant_ref', batch).del();
        await tx('provisioning_tenants').whereIn('tenant_ref', batch).del();
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
  }): Promise<void> {
    const { tenantRef, owner, requestSeq, phase, dueAt, now } = options;
    await this.knex.transaction(async tx => {
      const row = await tx<TenantRow>('provisioning_tenants')
        .where({ tenant_ref: tenantRef })
        .first('request_seq', 'lease_owner', 'trigger');
      if (!row || row.lease_owner !== owner) return;
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
      const q = this.knex<TenantRow>({ t: 'provisioning_tenants' });
      if (filter.scope) applyPartnerScope(q, filter.scope, SCOPE_COLUMNS);
      if (filter.phase) q.where('t.phase', filter.phase);
      if (filter.ref) q.where('t.tenant_ref', filter.ref);
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
   * Runs `fn` holding the row lock of a system's rotating credential (on
   * PostgreSQL `SELECT … FOR UPDATE`; SQLite serializes writers): one holder
   * at a time across instances. `fn` gets the stored credential (absent the
   * first time) and returns what to store, or undefined to leave it.
   */
  async withCredential<T>(
    system: string,
    fn: (
      stored:
        | {
            refreshToken: string;
            accessToken?: string;
            accessExpiresAt?: string;
          }
        | undefined,
    ) => Promise<{
      result: T;
      store?: {
        refreshToken: string;
        accessToken?: string;
        accessExpiresAt?: string;
      };
    }>,
  ): Promise<T> {
    return this.knex.transaction(async tx => {
      let query = tx('provisioning_credentials').where({ system }).first();
      if (this.isPostgres) query = query.forUpdate();
      let row = await query;
      if (!row && this.isPostgres) {
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
      const stored =
        row && row.refresh_token
          ? {
              refreshToken: row.refresh_token as string,
              ...(row.access_token ? { accessToken: row.access_token } : {}),
              ...(row.access_expires_at
                ? { accessExpiresAt: row.access_expires_at }
                : {}),
            }
          : undefined;
      const { result, store } = await fn(stored);
      if (store) {
        await tx('provisioning_credentials')
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
      return result;
    });
  }
}
