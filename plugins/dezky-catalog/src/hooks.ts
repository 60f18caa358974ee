import { Entity } from '@backstage/catalog-model';
import {
  discoveryApiRef,
  fetchApiRef,
  useApi,
} from '@backstage/frontend-plugin-api';
import { ProvisioningApi, TenantLifecycle, TenantPhase } from './provisioning';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { useRef } from 'react';
import useAsync from 'react-use/esm/useAsync';
import {
  DEZKY_API_VERSION,
  DezkyKind,
  TenantEntityV1alpha1,
} from '@internal/plugin-dezky-catalog-common';
import {
  TENANT_FACETS_REQUEST,
  TenantsView,
  tenantFilterOptions,
  tenantsPageRequest,
} from './tenantsQuery';

/** Loads every entity of one Dezky kind that the signed-in user may see. */
export function useDezkyEntities<T extends Entity>(kind: DezkyKind) {
  const catalogApi = useApi(catalogApiRef);
  return useAsync(async () => {
    const { items } = await catalogApi.getEntities({
      filter: { kind, apiVersion: DEZKY_API_VERSION },
      order: { field: 'metadata.name', order: 'asc' },
    });
    return items as T[];
  }, [catalogApi, kind]);
}

/**
 * One page of the tenants the signed-in user may see, as the view asks
 * (filters, search, sort, page), with the number of matches. The catalog
 * does the work; the table shows only `fields`, so rows are partial.
 *
 * Counting the matches costs more than the page itself, so once the count of
 * a filter is known, other pages and sorts of the same filter are asked
 * without it (`totalItems: 'exclude'`), unless an answer shows it is out of
 * date.
 */
export function useTenantsPage(view: TenantsView) {
  const catalogApi = useApi(catalogApiRef);
  const known = useRef<{ filter: string; totalItems: number }>();
  const request = tenantsPageRequest(view);
  const key = JSON.stringify(request);
  return useAsync(async () => {
    const filter = JSON.stringify([request.query, request.fullTextFilter]);
    const count = known.current?.filter === filter ? known.current : undefined;
    if (count) {
      const { items } = await catalogApi.queryEntities({
        ...request,
        totalItems: 'exclude',
      });
      const offset = request.offset ?? 0;
      const fits =
        items.length === request.limit
          ? offset + items.length <= count.totalItems
          : offset + items.length === count.totalItems;
      if (fits) {
        return {
          items: items as TenantEntityV1alpha1[],
          totalItems: count.totalItems,
        };
      }
    }
    const { items, totalItems } = await catalogApi.queryEntities(request);
    known.current = { filter, totalItems };
    return { items: items as TenantEntityV1alpha1[], totalItems };
    // the request is a function of key
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [catalogApi, key]);
}

/**
 * The partner and plan choices of the tenants filters, and the total; asked
 * once `ready` (after the first page, see TENANT_FACETS_REQUEST).
 */
export function useTenantFilterOptions(ready: boolean) {
  const catalogApi = useApi(catalogApiRef);
  return useAsync(async () => {
    if (!ready) return undefined;
    const { facets } = await catalogApi.getEntityFacets(TENANT_FACETS_REQUEST);
    return tenantFilterOptions(facets);
  }, [catalogApi, ready]);
}

/** One entity the catalog could not accept, with why. */
export interface CatalogProblem {
  entityRef: string;
  location?: string;
  messages: string[];
}

/**
 * Entities that failed processing and so are not in the catalog, from the
 * catalog's unprocessed-entities endpoint. Resolves to undefined when the
 * user may not read it.
 */
export function useCatalogProblems() {
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  return useAsync(async (): Promise<CatalogProblem[] | undefined> => {
    const base = await discoveryApi.getBaseUrl('catalog');
    const res = await fetchApi.fetch(`${base}/entities/unprocessed/pending`);
    if (res.status === 403 || res.status === 404) {
      return undefined;
    }
    if (!res.ok) {
      throw new Error(
        `Could not load catalog problems: ${res.status} ${res.statusText}`,
      );
    }
    const body = (await res.json()) as {
      entities: Array<{
        entity_ref?: string;
        unprocessed_entity: Entity;
        errors?: Array<{ message: string }>;
        location_key?: string;
      }>;
    };
    return body.entities
      .filter(e => e.errors?.length)
      .map(e => ({
        entityRef: `${e.unprocessed_entity.kind}/${e.unprocessed_entity.metadata?.name}`,
        location:
          e.unprocessed_entity.metadata?.annotations?.[
            'backstage.io/managed-by-location'
          ],
        messages: (e.errors ?? []).map(x => x.message),
      }));
  }, [discoveryApi, fetchApi]);
}

/** What the tenants table shows of a tenant's provisioning. */
export interface TenantProvisioningState {
  phase: TenantPhase;
  /** Its effective status (git and the portal's holds); absent from an older backend. */
  lifecycle?: TenantLifecycle;
}

/**
 * The provisioning phase and status of each of the tenants `names` (a page
 * of the tenants table), in one call; a tenant the engine has not seen has
 * none, and so has every tenant without the provisioning plugin
 * (`provisioning` undefined).
 */
export function useTenantProvisioning(
  provisioning: ProvisioningApi | undefined,
  names: string[],
) {
  // without the plugin, nothing to read again when the page changes
  const key = provisioning ? names.join(',') : '';
  return useAsync(async (): Promise<Map<string, TenantProvisioningState>> => {
    if (!provisioning || !key) return new Map();
    const tenants = key.split(',');
    const { items } = await provisioning.listTenants({
      tenants,
      limit: tenants.length,
    });
    return new Map(
      items.map(t => [t.tenant, { phase: t.phase, lifecycle: t.lifecycle }]),
    );
  }, [provisioning, key]);
}
