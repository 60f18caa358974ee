import { AuthService, DiscoveryService } from '@backstage/backend-plugin-api';
import { RELATION_DEPENDS_ON } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { TenantHealth } from '@internal/plugin-billing-common';
import { TenantPhase } from '@internal/plugin-provisioning-common';
import { ProvisioningService } from '@internal/plugin-provisioning-node';
import { TenantHealthStore } from '../database/TenantHealthStore';
import { IntegrationHealth, tenantHealth } from './tenantHealth';

/** Where a tenant's health comes from: each read in bulk, once per refresh. */
export interface TenantHealthSources {
  /** Every tenant provisioning knows, with its phase. */
  provisioning(): Promise<Array<{ tenant: string; phase: TenantPhase }>>;
  /** Every integration's status, as the health plugin knows it. */
  integrations(): Promise<
    Array<{ integration: string; status: IntegrationHealth }>
  >;
  /** Every Tenant entity (`metadata.name`) with the Integration entity refs it depends on. */
  catalog(): Promise<Array<{ tenant: string; integrations: string[] }>>;
}

/** What a refresh wrote. */
export interface TenantHealthSummary {
  at: string;
  tenants: number;
  ok: number;
  warn: number;
  bad: number;
}

const lower = (s: string) => s.toLocaleLowerCase('en-US');

/** A source's failure, saying which source it was. */
async function read<T>(source: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw new Error(
      `tenant health not refreshed (each tenant keeps its last): ${source}: ${
        (error as Error)?.message ?? error
      }`,
      {
        cause: error,
      },
    );
  }
}

/**
 * Each tenant's health (docs/reports.md#health, {@link tenantHealth}), kept
 * in billing_tenants (`health`, `health_reasons`, `health_at`) so that the
 * daily snapshot carries it into the MRR history.
 *
 * A refresh reads its three sources in bulk — provisioning's tenant list,
 * the health plugin's status of every integration, the catalog's Tenant
 * entities with their `dependsOn` relations — then writes every tenant's
 * health in one transaction. Tenants are matched by `metadata.name` (case
 * insensitive; tenants live in the default namespace, as provisioning
 * assumes). When any source fails the refresh throws before writing
 * anything: every tenant keeps its previous health.
 */
export class TenantHealthService {
  constructor(
    private readonly deps: {
      store: TenantHealthStore;
      sources: TenantHealthSources;
      now?: () => Date;
    },
  ) {}

  async refresh(): Promise<TenantHealthSummary> {
    const { sources } = this.deps;
    const [provisioned, statuses, entities] = await Promise.all([
      read('provisioning', () => sources.provisioning()),
      read('health status', () => sources.integrations()),
      read('catalog', () => sources.catalog()),
    ]);
    const phases = new Map(provisioned.map(t => [lower(t.tenant), t.phase]));
    const status = new Map(statuses.map(s => [lower(s.integration), s.status]));
    const uses = new Map(entities.map(e => [lower(e.tenant), e.integrations]));
    const at = (this.deps.now?.() ?? new Date()).toISOString();
    const counts: Record<TenantHealth, number> = { ok: 0, warn: 0, bad: 0 };
    const tenants = await this.deps.store.refresh(
      subjects =>
        new Map(
          subjects.map(s => {
            const result = tenantHealth({
              phase: phases.get(lower(s.tenant)),
              condition: s.condition,
              integrations: (uses.get(lower(s.tenant)) ?? []).map(ref => ({
                ref,
                status: status.get(lower(ref)),
              })),
            });
            counts[result.health] += 1;
            return [s.tenantRef, result];
          }),
        ),
      at,
    );
    return { at, tenants, ...counts };
  }
}

/**
 * The health plugin's status of every integration (`GET /api/health/status`)
 * with this plugin's service token.
 */
export function healthStatusReader(deps: {
  discovery: DiscoveryService;
  auth: AuthService;
  fetch?: typeof fetch;
}): TenantHealthSources['integrations'] {
  return async () => {
    const base = await deps.discovery.getBaseUrl('health');
    const { token } = await deps.auth.getPluginRequestToken({
      onBehalfOf: await deps.auth.getOwnServiceCredentials(),
      targetPluginId: 'health',
    });
    const res = await (deps.fetch ?? fetch)(`${base}/status`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (!res.ok) throw await ResponseError.fromResponse(res);
    const body = (await res.json()) as { items?: unknown };
    const items = Array.isArray(body?.items) ? body.items : undefined;
    const valid = items?.every(
      i => typeof i?.integration === 'string' && typeof i?.status === 'string',
    );
    if (!items || !valid) {
      throw new Error(
        'GET /api/health/status answered something other than { items: [{ integration, status }] }',
      );
    }
    return items.map(i => ({
      integration: i.integration as string,
      status: i.status as IntegrationHealth,
    }));
  };
}

/** Every Tenant entity with the Integration entities it depends on (`metadata.name` and relations only). */
export function catalogTenantIntegrations(deps: {
  catalog: CatalogService;
  auth: AuthService;
}): TenantHealthSources['catalog'] {
  return async () => {
    const { items } = await deps.catalog.getEntities(
      {
        filter: { kind: 'Tenant' },
        fields: ['metadata.name', 'relations'],
      },
      { credentials: await deps.auth.getOwnServiceCredentials() },
    );
    return items.map(entity => ({
      tenant: entity.metadata.name,
      integrations: [
        ...new Set(
          (entity.relations ?? [])
            .filter(
              r =>
                r.type === RELATION_DEPENDS_ON &&
                lower(r.targetRef).startsWith('integration:'),
            )
            .map(r => lower(r.targetRef)),
        ),
      ],
    }));
  };
}

/** Provisioning's tenant list, as the health refresh reads it. */
export function provisioningPhases(
  provisioning: Pick<ProvisioningService, 'tenants'>,
): TenantHealthSources['provisioning'] {
  return async () =>
    (await provisioning.tenants()).map(t => ({
      tenant: t.tenant,
      phase: t.phase,
    }));
}
