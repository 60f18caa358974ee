import { DezkyTenant } from '@internal/plugin-dezky-node';

export { CatalogTenantDirectory } from '@internal/plugin-dezky-node';

/** A tenant as flag evaluation needs it (name exact: the rollout hash uses it). */
export type FlagTenant = DezkyTenant;

/** The catalog's tenants, for evaluation contexts and previews. */
export interface TenantDirectory {
  /** Every tenant, by name. */
  all(): Promise<FlagTenant[]>;
  /** By metadata.name, case-insensitive. */
  byName(name: string): Promise<FlagTenant | undefined>;
}
