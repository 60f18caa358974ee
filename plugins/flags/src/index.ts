/**
 * Feature flags in the portal: the Flags page with the flag detail panel
 * (rollout preview, scope, kill switch, history) and the Flags tab on
 * Tenant pages.
 *
 * @packageDocumentation
 */
export { flagsPlugin as default } from './plugin';
export { flagsRouteRef } from './routes';
export { flagsApiRef, FlagsClient } from './api';
export type {
  FlagHistoryEvent,
  FlagPatch,
  FlagsApi,
  NewFlag,
  RolloutPreview,
  RolloutPreviewRequest,
  TenantFlags,
} from './api';
