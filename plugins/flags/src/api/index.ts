export { flagsApiRef } from './FlagsApi';
export type { FlagsApi } from './FlagsApi';
export {
  FlagsClient,
  errorMessage,
  isConflict,
  isNotAllowed,
} from './FlagsClient';
export type {
  FlagHistoryEvent,
  FlagPatch,
  NewFlag,
  RolloutPreview,
  RolloutPreviewRequest,
  TenantFlags,
} from './types';
