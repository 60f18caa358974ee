import {
  AuthService,
  DiscoveryService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import {
  Flag,
  FlagContext,
  FlagEvaluation,
} from '@internal/plugin-flags-common';
import { evaluateFlag } from '../evaluate';
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

/** A tenant's evaluation context, as the catalog has it. */
interface TenantContext {
  tenant: string;
  plan?: string;
  partner?: string;
}

interface Snapshot {
  /** The ETag of the flag list it was read from. */
  etag?: string;
  /** By key. */
  flags: Map<string, Flag>;
}

/** Options of {@link FlagsClient}. */
export interface FlagsClientOptions {
  discovery: DiscoveryService;
  auth: AuthService;
  logger: LoggerService;
  /** The portal's environment (config `flags.environment`). */
  environment: string;
  /** How often the snapshot is revalidated (ms, default 5000). */
  pollIntervalMs?: number;
  /** How long the tenants read from the catalog are kept (ms, default 30000). */
  tenantTtlMs?: number;
  /** For tests. */
  fetch?: typeof fetch;
}

const lower = (s: string) => s.toLocaleLowerCase('en-US');

/** The name part of an entity ref: `partner:default/nordlicht-it` → `nordlicht-it`. */
function refName(ref: string): string {
  const afterKind = ref.includes(':') ? ref.slice(ref.indexOf(':') + 1) : ref;
  return afterKind.includes('/')
    ? afterKind.slice(afterKind.lastIndexOf('/') + 1)
    : afterKind;
}

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
 * Tenants' plans and partners are read from the catalog (Tenant entities,
 * with the plugin's own service credentials) and kept `tenantTtlMs`.
 */
export class FlagsClient implements FlagsService {
  private readonly pollIntervalMs: number;
  private readonly tenantTtlMs: number;
  private readonly fetch: typeof fetch;
  private snapshot?: Snapshot;
  /** Bumped by every in-process change signal. */
  private generation = 0;
  /** The generation the snapshot is current for; behind `generation` = stale. */
  private freshAt = -1;
  private inflight?: Promise<void>;
  private timer?: ReturnType<typeof setInterval>;
  private unsubscribe?: () => void;
  private tenants?: {
    index: Promise<Map<string, TenantContext>>;
    expires: number;
  };

  constructor(private readonly options: FlagsClientOptions) {
    this.pollIntervalMs = options.pollIntervalMs ?? 5_000;
    this.tenantTtlMs = options.tenantTtlMs ?? 30_000;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  async isEnabled(flagKey: string, tenantRef: string): Promise<boolean> {
    const flags = await this.currentFlags();
    const flag = flags.get(flagKey);
    if (!flag) {
      return false;
    }
    return evaluateFlag(flag, await this.contextFor(tenantRef)).value;
  }

  async evaluate(tenantRef: string): Promise<FlagEvaluation[]> {
    const flags = await this.currentFlags();
    const context = await this.contextFor(tenantRef);
    return [...flags.values()]
      .sort((a, b) => (a.key < b.key ? -1 : 1))
      .map(flag => evaluateFlag(flag, context));
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

  private async currentFlags(): Promise<Map<string, Flag>> {
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
      flags: new Map(body.items.map(f => [f.key, f])),
    };
  }

  private async contextFor(tenantRef: string): Promise<FlagContext> {
    const name = refName(tenantRef.trim());
    const known = (await this.tenantIndex()).get(lower(name));
    return {
      tenant: known?.tenant ?? name,
      ...(known?.plan !== undefined && { plan: known.plan }),
      ...(known?.partner !== undefined && { partner: known.partner }),
      environment: this.options.environment,
    };
  }

  private tenantIndex(): Promise<Map<string, TenantContext>> {
    const now = Date.now();
    if (!this.tenants || this.tenants.expires <= now) {
      const index = this.loadTenants();
      this.tenants = { index, expires: now + this.tenantTtlMs };
      // a failed read is not kept: the next call tries again
      index.catch(() => {
        this.tenants = undefined;
      });
    }
    return this.tenants.index;
  }

  private async loadTenants(): Promise<Map<string, TenantContext>> {
    const { discovery, auth } = this.options;
    const baseUrl = await discovery.getBaseUrl('catalog');
    const { token } = await auth.getPluginRequestToken({
      onBehalfOf: await auth.getOwnServiceCredentials(),
      targetPluginId: 'catalog',
    });
    const index = new Map<string, TenantContext>();
    const fields = 'kind,apiVersion,metadata.name,spec.plan,spec.partner';
    let query = `filter=kind=tenant&fields=${fields}&limit=500`;
    for (;;) {
      const res = await this.fetch(`${baseUrl}/entities/by-query?${query}`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      if (!res.ok) {
        throw new Error(`The catalog answered ${res.status} for the tenants`);
      }
      const page = (await res.json()) as {
        items: Array<{
          metadata: { name: string };
          spec?: { plan?: unknown; partner?: unknown };
        }>;
        pageInfo?: { nextCursor?: string };
      };
      for (const entity of page.items) {
        const { plan, partner } = entity.spec ?? {};
        index.set(lower(entity.metadata.name), {
          tenant: entity.metadata.name,
          plan: typeof plan === 'string' && plan ? plan : undefined,
          partner:
            typeof partner === 'string' && partner
              ? refName(partner)
              : undefined,
        });
      }
      const cursor = page.pageInfo?.nextCursor;
      if (!cursor) break;
      query = `cursor=${encodeURIComponent(cursor)}&fields=${fields}&limit=500`;
    }
    return index;
  }
}
