import {
  Flag,
  FlagContext,
  FlagEvaluation,
} from '@internal/plugin-flags-common';
import { CompiledFlags, compileFlags } from '@internal/plugin-flags-node';
import { FlagStore } from '../database/FlagStore';
import { FlagEvaluator } from './FlagEvaluator';
import { FlagTenant, TenantDirectory } from './TenantDirectory';

/** The flags at one version. */
export interface FlagSnapshot {
  version: string;
  /** Ordered by key. */
  flags: Flag[];
  /** The same flags compiled for evaluation, once per snapshot. */
  compiled: CompiledFlags;
}

/**
 * Evaluates from a snapshot of the store, read again whenever the store's
 * version differs (one small query per call), so a change made through any
 * instance is seen by the next evaluation.
 *
 * The version query is shared by the calls that ask for it before it
 * starts: it starts at the end of the event loop's turn (setImmediate), so
 * requests that arrived together are answered by one query — and every
 * caller still gets a version read after it asked, never an older one.
 */
export class DefaultFlagEvaluator implements FlagEvaluator {
  private cached?: Promise<FlagSnapshot>;
  /** The next version query, while it has not started: callers join it. */
  private nextVersion?: Promise<string>;

  constructor(
    private readonly deps: {
      store: Pick<FlagStore, 'list' | 'version'>;
      tenants: TenantDirectory;
      /** config `flags.environment`. */
      environment: string;
    },
  ) {}

  get environment(): string {
    return this.deps.environment;
  }

  /**
   * The current flags and their version; `knownVersion`, when the caller has
   * just read it, saves reading it again.
   */
  async snapshot(knownVersion?: string): Promise<FlagSnapshot> {
    // the version first: the flags read after it are never older
    const version = knownVersion ?? (await this.version());
    const cached = this.cached && (await this.cached.catch(() => undefined));
    if (cached?.version === version) {
      return cached;
    }
    const load = this.deps.store
      .list()
      .then(flags => ({ version, flags, compiled: compileFlags(flags) }));
    this.cached = load;
    return load;
  }

  version(): Promise<string> {
    if (!this.nextVersion) {
      this.nextVersion = new Promise<void>(resolve =>
        setImmediate(resolve),
      ).then(() => {
        // from now on, callers need a query that starts after them
        this.nextVersion = undefined;
        return this.deps.store.version();
      });
    }
    return this.nextVersion;
  }

  async evaluateAll(
    ctx: FlagContext,
    atVersion?: string,
  ): Promise<FlagEvaluation[]> {
    const { compiled } = await this.snapshot(atVersion);
    return compiled.evaluateAll(ctx);
  }

  async evaluateOne(
    key: string,
    ctx: FlagContext,
  ): Promise<FlagEvaluation | undefined> {
    const { compiled } = await this.snapshot();
    return compiled.get(key)?.evaluate(ctx);
  }

  async contextFor(
    tenantName: string,
    fallback?: { plan?: string; partner?: string },
  ): Promise<FlagContext> {
    const tenant = await this.deps.tenants.byName(tenantName);
    if (tenant) {
      return this.contextOf(tenant);
    }
    return {
      tenant: tenantName,
      ...(fallback?.plan ? { plan: fallback.plan } : {}),
      ...(fallback?.partner ? { partner: fallback.partner } : {}),
      environment: this.deps.environment,
    };
  }

  /** The context of a catalog tenant: its values only. */
  contextOf(tenant: FlagTenant): FlagContext {
    return {
      tenant: tenant.name,
      ...(tenant.plan ? { plan: tenant.plan } : {}),
      ...(tenant.partner ? { partner: tenant.partner } : {}),
      environment: this.deps.environment,
    };
  }
}
