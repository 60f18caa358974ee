import {
  AuthService,
  DiscoveryService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { DezkyTenantDirectory } from '@internal/plugin-dezky-node';
import {
  Flag,
  FlagContext,
  FlagEvaluation,
} from '@internal/plugin-flags-common';
import { CompiledFlags, compileFlags } from '../evaluate';
import { onFlagsChanged } from './changes';

/**
 * Feature flags for backend plugins (`deps: { flags: flagsServiceRef }`).
 *
 * @public
 */
export interface FlagsService {
  /**
   * Whether the flag is on for the tenant. `tenantRef` is a Tenant entity ref
   * (`tenant:default/acme`) or its name (`acme`). An unknown flag is off.
   * An unknown tenant is evaluated with its name and the environment only
   * (no plan, no partner).
   */
  isEnabled(flagKey: string, tenantRef: string): Promise<boolean>;
  /** Every flag's value for the tenant, and why, ordered by key. */
  evaluate(tenantRef: string): Promise<FlagEvaluation[]>;
}

interface Snapshot {
  /** The ETag of the flag list it was read from. */
  etag?: string;
  /** Compiled once per snapshot, ordered by key. */
  flags: CompiledFlags;
}

/** Options of {@link FlagsClient}. */
export interface FlagsClientOptions {
  discovery: DiscoveryService;
  auth: AuthService;
  logger: LoggerService;
  /**
   * The catalog's tenants (their plans and partners): a
   * `CatalogTenantDirectory` of `plugin-dezky-node`, which reads
   * them with the plugin's own service credentials and keeps them 30 s.
   */
  tenants: DezkyTenantDirectory;
  /** The portal's environment (config `flags.environment`). */
  environment: string;
  /** How often the snapshot is revalidated (ms, default 5000). */
  pollIntervalMs?: number;
  /** For tests. */
  fetch?: typeof fetch;
}

const sortByKey = (a: Flag, b: Flag) => (a.key < b.key ? -1 : 1);

/**
 * The flags client: a local snapshot of every flag, evaluated in process
 * with the rules of docs/flags.md.
 *
 * Kept current on change: from the first call on, the snapshot is
 * revalidated every `pollIntervalMs` with a conditional `GET
 * /api/flags/flags` (If-None-Match; the ETag is the flag set's version, so
 * an unchanged set costs a 304). A change made through the flags backend of
 * this same process marks the snapshot stale at once, and the next call
 * waits for the new one. Staleness: none for changes made in this process;
 * at most `pollIntervalMs` plus one request for changes made through another
 * backend instance. If the flags backend cannot be reached, the last
 * snapshot keeps being used (a warning is logged); before a first snapshot
 * has been read, calls reject.
 *
 * Tenants' plans and partners come from the tenant directory (the
 * catalog's Tenant entities, kept 30 s by `CatalogTenantDirectory`).
 */
export class FlagsClient implements FlagsService {
  private readonly pollIntervalMs: number;
  private readonly fetch: typeof fetch;
  private snapshot?: Snapshot;
  /** Bumped by every in-process change signal. */
  private generation = 0;
  /** The generation the snapshot is current for; behind `generation` = stale. */
  private freshAt = -1;
  private inflight?: Promise<void>;
  private timer?: ReturnType<typeof setInterval>;
  private unsubscribe?: () => void;

  constructor(private readonly options: FlagsClientOptions) {
    this.pollIntervalMs = options.pollIntervalMs ?? 5_000;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  async isEnabled(flagKey: string, tenantRef: string): Promise<boolean> {
    const flags = await this.currentFlags();
    const flag = flags.get(flagKey);
    if (!flag) {
      return false;
    }
    return flag.evaluate(await this.contextFor(tenantRef)).value;
  }

  async evaluate(tenantRef: string): Promise<FlagEvaluation[]> {
    const flags = await this.currentFlags();
    return flags.evaluateAll(await this.contextFor(tenantRef));
  }

  /** Stops revalidating (on backend shutdown). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private start() {
    if (this.timer) return;
    this.unsubscribe = onFlagsChanged(() => {
      this.generation += 1;
    });
    this.timer = setInterval(() => {
      this.refresh().catch(error =>
        this.options.logger.warn(
          `Flags: could not revalidate the flag snapshot, keeping the last one: ${error}`,
        ),
      );
    }, this.pollIntervalMs);
    // polling must not keep the process (or a test) alive
    this.timer.unref?.();
  }

  private async currentFlags(): Promise<CompiledFlags> {
    this.start();
    // a change signalled while a read was in flight needs one more read
    for (let i = 0; i < 3 && this.freshAt !== this.generation; i++) {
      try {
        await this.refresh();
      } catch (error) {
        if (!this.snapshot) throw error;
        this.options.logger.warn(
          `Flags: could not read the flags, using the last snapshot: ${error}`,
        );
        break;
      }
    }
    return this.snapshot!.flags;
  }

  private refresh(): Promise<void> {
    if (!this.inflight) {
      const generation = this.generation;
      this.inflight = this.load()
        .then(() => {
          this.freshAt = generation;
        })
        .finally(() => {
          this.inflight = undefined;
        });
    }
    return this.inflight;
  }

  private async load(): Promise<void> {
    const { discovery, auth } = this.options;
    const baseUrl = await discovery.getBaseUrl('flags');
    const { token } = await auth.getPluginRequestToken({
      onBehalfOf: await auth.getOwnServiceCredentials(),
      targetPluginId: 'flags',
    });
    const headers: Record<string, string> = {
      Authorization: `Bearer ${token}`,
    };
    if (this.snapshot?.etag) {
      headers['If-None-Match'] = this.snapshot.etag;
    }
    const res = await this.fetch(`${baseUrl}/flags`, { headers });
    if (res.status === 304 && this.snapshot) {
      return;
    }
    if (!res.ok) {
      throw new Error(`GET ${baseUrl}/flags answered ${res.status}`);
    }
    const body = (await res.json()) as { items: Flag[] };
    this.snapshot = {
      etag: res.headers.get('etag') ?? undefined,
      flags: compileFlags([...body.items].sort(sortByKey)),
    };
  }

  /**
   * The context of a Tenant ref or name: a catalog tenant's name, plan and
   * partner; for anything else (not in the catalog, another kind or
   * namespace, not a ref at all) the name alone.
   */
  private async contextFor(tenantRef: string): Promise<FlagContext> {
    const input = tenantRef.trim();
    let ref: ReturnType<typeof parseEntityRef> | undefined;
    try {
      ref = parseEntityRef(input, {
        defaultKind: 'tenant',
        defaultNamespace: 'default',
      });
    } catch {
      ref = undefined; // not a ref: evaluated as an unknown tenant
    }
    const known = ref
      ? await this.options.tenants.byRef(stringifyEntityRef(ref))
      : undefined;
    return {
      tenant: known?.name ?? ref?.name ?? input,
      ...(known?.plan !== undefined && { plan: known.plan }),
      ...(known?.partner !== undefined && { partner: known.partner }),
      environment: this.options.environment,
    };
  }
}
