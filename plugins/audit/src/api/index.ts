export { auditApiRef } from './AuditApi';
export type { AuditApi } from './AuditApi';
export {
  AuditClient,
  errorMessage,
  isNotAllowed,
  toQueryString,
} from './AuditClient';
export type {
  AuditArchiveBatch,
  AuditArchiveRunResult,
  AuditCheckpointNote,
  AuditEventsQueryWithTier,
  AuditInclusionProof,
  AuditRestoreResult,
  AuditTier,
} from './types';
