import { DezkyTenant, DezkyTenantDirectory } from '@internal/plugin-dezky-node';

export { CatalogTenantDirectory } from '@internal/plugin-dezky-node';

/** A tenant as the audit trail needs it: to attribute events. */
export type TenantInfo = DezkyTenant;

/** Finds the tenant an external event belongs to (the shared catalog directory). */
export type TenantDirectory = Pick<
  DezkyTenantDirectory,
  'byRef' | 'byName' | 'byDomain'
>;
