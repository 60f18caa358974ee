import {
  RELATION_DEPENDS_ON,
  RELATION_OWNED_BY,
  RELATION_OWNER_OF,
} from '@backstage/catalog-model';

/** Tenant → Partner: the tenant is resold by the partner. */
export const RELATION_RESOLD_BY = 'resoldBy';
/** Partner → Tenant: the partner resells the tenant. */
export const RELATION_RESELLS = 'resells';

/**
 * Tenant → Integration (Backstage's own dependsOn). Deliberately one way: see
 * DezkyEntitiesProcessor.
 */
export const RELATION_TENANT_DEPENDS_ON = RELATION_DEPENDS_ON;

export { RELATION_OWNED_BY, RELATION_OWNER_OF };
