import { AuthService } from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  isTenantEntity,
  tenantPartnerRef,
} from '@internal/plugin-dezky-catalog-common';

/** A tenant as the audit trail needs it: to attribute events. */
export interface TenantInfo {
  /** e.g. tenant:default/acme (lower case). */
  tenantRef: string;
  /** e.g. partner:default/nordlicht-it; absent for direct customers. */
  partnerRef?: string;
  /** metadata.name, the slug external systems know the tenant by. */
  name: string;
  domains: string[];
}

/** Finds the tenant an external event belongs to. */
export interface TenantDirectory {
  byRef(ref: string): Promise<TenantInfo | undefined>;
  /** By slug (metadata.name), e.g. an Authentik group or OCIS space name. */
  byName(name: string): Promise<TenantInfo | undefined>;
  /** By one of the tenant's mail domains, case-insensitive. */
  byDomain(domain: string): Promise<TenantInfo | undefined>;
}

const lower = (s: string) => s.toLocaleLowerCase('en-US');

interface Index {
  byRef: Map<string, TenantInfo>;
  byName: Map<string, TenantInfo>;
  byDomain: Map<string, TenantInfo>;
}

/**
 * Reads the Tenant entities from the catalog with the plugin's own service
 * credentials and keeps the index for `ttlMs` (default 30 s).
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
      // a failed load is not kept: the next caller tries again
      index.catch(() => {
        this.cached = undefined;
      });
    }
    return this.cached.index;
  }

  private async load(): Promise<Index> {
    const credentials = await this.deps.auth.getOwnServiceCredentials();
    const { items } = await this.deps.catalog.getEntities(
      {
        filter: { kind: 'Tenant' },
        fields: [
          'kind',
          'apiVersion',
          'metadata.name',
          'metadata.namespace',
          'spec.partner',
          'spec.domains',
        ],
      },
      { credentials },
    );
    const index: Index = {
      byRef: new Map(),
      byName: new Map(),
      byDomain: new Map(),
    };
    for (const entity of items) {
      if (!isTenantEntity(entity)) continue;
      const info: TenantInfo = {
        tenantRef: lower(stringifyEntityRef(entity)),
        partnerRef: entity.spec.partner
          ? lower(tenantPartnerRef(entity)!)
          : undefined,
        name: lower(entity.metadata.name),
        domains: (entity.spec.domains ?? []).map(lower),
      };
      index.byRef.set(info.tenantRef, info);
      index.byName.set(info.name, info);
      for (const d of info.domains) index.byDomain.set(d, info);
    }
    return index;
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
