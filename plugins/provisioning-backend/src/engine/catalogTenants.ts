import { AuthService } from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { DesiredTenant, desiredTenants } from './desired';

const TENANT_FIELDS = [
  'kind',
  'apiVersion',
  'metadata.name',
  'metadata.namespace',
  'metadata.title',
  'spec.partner',
  'spec.status',
  'spec.plan',
  'spec.seats',
  'spec.domains',
  'spec.integrations',
];

/**
 * The desired state of every tenant, read from the catalog with the
 * plugin's own credentials: the Tenant entities and, for their lifecycle,
 * the Integration entities.
 */
export async function readDesiredTenants(deps: {
  catalog: CatalogService;
  auth: AuthService;
}): Promise<DesiredTenant[]> {
  const credentials = await deps.auth.getOwnServiceCredentials();
  const [tenants, integrations] = await Promise.all([
    deps.catalog.getEntities(
      { filter: { kind: 'Tenant' }, fields: TENANT_FIELDS },
      { credentials },
    ),
    deps.catalog.getEntities(
      {
        filter: { kind: 'Integration' },
        fields: [
          'kind',
          'metadata.name',
          'metadata.namespace',
          'spec.lifecycle',
        ],
      },
      { credentials },
    ),
  ]);
  return desiredTenants(tenants.items, integrations.items);
}
