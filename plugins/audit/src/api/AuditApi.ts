import { createApiRef } from '@backstage/frontend-plugin-api';
import {
  AuditCheckpoint,
  AuditEventsPage,
  AuditStatus,
  AuditVerifyResult,
} from '@internal/plugin-audit-common';
import {
  AuditArchiveBatch,
  AuditArchiveRunResult,
  AuditCheckpointNote,
  AuditEventsQueryWithTier,
  AuditInclusionProof,
  AuditRestoreResult,
} from './types';

/**
 * The audit backend as the portal uses it. Every method rejects with a
 * `ResponseError` (from `@backstage/errors`) when the server refuses; its
 * `cause.message` is the server's own message and `statusCode` tells a 403
 * (not allowed) from a 400 (bad filter).
 */
export interface AuditApi {
  /**
   * One page of events, newest first (GET /events); `tier: 'archive'` reads
   * the restored archive batches instead of the live table.
   */
  getEvents(query: AuditEventsQueryWithTier): Promise<AuditEventsPage>;
  /** The events matching the filters as CSV (GET /events.csv). */
  exportCsv(query: AuditEventsQueryWithTier): Promise<Blob>;
  /** The chain head and latest checkpoint (GET /status); operators only. */
  getStatus(): Promise<AuditStatus>;
  /** Walks the whole chain (GET /verify); operators only. */
  verify(): Promise<AuditVerifyResult>;
  /** Signs a checkpoint of the head now (POST /checkpoints); operators only. */
  createCheckpoint(): Promise<AuditCheckpoint>;
  /** The batches in cold storage (GET /archive/batches); operators only. */
  listArchiveBatches(): Promise<AuditArchiveBatch[]>;
  /**
   * Archives the events older than the retention now (POST /archive/run);
   * operators only.
   */
  runArchive(): Promise<AuditArchiveRunResult>;
  /**
   * Restores a batch, making its events searchable with `tier: 'archive'`
   * (POST /archive/batches/:id/restore); operators only.
   */
  restoreBatch(id: AuditArchiveBatch['id']): Promise<AuditRestoreResult>;
  /**
   * Drops a batch's restored copy; the archive stays
   * (DELETE /archive/batches/:id/restore); operators only.
   */
  dropRestoredBatch(id: AuditArchiveBatch['id']): Promise<void>;
  /**
   * The latest signed checkpoint of the Merkle tree, parsed from its C2SP
   * signed note (GET /checkpoint as text/plain); operators only. The note's
   * signature is not checked here.
   */
  latestCheckpointNote(): Promise<AuditCheckpointNote>;
  /**
   * The RFC 9162 inclusion proof of the event `seq` in the tree of
   * `treeSize` leaves (GET /proofs/inclusion); operators only.
   */
  inclusionProof(seq: number, treeSize: number): Promise<AuditInclusionProof>;
}

/** The audit API, implemented by {@link AuditClient}. */
export const auditApiRef = createApiRef<AuditApi>().with({
  id: 'plugin.audit.client',
  pluginId: 'audit',
});
