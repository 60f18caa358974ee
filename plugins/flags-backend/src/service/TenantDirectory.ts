import { AuthService } from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  isTenantEntity,
  tenantPartnerRef,
} from '@internal/plugin-dezky-catalog-common';

/** A tenant as flag evaluation needs it. */
export interface FlagTenant {
  /** metadata.name, exactly as in the catalog: the rollout hash uses it. */
  name: string;
  /** e.g. tenant:default/acme (lower case). */
  tenantRef: string;
  /** spec.plan. */
  plan?: string;
  /** The partner's metadata.name; absent for direct customers. */
  partner?: string;
  /** e.g. partner:default/nordlicht-it (lower case); absent for direct customers. */
  partnerRef?: string;
}

/** The catalog's tenants, for evaluation contexts and previews. */
export interface TenantDirectory {
  /** Every tenant, by name. */
  all(): Promise<FlagTenant[]>;
  /** By metadata.name, case-insensitive. */
  byName(name: string): Promise<FlagTenant | undefined>;
}

const lower = (s: string) => s.toLocaleLowerCase('en-US');

/**
 * Reads the Tenant entities from the catalog with the plugin's own service
 * credentials and keeps them `ttlMs` (default 30 s, as the audit plugin's
 * directory): a tenant's new plan or partner takes effect in evaluations
 * within that time.
 */
export class CatalogTenantDirectory implements TenantDirectory {
  private cached?: {
    index: Promise<Map<string, FlagTenant>>;
    expires: number;
  };

  constructor(
    private readonly deps: { catalog: CatalogService; auth: AuthService },
    private readonly ttlMs = 30_000,
  ) {}

  private index(): Promise<Map<string, FlagTenant>> {
    const now = Date.now();
    if (!this.cached || this.cached.expires <= now) {
      const index = this.load();
      this.cached = { index, expires: now + this.ttlMs };
      // a failed read is not kept: the next caller tries again
      index.catch(() => {
        this.cached = undefined;
      });
    }
    return this.cached.index;
  }

  private async load(): Promise<Map<string, FlagTenant>> {
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
        ],
      },
      { credentials: await this.deps.auth.getOwnServiceCredentials() },
    );
    const index = new Map<string, FlagTenant>();
    for (const entity of items) {
      if (!isTenantEntity(entity)) continue;
      const partnerRef = entity.spec?.partner
        ? tenantPartnerRef(entity)
        : undefined;
      index.set(lower(entity.metadata.name), {
        name: entity.metadata.name,
        tenantRef: lower(stringifyEntityRef(entity)),
        ...(entity.spec?.plan ? { plan: entity.spec.plan } : {}),
        ...(partnerRef
          ? {
              partner: parseEntityRef(partnerRef).name,
              partnerRef: lower(partnerRef),
            }
          : {}),
      });
    }
    return index;
  }

  async all(): Promise<FlagTenant[]> {
    return [...(await this.index()).values()].sort((a, b) =>
      a.name < b.name ? -1 : 1,
    );
  }

  async byName(name: string): Promise<FlagTenant | undefined> {
    return (await this.index()).get(lower(name));
  }
}
