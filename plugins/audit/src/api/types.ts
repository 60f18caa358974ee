import { AuditEventsQuery } from '@internal/plugin-audit-common';

/**
 * Where events are read from: `hot` (the live table, the default) or
 * `archive` (the events of archived batches that were restored).
 */
export type AuditTier = 'hot' | 'archive';

/** The filters of GET /events and /events.csv, plus the tier to read. */
export interface AuditEventsQueryWithTier extends AuditEventsQuery {
  /** `archive` reads the restored batches; absent (or `hot`) the live table. */
  tier?: AuditTier;
}

/** A batch of events moved to cold storage (S3), as GET /archive/batches lists it. */
export interface AuditArchiveBatch {
  /** The batch's id (a string in the API contract; the backend may send a number). */
  id: string | number;
  /** ISO 8601 time the batch was written. */
  archivedAt: string;
  /** The first and last seq in the batch (inclusive). */
  fromSeq: number;
  toSeq: number;
  /** Events in the batch. */
  count: number;
  /** Size of the archived object in bytes. */
  bytes: number;
  /** SHA-256 (hex) of the batch's manifest. */
  manifestSha256: string;
  objectKey: string;
  manifestKey: string;
  /** Set while a restored copy is searchable (ISO 8601 time of the restore). */
  restoredAt?: string;
}

/** The answer of POST /archive/run. */
export interface AuditArchiveRunResult {
  /** The batches archived by this run; empty when there was nothing to do. */
  batches: AuditArchiveBatch[];
  /** Events archived by this run, when the server counts them. */
  events?: number;
  /** The server's word when nothing was archived (e.g. why). */
  message?: string;
  /** Why a run did nothing, as some servers put it. */
  skipped?: string;
}

/** The answer of POST /archive/batches/:id/restore. */
export interface AuditRestoreResult {
  /** Events made searchable under `tier=archive`. */
  restored: number;
}

/** The latest signed checkpoint of the Merkle tree (a C2SP signed note). */
export interface AuditCheckpointNote {
  /** The log's origin line. */
  origin: string;
  /** Leaves in the signed tree: the events seq 1 … treeSize. */
  treeSize: number;
  /** The tree's root hash, base64 (32 bytes). */
  rootHash: string;
  /** The note as the server sent it, signature lines included. */
  text: string;
}

/** The answer of GET /proofs/inclusion (RFC 9162 inclusion proof). */
export interface AuditInclusionProof {
  /** The leaf's 0-based index: seq − 1. */
  leafIndex: number;
  treeSize: number;
  /** The audit path, leaf to root, each base64 (32 bytes). */
  hashes: string[];
  /** The root the server computed, base64; the signed note's root is what counts. */
  rootHash?: string;
}
