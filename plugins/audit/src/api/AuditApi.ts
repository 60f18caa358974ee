import { createApiRef } from '@backstage/frontend-plugin-api';
import {
  AuditCheckpoint,
  AuditEventsPage,
  AuditEventsQuery,
  AuditStatus,
  AuditVerifyResult,
} from '@internal/plugin-audit-common';

/**
 * The audit backend as the portal uses it. Every method rejects with a
 * `ResponseError` (from `@backstage/errors`) when the server refuses; its
 * `cause.message` is the server's own message and `statusCode` tells a 403
 * (not allowed) from a 400 (bad filter).
 */
export interface AuditApi {
  /** One page of events, newest first (GET /events). */
  getEvents(query: AuditEventsQuery): Promise<AuditEventsPage>;
  /** The events matching the filters as CSV (GET /events.csv). */
  exportCsv(query: AuditEventsQuery): Promise<Blob>;
  /** The chain head and latest checkpoint (GET /status); operators only. */
  getStatus(): Promise<AuditStatus>;
  /** Walks the whole chain (GET /verify); operators only. */
  verify(): Promise<AuditVerifyResult>;
  /** Signs a checkpoint of the head now (POST /checkpoints); operators only. */
  createCheckpoint(): Promise<AuditCheckpoint>;
}

/** The audit API, implemented by {@link AuditClient}. */
export const auditApiRef = createApiRef<AuditApi>().with({
  id: 'plugin.audit.client',
  pluginId: 'audit',
});
