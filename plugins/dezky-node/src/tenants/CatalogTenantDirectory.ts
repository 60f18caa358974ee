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
 * Finds tenants in the catalog.
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
}

const lower = (s: string) => s.toLocaleLowerCase('en-US');

interface Index {
  byRef: Map<string, DezkyTenant>;
  byName: Map<string, DezkyTenant>;
  byDomain: Map<string, DezkyTenant>;
}

/**
 * Reads the Tenant entities from the catalog with the plugin's own service
 * credentials and keeps them for `ttlMs` (default 30 s): a tenant's new plan,
 * partner or domain takes effect within that time. A failed read is not
 * kept; the next caller tries again.
 *
 * @public
 */
export class CatalogTenantDirectory implements TenantDirectory {
  private cached?: { index: Promise<Index>; expires: number };

  constructor(
    private readonly deps: { catalog: CatalogService; auth: AuthService },
    private readonly ttlMs = 30_000,
  ) {}

  private index(): Promise<Index> {
    const now = Date.now();
    if (!this.cached || this.cached.expires <= now) {
      const index = this.load();
      this.cached = { index, expires: now + this.ttlMs };
      index.catch(() => {
        this.cached = undefined;
      });
    }
    return this.cached.index;
  }

  private async load(): Promise<Index> {
    const { items } = await this.deps.catalog.getEntities(
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
      { credentials: await this.deps.auth.getOwnServiceCredentials() },
    );
    const index: Index = {
      byRef: new Map(),
      byName: new Map(),
      byDomain: new Map(),
    };
    for (const entity of items) {
      if (!isTenantEntity(entity)) continue;
      const partnerRef = entity.spec?.partner
        ? tenantPartnerRef(entity)
        : undefined;
      const tenant: DezkyTenant = {
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
      };
      index.byRef.set(tenant.tenantRef, tenant);
      index.byName.set(lower(tenant.name), tenant);
      for (const d of tenant.domains) index.byDomain.set(d, tenant);
    }
    return index;
  }

  async all(): Promise<DezkyTenant[]> {
    return [...(await this.index()).byName.values()].sort((a, b) =>
      a.name < b.name ? -1 : 1,
    );
  }

  async byRef(ref: string) {
    return (await this.index()).byRef.get(lower(ref));
  }

  async byName(name: string) {
    return (await this.index()).byName.get(lower(name));
  }

  async byDomain(domain: string) {
    return (await this.index()).byDomain.get(lower(domain));
  }
}
