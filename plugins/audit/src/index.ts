/**
 * The audit trail in the portal: the Audit page with the tamper-evidence
 * card, and the Audit tab on tenant and partner pages.
 *
 * @packageDocumentation
 */
export { auditPlugin as default } from './plugin';
export { auditRouteRef } from './routes';
export { auditApiRef, AuditClient } from './api';
export type {
  AuditApi,
  AuditArchiveBatch,
  AuditArchiveRunResult,
  AuditCheckpointNote,
  AuditEventsQueryWithTier,
  AuditInclusionProof,
  AuditRestoreResult,
  AuditTier,
} from './api';
