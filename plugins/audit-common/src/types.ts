/** Who did something. */
export interface AuditActor {
  type: 'user' | 'service' | 'external' | 'system';
  /** Entity ref for users, plugin or subject id for services. */
  ref?: string;
  email?: string;
  ip?: string;
}

/** What it was done to. */
export interface AuditResource {
  type: string;
  ref?: string;
  name?: string;
}

/** An event as a plugin or an ingest source records it. */
export interface AuditEventInput {
  /** ISO 8601 UTC time, e.g. 2026-11-25T17:00:00.000Z. */
  at: string;
  actor: AuditActor;
  /** Dotted verb, e.g. `tenant.suspended`. */
  action: string;
  outcome: 'success' | 'failure';
  resource?: AuditResource;
  /** Tenant entity ref this concerns, lower case. */
  tenant?: string;
  /** Partner entity ref this concerns, lower case. */
  partner?: string;
  /** Where it happened: portal, catalog, authentik, stalwart, ocis, stripe, … */
  source: string;
  /** The source's own id for the event; (source, externalId) is unique. */
  externalId?: string;
  /** Details, e.g. a `{ field: { from, to } }` diff. */
  metadata?: Record<string, unknown>;
}

/** An event in the chain. */
export interface AuditEvent extends AuditEventInput {
  /** Position in the chain: 1, 2, 3, … without gaps. */
  seq: number;
  /** `hash` of the event before (64 zeros for seq 1). */
  prevHash: string;
  /** SHA-256 (hex) over the RFC 8785 canonical JSON of the event with `prevHash`. */
  hash: string;
}

/**
 * What recording returns in place of an event whose (source, externalId) is
 * already in the chain but has been moved to the cold archive: not appended
 * again, and its content is no longer in the database (restore its batch to
 * read it), so this says where it is — its `seq` and `hash` in the chain and
 * the archive batch that holds it.
 */
export interface ArchivedAuditEventRef {
  archived: true;
  seq: number;
  hash: string;
  source: string;
  externalId: string;
  /** The id of the archive batch (`GET /api/audit/archive/batches`). */
  batchId: number;
}

/**
 * One result of recording an event: the event as appended, the stored event
 * it duplicates, or — when that one is archived — an {@link ArchivedAuditEventRef}.
 */
export type RecordedAuditEvent = AuditEvent | ArchivedAuditEventRef;

/** Whether a recorded result stands for an archived event (see {@link ArchivedAuditEventRef}). */
export function isArchivedAuditEventRef(
  event: RecordedAuditEvent,
): event is ArchivedAuditEventRef {
  return (event as ArchivedAuditEventRef).archived === true;
}

/** The kinds of break the verifier reports. */
export type AuditBreakKind =
  | 'event-hash-mismatch'
  | 'prev-hash-mismatch'
  | 'seq-gap'
  | 'checkpoint-signature-mismatch'
  /** A checkpoint is signed with a key that is not configured (neither current nor previous). */
  | 'checkpoint-key-unknown'
  | 'checkpoint-head-mismatch'
  /** An archived batch's object is not what its manifest signs (hash or size), or unreadable. */
  | 'archive-object-mismatch'
  /** An archived batch's manifest is not signed by a known key, or not the one recorded. */
  | 'archive-manifest-signature-mismatch'
  /** An archived batch's object or manifest is gone from the bucket (or no bucket is configured). */
  | 'archive-missing';

/** The first place the chain does not hold. */
export interface AuditBreak {
  kind: AuditBreakKind;
  seq: number;
  expected: string;
  actual: string;
  /** The archived batch it is in (its object key); absent for the hot chain. */
  batch?: string;
}

/** A signed statement of the chain head at a moment. */
export interface AuditCheckpoint {
  at: string;
  headSeq: number;
  headHash: string;
  /**
   * Why it was signed: at `startup`, on the 5-minute `interval`, after 100
   * new events (`threshold`), right after the first events of a chain that
   * had no checkpoint (`first-events`), or on demand (`manual`).
   */
  reason: 'startup' | 'interval' | 'threshold' | 'first-events' | 'manual';
  kid: string;
  /** Compact JWS (EdDSA / Ed25519) over { headSeq, headHash, at, reason }. */
  jws: string;
}

/** The answer of GET /api/audit/verify. */
export interface AuditVerifyResult {
  ok: boolean;
  /** Events verified before the first break (all, when ok). */
  verified: number;
  /** Checkpoints whose signature and head were verified. */
  checkpoints?: number;
  head: { seq: number; hash: string } | null;
  break?: AuditBreak;
  /** Present when part of the chain is archived: what was walked in the archive. */
  archive?: { batches: number; events: number };
}

/** The hash before the first event. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

/**
 * Filters of GET /api/audit/events and /events.csv (query parameters).
 * All are optional and AND-ed.
 */
export interface AuditEventsQuery {
  /** Events at or after this ISO 8601 time. */
  since?: string;
  /** Events before this ISO 8601 time (exclusive). */
  until?: string;
  /** Exact action, or a prefix when it ends with `*` (e.g. `tenant.*`). */
  action?: string;
  /** Tenant entity ref, e.g. tenant:default/acme. */
  tenant?: string;
  /** Partner entity ref: the partner's own events and its tenants'. */
  partner?: string;
  /** Actor email or entity ref, case-insensitive exact match. */
  actor?: string;
  outcome?: 'success' | 'failure';
  source?: string;
  /** Free text: a substring of action, resource name/ref, actor email, tenant. */
  q?: string;
  /** Page size, 1–500 (default 100); JSON only. */
  limit?: number;
  /** The `nextCursor` of the previous page; JSON only. */
  cursor?: string;
  /**
   * `hot` (default): the chain in the database. `archive`: the events of
   * restored archive batches (see AuditArchiveBatch), same filters.
   */
  tier?: AuditTier;
}

/**
 * Where events are read from: `hot` (the live table, the default) or
 * `archive` (the events of archived batches that were restored).
 */
export type AuditTier = 'hot' | 'archive';

/** The answer of GET /api/audit/events: newest first. */
export interface AuditEventsPage {
  items: AuditEvent[];
  /** Pass as `cursor` to get the next (older) page; absent on the last page. */
  nextCursor?: string;
}

/** The answer of GET /api/audit/status. */
export interface AuditStatus {
  head: { seq: number; hash: string } | null;
  latestCheckpoint?: AuditCheckpoint;
}

/** A batch of the cold archive: GET /api/audit/archive/batches. */
export interface AuditArchiveBatch {
  id: number;
  archivedAt: string;
  fromSeq: number;
  toSeq: number;
  count: number;
  /** Size of the gzipped object. */
  bytes: number;
  /** SHA-256 (hex) of the manifest as stored in the bucket. */
  manifestSha256: string;
  objectKey: string;
  manifestKey: string;
  /** When it was restored for investigation (its events searchable with tier=archive). */
  restoredAt?: string;
}

/** The answer of POST /api/audit/archive/batches/:id/restore. */
export interface AuditArchiveRestoreResult extends AuditArchiveBatch {
  restoredAt: string;
  /** Events now searchable with `tier=archive`. */
  restored: number;
}

/** The answer of POST /api/audit/archive/run. */
export interface AuditArchiveRunResult {
  /** Events older than this were due. */
  cutoff: string;
  /** The batches this run archived, in seq order. */
  batches: AuditArchiveBatch[];
  events: number;
  /** Set for a scheduled run that did nothing: why. */
  skipped?: string;
}

/**
 * The latest signed checkpoint of the Merkle tree (GET /api/audit/checkpoint,
 * a C2SP signed note), as parseCheckpointNote reads it: its signatures are
 * not verified by that (see openCheckpoint).
 */
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

/** The answer of GET /api/audit/proofs/inclusion (RFC 9162 inclusion proof). */
export interface AuditInclusionProof {
  /** The leaf's 0-based index: seq − 1. */
  leafIndex: number;
  treeSize: number;
  /** The audit path, leaf to root, each base64 (32 bytes). */
  hashes: string[];
  /**
   * The root of the tree of `treeSize` leaves, base64 (this server always
   * sends it); unsigned: compare it with a checkpoint of that size, or link
   * it to one with a consistency proof.
   */
  rootHash?: string;
}

/** The answer of GET /api/audit/proofs/consistency (RFC 9162 consistency proof). */
export interface AuditConsistencyProof {
  from: number;
  to: number;
  /** The proof, each hash base64 (32 bytes); empty when from = to. */
  hashes: string[];
}
