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

/** The kinds of break the verifier reports. */
export type AuditBreakKind =
  | 'event-hash-mismatch'
  | 'prev-hash-mismatch'
  | 'seq-gap'
  | 'checkpoint-signature-mismatch'
  | 'checkpoint-head-mismatch';

/** The first place the chain does not hold. */
export interface AuditBreak {
  kind: AuditBreakKind;
  seq: number;
  expected: string;
  actual: string;
}

/** A signed statement of the chain head at a moment. */
export interface AuditCheckpoint {
  at: string;
  headSeq: number;
  headHash: string;
  reason: 'startup' | 'interval' | 'threshold' | 'manual';
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
}

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
