/**
 * The feature flags backend: the flag store, the API under /api/flags, OFREP
 * for OpenFeature clients, and the audit of every change (docs/flags.md).
 *
 * @packageDocumentation
 */
export { flagsPlugin as default } from './plugin';
export { flagsPlugin } from './plugin';
export type { FlagEvaluator } from './service/FlagEvaluator';
export {
  DefaultFlagEvaluator,
  type FlagSnapshot,
} from './service/DefaultFlagEvaluator';
export {
  CatalogTenantDirectory,
  type FlagTenant,
  type TenantDirectory,
} from './service/TenantDirectory';
export { FlagStore } from './database/FlagStore';
