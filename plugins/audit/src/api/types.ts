/*
 * The audit API's types, as this plugin names them: all from
 * `plugin-audit-common`, the one contract the backend answers by.
 */
export type {
  AuditArchiveBatch,
  AuditArchiveRunResult,
  AuditArchiveRestoreResult as AuditRestoreResult,
  AuditCheckpointNote,
  AuditEventsQuery as AuditEventsQueryWithTier,
  AuditInclusionProof,
  AuditTier,
} from '@internal/plugin-audit-common';
