import { AuthService } from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  isTenantEntity,
  tenantPartnerRef,
} from '@internal/plugin-dezky-catalog-common';

/**
 * A tenant as the Dezky plugins look it up: to attribute an event, to
 * evaluate a flag.
 *
 * @public
 */
export interface DezkyTenant {
  /** metadata.name, exactly as in the catalog (flag rollouts hash it). */
  name: string;
  /** e.g. tenant:default/acme (lower case). */
  tenantRef: string;
  /** spec.plan. */
  plan?: string;
  /** The partner's metadata.name; absent for direct customers. */
  partner?: string;
  /** e.g. partner:default/nordlicht-it (lower case); absent for direct customers. */
  partnerRef?: string;
  /** spec.domains, lower case. */
  domains: string[];
}

/**
 * A partner as the Dezky plugins look it up.
 *
 * @public
 */
export interface DezkyPartner {
  /** metadata.name, exactly as in the catalog. */
  name: string;
  /** e.g. partner:default/nordlicht-it (lower case). */
  partnerRef: string;
}

/**
 * Finds tenants (and their partners) in the catalog.
 *
 * @public
 */
export interface TenantDirectory {
  /** Every tenant, by name. */
  all(): Promise<DezkyTenant[]>;
  /** By entity ref, case-insensitive. */
  byRef(ref: string): Promise<DezkyTenant | undefined>;
  /** By metadata.name (the slug external systems know), case-insensitive. */
  byName(name: string): Promise<DezkyTenant | undefined>;
  /** By one of the tenant's mail domains, case-insensitive. */
  byDomain(domain: string): Promise<DezkyTenant | undefined>;
  /** Every Partner entity, by name. */
  partners(): Promise<DezkyPartner[]>;
}

const lower = (s: string) => s.toLocaleLowerCase('en-US');

interface Index {
  byRef: Map<string, DezkyTenant>;
  byName: Map<string, DezkyTenant>;
  byDomain: Map<string, DezkyTenant>;
  partners: DezkyPartner[];
}

const byName = (a: { name: string }, b: { name: string }) =>
  a.name < b.name ? -1 : 1;

function buildIndex(tenants: DezkyTenant[], partners: DezkyPartner[]): Index {
  const index: Index = {
    byRef: new Map(),
    byName: new Map(),
    byDomain: new Map(),
    partners: [...partners].sort(byName),
  };
  for (const tenant of tenants) {
    index.byRef.set(lower(tenant.tenantRef), tenant);
    index.byName.set(lower(tenant.name), tenant);
    for (const d of tenant.domains) index.byDomain.set(lower(d), tenant);
  }
  return index;
}

/**
 * The lookups of a directory over an index read by `index()`. A lookup that
 * finds nothing asks once more with `{ missed: true }`, so a directory that
 * caches may read again (a tenant just added to the catalog, or a read taken
 * before the catalog had ingested everything).
 */
function lookups(
  index: (options?: { missed?: boolean }) => Promise<Index>,
): TenantDirectory {
  const find = async (pick: (i: Index) => DezkyTenant | undefined) =>
    pick(await index()) ?? pick(await index({ missed: true }));
  return {
    all: async () => [...(await index()).byName.values()].sort(byName),
    byRef: ref => find(i => i.byRef.get(lower(ref))),
    byName: name => find(i => i.byName.get(lower(name))),
    byDomain: domain => find(i => i.byDomain.get(lower(domain))),
    partners: async () => (await index()).partners,
  };
}

/**
 * A directory of fixed tenants and partners: for tests, and for callers that
 * already hold the catalog's tenants.
 *
 * @public
 */
export function staticTenantDirectory(
  tenants: DezkyTenant[],
  partners: DezkyPartner[] = [],
): TenantDirectory {
  const index = buildIndex(tenants, partners);
  return lookups(async () => index);
}

/**
 * Reads the Tenant (and Partner) entities from the catalog with the plugin's
 * own service credentials and keeps them for `ttlMs` (default 30 s): a
 * tenant's new plan, partner or domain takes effect within that time. A
 * lookup by ref, name or domain that finds nothing reads again when the read
 * is older than `missRefreshMs` (default 2 s), so a tenant added to the
 * catalog — or every tenant, when the first read came before the catalog
 * finished its first ingestion at start-up — is found at once, not 30 s
 * later. A failed read is not kept; the next caller tries again.
 *
 * @public
 */
export class CatalogTenantDirectory implements TenantDirectory {
  private cached?: { index: Promise<Index>; read: number; expires: number };
  private readonly lookups = lookups(options => this.index(options));
  readonly all = this.lookups.all;
  readonly byRef = this.lookups.byRef;
  readonly byName = this.lookups.byName;
  readonly byDomain = this.lookups.byDomain;
  readonly partners = this.lookups.partners;

  constructor(
    private readonly deps: { catalog: CatalogService; auth: AuthService },
    private readonly ttlMs = 30_000,
    /** A lookup that finds nothing reads again if the read is older than this. */
    private readonly missRefreshMs = 2_000,
  ) {}

  private index(options?: { missed?: boolean }): Promise<Index> {
    const now = Date.now();
    const stale =
      !this.cached ||
      this.cached.expires <= now ||
      (options?.missed && this.cached.read + this.missRefreshMs <= now);
    if (stale) {
      const index = this.load();
      const cached = { index, read: now, expires: now + this.ttlMs };
      this.cached = cached;
      index.catch(() => {
        if (this.cached === cached) this.cached = undefined;
      });
    }
    return this.cached!.index;
  }

  private async load(): Promise<Index> {
    const credentials = await this.deps.auth.getOwnServiceCredentials();
    const [partners, { items }] = await Promise.all([
      this.deps.catalog.getEntities(
        {
          filter: { kind: 'Partner' },
          fields: ['kind', 'metadata.name', 'metadata.namespace'],
        },
        { credentials },
      ),
      this.deps.catalog.getEntities(
        {
          filter: { kind: 'Tenant' },
          fields: [
            'kind',
            'apiVersion',
            'metadata.name',
            'metadata.namespace',
            'spec.plan',
            'spec.partner',
            'spec.domains',
          ],
        },
        { credentials },
      ),
    ]);
    const tenants: DezkyTenant[] = [];
    for (const entity of items) {
      if (!isTenantEntity(entity)) continue;
      const partnerRef = entity.spec?.partner
        ? tenantPartnerRef(entity)
        : undefined;
      tenants.push({
        name: entity.metadata.name,
        tenantRef: lower(stringifyEntityRef(entity)),
        ...(entity.spec?.plan ? { plan: entity.spec.plan } : {}),
        ...(partnerRef
          ? {
              partner: parseEntityRef(partnerRef).name,
              partnerRef: lower(partnerRef),
            }
          : {}),
        domains: (entity.spec?.domains ?? []).map(lower),
      });
    }
    return buildIndex(
      tenants,
      partners.items.map(p => ({
        name: p.metadata.name,
        partnerRef: lower(stringifyEntityRef(p)),
      })),
    );
  }
}
