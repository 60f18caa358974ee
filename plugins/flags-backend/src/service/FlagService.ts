import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import { AuditActor, AuditEventInput } from '@internal/plugin-audit-common';
import { AuditTrailService } from '@internal/plugin-audit-node';
import { DezkyTenant, DezkyTenantDirectory } from '@internal/plugin-dezky-node';
import { Flag, FlagEvaluation, FlagScope } from '@internal/plugin-flags-common';
import { compileFlag } from '@internal/plugin-flags-node';
import { Knex } from 'knex';
import { FlagStore } from '../database/FlagStore';
import { DefaultFlagEvaluator } from './DefaultFlagEvaluator';
import {
  checkPct,
  CreateFlagInput,
  PatchFlagInput,
  PreviewInput,
} from './inputs';

/** The audit actions of flag changes. */
export type FlagAction =
  | 'flag.created'
  | 'flag.updated'
  | 'flag.deleted'
  | 'flag.killed';

/** A `{ field: { from, to } }` diff; absent values are null. */
export type FlagDiff = Record<string, { from: unknown; to: unknown }>;

const AXES: Array<keyof FlagScope> = [
  'plans',
  'tenants',
  'partners',
  'environments',
];

/** The fields of a flag as they appear in its audit diffs. */
function fieldsOf(flag: Flag | undefined): Record<string, unknown> {
  if (!flag) {
    return {};
  }
  return {
    description: flag.description,
    type: flag.type,
    state: flag.state,
    pct: flag.pct,
    ...Object.fromEntries(AXES.map(a => [`scope.${a}`, flag.scope[a]])),
    owner: flag.owner,
  };
}

/**
 * The changed fields between two versions of a flag (either may be absent:
 * a creation or a deletion). Scope axes are fields of their own
 * (`scope.tenants`); timestamps are not part of it.
 */
export function diffFlags(before?: Flag, after?: Flag): FlagDiff {
  const a = fieldsOf(before);
  const b = fieldsOf(after);
  const diff: FlagDiff = {};
  for (const field of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const from = a[field] ?? null;
    const to = b[field] ?? null;
    if (JSON.stringify(from) !== JSON.stringify(to)) {
      diff[field] = { from, to };
    }
  }
  return diff;
}

/** A flag as the seeds define it; timestamps are the seeding time. */
export type SeedFlag = Omit<Flag, 'createdAt' | 'updatedAt'>;

const SYSTEM: AuditActor = { type: 'system', ref: 'plugin:flags' };

/** Which tenants (and partners) a caller may see; from the partner scope. */
export interface TenantVisibility {
  /** True for operators and services. */
  all: boolean;
  allows(resource: { tenantRef: string; partnerRef?: string }): boolean;
}

/** The catalog names a scope axis must hold (environments are free). */
const CHECKED_AXES = [
  ['tenants', 'tenant'],
  ['partners', 'partner'],
  ['plans', 'plan'],
] as const;

/**
 * Changes flags. Every change is one transaction: the flag is written, the
 * version bumped, the audit event with its before/after diff recorded
 * (durably, in the audit chain) — and only then committed. If the event
 * cannot be recorded the change is rolled back and the error thrown (the
 * request answers 500): no change without its event. (The reverse — an
 * event for a change whose commit then fails — is possible, not silent:
 * the commit's error reaches the caller.)
 */
export class FlagService {
  constructor(
    private readonly deps: {
      store: FlagStore;
      trail: AuditTrailService;
      tenants: DezkyTenantDirectory;
      evaluator: Pick<DefaultFlagEvaluator, 'snapshot' | 'contextOf'>;
      /** Called after each committed change (the in-process change signal). */
      onChange?: () => void;
      now?: () => Date;
    },
  ) {}

  private now(): string {
    return (this.deps.now?.() ?? new Date()).toISOString();
  }

  private async change<T>(
    fn: (tx: Knex.Transaction) => Promise<{
      result: T;
      event?: AuditEventInput;
    }>,
  ): Promise<T> {
    const { store, trail } = this.deps;
    const { result, changed } = await store.transaction(async tx => {
      const { result: r, event } = await fn(tx);
      if (!event) {
        return { result: r, changed: false };
      }
      await store.bumpVersion(tx);
      // rejects when not stored: the transaction rolls back
      await trail.record([event]);
      return { result: r, changed: true };
    });
    if (changed) {
      this.deps.onChange?.();
    }
    return result;
  }

  private event(
    action: FlagAction,
    key: string,
    actor: AuditActor,
    at: string,
    metadata: FlagDiff,
  ): AuditEventInput {
    return {
      at,
      actor,
      action,
      outcome: 'success',
      resource: { type: 'flag', ref: `flag:${key}`, name: key },
      source: 'portal',
      metadata,
    };
  }

  async create(input: CreateFlagInput, actor: AuditActor): Promise<Flag> {
    checkPct(input.state, input.pct);
    await this.checkScope(input.scope);
    return this.change(async tx => {
      const at = this.now();
      const flag: Flag = {
        key: input.key,
        description: input.description,
        type: input.type,
        state: input.state,
        pct: input.pct,
        scope: normalizeScope(input.scope),
        ...(input.owner ? { owner: input.owner } : {}),
        createdAt: at,
        updatedAt: at,
      };
      if (!(await this.deps.store.insertIfAbsent(flag, tx))) {
        throw new ConflictError(`A flag with key ${input.key} exists`);
      }
      return {
        result: flag,
        event: this.event(
          'flag.created',
          flag.key,
          actor,
          at,
          diffFlags(undefined, flag),
        ),
      };
    });
  }

  /**
   * Applies a partial change. A state other than rollout without a pct
   * resets pct to 0; a pct other than 0 for a flag that is not (or will not
   * be) a rollout is refused. Scope values the flag did not have must be
   * catalog names (checkScope). A change that changes nothing writes and
   * records nothing, and keeps the flag set's version.
   */
  async update(
    key: string,
    patch: PatchFlagInput,
    actor: AuditActor,
  ): Promise<Flag> {
    // The catalog is read before the transaction, never inside it: on SQLite
    // the catalog, verifying this plugin's token, reads its keys from this
    // plugin's database, whose one connection the transaction holds (a
    // deadlock until the pool's 60 s timeout, then 401).
    const known = patch.scope ? await this.catalogNames() : undefined;
    return this.change(async tx => {
      const before = await this.existing(key, tx);
      if (patch.scope) await this.checkScope(patch.scope, before.scope, known);
      const state = patch.state ?? before.state;
      let pct = patch.pct ?? before.pct;
      if (patch.pct === undefined && state !== 'rollout') {
        pct = 0;
      }
      checkPct(state, pct);
      const next: Flag = {
        ...before,
        description: patch.description ?? before.description,
        type: patch.type ?? before.type,
        state,
        pct,
        scope: normalizeScope({
          plans: patch.scope?.plans ?? before.scope.plans,
          tenants: patch.scope?.tenants ?? before.scope.tenants,
          partners: patch.scope?.partners ?? before.scope.partners,
          environments: patch.scope?.environments ?? before.scope.environments,
        }),
      };
      if (patch.owner === null) {
        delete next.owner;
      } else if (patch.owner !== undefined) {
        next.owner = patch.owner;
      }
      const diff = diffFlags(before, next);
      if (!Object.keys(diff).length) {
        return { result: before };
      }
      const at = this.now();
      const after = { ...next, updatedAt: at };
      await this.deps.store.update(after, tx);
      return {
        result: after,
        event: this.event('flag.updated', key, actor, at, diff),
      };
    });
  }

  /** Off and 0 %, in one call; recorded as flag.killed even if it was off. */
  async kill(key: string, actor: AuditActor): Promise<Flag> {
    return this.change(async tx => {
      const before = await this.existing(key, tx);
      const at = this.now();
      const after: Flag = { ...before, state: 'off', pct: 0, updatedAt: at };
      await this.deps.store.update(after, tx);
      return {
        result: after,
        event: this.event(
          'flag.killed',
          key,
          actor,
          at,
          diffFlags(before, after),
        ),
      };
    });
  }

  async remove(key: string, actor: AuditActor): Promise<void> {
    await this.change(async tx => {
      const before = await this.existing(key, tx);
      await this.deps.store.delete(key, tx);
      const at = this.now();
      return {
        result: undefined,
        event: this.event(
          'flag.deleted',
          key,
          actor,
          at,
          diffFlags(before, undefined),
        ),
      };
    });
  }

  /**
   * Creates the flags that do not exist yet, each recorded as flag.created
   * by the system; existing flags (whatever operators made of them) are
   * left alone. Returns the keys created.
   */
  async seed(flags: SeedFlag[]): Promise<string[]> {
    const created: string[] = [];
    for (const seed of flags) {
      const inserted = await this.change(async tx => {
        const at = this.now();
        const flag: Flag = { ...seed, createdAt: at, updatedAt: at };
        if (!(await this.deps.store.insertIfAbsent(flag, tx))) {
          return { result: false };
        }
        return {
          result: true,
          event: this.event(
            'flag.created',
            flag.key,
            SYSTEM,
            at,
            diffFlags(undefined, flag),
          ),
        };
      });
      if (inserted) created.push(seed.key);
    }
    return created;
  }

  /**
   * Refuses scope values that name no tenant, partner or plan of the
   * catalog (exactly: evaluation compares names as they are), naming them.
   * Values the flag already had (`before`) are kept even if the catalog no
   * longer has them, so an unrelated edit never fails on them.
   */
  async checkScope(
    scope: Partial<FlagScope>,
    before?: FlagScope,
    /** The catalog's names, when read already (outside a transaction). */
    catalog?: Record<'tenants' | 'partners' | 'plans', Set<string>>,
  ): Promise<void> {
    const added = CHECKED_AXES.map(([axis, kind]) => ({
      axis,
      kind,
      values: (scope[axis] ?? []).filter(v => !before?.[axis].includes(v)),
    })).filter(a => a.values.length);
    if (!added.length) return;
    const known = catalog ?? (await this.catalogNames());
    const problems = added
      .map(({ axis, kind, values }) => {
        const unknown = [...new Set(values)].filter(v => !known[axis].has(v));
        return unknown.length
          ? `scope.${axis}: unknown ${kind}${
              unknown.length > 1 ? 's' : ''
            } ${unknown.join(', ')}`
          : undefined;
      })
      .filter(Boolean);
    if (problems.length) throw new InputError(problems.join('; '));
  }

  private async catalogNames(): Promise<
    Record<'tenants' | 'partners' | 'plans', Set<string>>
  > {
    const [tenants, partners] = await Promise.all([
      this.deps.tenants.all(),
      this.deps.tenants.partners(),
    ]);
    return {
      tenants: new Set(tenants.map(t => t.name)),
      partners: new Set(partners.map(p => p.name)),
      plans: new Set(tenants.flatMap(t => (t.plan ? [t.plan] : []))),
    };
  }

  /**
   * How many of the tenants the caller may see a flag with this state, pct
   * and scope would be on for ("≈ N of M"). Scope values the caller cannot
   * see count as unknown, so the answer is the same whether another
   * partner's tenant exists or not.
   */
  async preview(
    input: PreviewInput,
    visibility: TenantVisibility,
  ): Promise<{ matching: number; total: number }> {
    checkPct(input.state, input.pct);
    if (input.state === 'rollout' && !input.key) {
      throw new InputError(
        'key: required for a rollout preview (the bucket depends on the flag key)',
      );
    }
    const flag: Flag = {
      key: input.key ?? '',
      description: '',
      type: 'release',
      state: input.state,
      pct: input.pct,
      scope: normalizeScope(input.scope),
      createdAt: '',
      updatedAt: '',
    };
    const visible = (await this.deps.tenants.all()).filter(t =>
      visibility.allows(t),
    );
    const { evaluator } = this.deps;
    const compiled = compileFlag(flag);
    const matching = visible.filter(
      t => compiled.evaluate(evaluator.contextOf(t)).value,
    ).length;
    return { matching, total: visible.length };
  }

  /**
   * Every flag for each named tenant the caller may see, in the order asked,
   * each tenant once; unknown tenants and those of other partners are left
   * out (alike).
   */
  async evaluateMany(
    names: string[],
    visibility: TenantVisibility,
  ): Promise<Array<{ tenant: string; flags: FlagEvaluation[] }>> {
    const { evaluator, tenants } = this.deps;
    const { compiled } = await evaluator.snapshot();
    const seen = new Set<string>();
    const results = [];
    for (const name of names) {
      const tenant = await tenants.byName(name);
      if (!tenant || seen.has(tenant.name) || !visibility.allows(tenant)) {
        continue;
      }
      seen.add(tenant.name);
      const context = evaluator.contextOf(tenant);
      results.push({
        tenant: tenant.name,
        flags: compiled.evaluateAll(context),
      });
    }
    return results;
  }

  /**
   * The flags as the caller may see them: unchanged for operators and
   * services; for partner staff, `scope.tenants` and `scope.partners` keep
   * only their own partners' names, and `hidden` counts the rest.
   */
  async viewFor(flags: Flag[], visibility: TenantVisibility): Promise<Flag[]> {
    if (visibility.all) return flags;
    const [tenants, partners] = await Promise.all([
      this.deps.tenants.all(),
      this.deps.tenants.partners(),
    ]);
    const tenantByName = new Map<string, DezkyTenant>(
      tenants.map(t => [t.name, t]),
    );
    const partnerRefByName = new Map(partners.map(p => [p.name, p.partnerRef]));
    const seesTenant = (name: string) => {
      const tenant = tenantByName.get(name);
      return !!tenant && visibility.allows(tenant);
    };
    const seesPartner = (name: string) => {
      const partnerRef = partnerRefByName.get(name);
      return !!partnerRef && visibility.allows({ tenantRef: '', partnerRef });
    };
    return flags.map(flag => {
      const tenantNames = flag.scope.tenants.filter(seesTenant);
      const partnerNames = flag.scope.partners.filter(seesPartner);
      const hidden = {
        tenants: flag.scope.tenants.length - tenantNames.length,
        partners: flag.scope.partners.length - partnerNames.length,
      };
      const { hidden: _ignored, ...rest } = flag;
      return {
        ...rest,
        scope: { ...flag.scope, tenants: tenantNames, partners: partnerNames },
        ...(hidden.tenants || hidden.partners ? { hidden } : {}),
      };
    });
  }

  private async existing(key: string, tx: Knex.Transaction): Promise<Flag> {
    const flag = await this.deps.store.get(key, tx);
    if (!flag) {
      throw new NotFoundError(`No flag ${key}`);
    }
    return flag;
  }
}

/** Every axis present, each list without duplicates, in the order given. */
function normalizeScope(scope: Partial<FlagScope>): FlagScope {
  const list = (l?: string[]) => [...new Set(l ?? [])];
  return {
    plans: list(scope.plans),
    tenants: list(scope.tenants),
    partners: list(scope.partners),
    environments: list(scope.environments),
  };
}
