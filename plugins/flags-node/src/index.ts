/**
 * Feature flags for backend code: the evaluation rules (docs/flags.md), the
 * client other backend plugins use (`flagsServiceRef`), and the permission
 * resource of a flag's effect on a tenant.
 *
 * @packageDocumentation
 */
export {
  compileFlag,
  compileFlags,
  evaluateFlag,
  isScopeEmpty,
  matchesScope,
  rolloutBucket,
  rolloutThreshold,
  type CompiledFlag,
  type CompiledFlags,
} from './evaluate';
export {
  flagTenantPermissionRules,
  flagTenantResourceRef,
  type FlagTenantScope,
} from './permissions';
export {
  FlagsClient,
  type FlagsClientOptions,
  type FlagsService,
} from './client/FlagsClient';
export { notifyFlagsChanged, onFlagsChanged } from './client/changes';
export {
  DEFAULT_FLAGS_ENVIRONMENT,
  flagsServiceRef,
} from './client/serviceRef';
