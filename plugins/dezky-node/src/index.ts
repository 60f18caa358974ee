/**
 * Shared backend helpers for the Dezky plugins: who is asking (operator, staff
 * of which partners, which tenants) and the permission rules that scope data
 * to a partner, and the catalog's tenants as every plugin looks them up.
 *
 * @packageDocumentation
 */
export type { DezkyAccess, DezkyRole } from './access/types';
export type { DezkyAccessService } from './access/DezkyAccessService';
export { DefaultDezkyAccessService } from './access/DezkyAccessService';
export { dezkyAccessServiceRef } from './access/serviceRef';
export {
  dezkyCatalogPermissionRules,
  isMemberOfGroupCatalogRule,
  isTenantOfPartnerCatalogRule,
} from './access/catalogRules';
export * from './permissions';
export {
  CatalogTenantDirectory,
  staticTenantDirectory,
  type DezkyPartner,
  type DezkyTenant,
  type TenantDirectory as DezkyTenantDirectory,
} from './tenants/CatalogTenantDirectory';
export {
  createRouterKit,
  type PartnerScope,
  type Refusal,
  type RefusalRecorder,
  type RouterKit,
  type RouterKitOptions,
} from './http/routerKit';
export { parseInput } from './http/parse';
export { csvField, csvRecord, sendCsv } from './http/csv';
export { pageQuery, tenantName } from './http/schemas';
export { PayloadTooLargeError, UnsupportedMediaTypeError } from './http/errors';
export { migrateLatest, type MigrateLatestOptions } from './database/migrate';
