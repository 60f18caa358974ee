/*
 * The row an audit event is stored as in `audit_events` (and the archive's
 * `audit_restored_events`), and back. Imports nothing but the event type:
 * verifyChain's worker threads load it (services/verifyWorker.ts).
 */
import {
  AuditEvent,
  canonicalJson,
  isCanonicalJsonText,
  jsonString,
  sha256Hex,
} from '@internal/plugin-audit-common';

/** A row of `audit_events` as the driver returns it (PostgreSQL's bigint `seq` as a string). */
export interface AuditRow {
  seq: number | string;
  at: string;
  actor_type: string;
  actor_ref: string | null;
  actor_email: string | null;
  actor_ip: string | null;
  action: string;
  outcome: string;
  resource_type: string | null;
  resource_ref: string | null;
  resource_name: string | null;
  tenant_ref: string | null;
  partner_ref: string | null;
  source: string;
  external_id: string | null;
  metadata: string | null;
  prev_hash: string;
  hash: string;
}

/** The row an event is stored as. */
export function toRow(e: AuditEvent): AuditRow {
  return {
    seq: e.seq,
    at: e.at,
    actor_type: e.actor.type,
    actor_ref: e.actor.ref ?? null,
    actor_email: e.actor.email ?? null,
    actor_ip: e.actor.ip ?? null,
    action: e.action,
    outcome: e.outcome,
    resource_type: e.resource?.type ?? null,
    resource_ref: e.resource?.ref ?? null,
    resource_name: e.resource?.name ?? null,
    tenant_ref: e.tenant ?? null,
    partner_ref: e.partner ?? null,
    source: e.source,
    external_id: e.externalId ?? null,
    metadata: e.metadata ? keyOrderedJson(e.metadata) : null,
    prev_hash: e.prevHash,
    hash: e.hash,
  };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  [Object.prototype, null].includes(Object.getPrototypeOf(v));

/**
 * JSON.stringify(value) with every object's members in key order — the
 * order of the chain's canonical JSON — null members kept. Metadata stored
 * so is, without null members, its own chain text, which verifyChain takes
 * as it is (rowLink). JavaScript still puts integer-like keys first, and
 * such metadata is parsed and written again, as before.
 */
export function keyOrderedJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (!isPlainObject(v)) return v;
    const ordered: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      // a member named __proto__ stays a member
      Object.defineProperty(ordered, k, {
        value: v[k],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return ordered;
  });
}

/** Reads a row back into the event it was written from. */
export function fromRow(r: AuditRow): AuditEvent {
  const opt = <T>(v: T | null) => (v === null ? undefined : v);
  return {
    seq: Number(r.seq),
    at: r.at,
    actor: {
      type: r.actor_type as AuditEvent['actor']['type'],
      ref: opt(r.actor_ref),
      email: opt(r.actor_email),
      ip: opt(r.actor_ip),
    },
    action: r.action,
    outcome: r.outcome as AuditEvent['outcome'],
    resource: r.resource_type
      ? {
          type: r.resource_type,
          ref: opt(r.resource_ref),
          name: opt(r.resource_name),
        }
      : undefined,
    tenant: opt(r.tenant_ref),
    partner: opt(r.partner_ref),
    source: r.source,
    externalId: opt(r.external_id),
    metadata: r.metadata ? JSON.parse(r.metadata) : undefined,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/** A stored row as the chain checks it (ChainLink), its metadata read. */
export interface RowLink {
  seq: number;
  prevHash: string;
  hash: string;
  row: AuditRow;
  /** The row's metadata, parsed (undefined without, or with metadataText). */
  metadata: unknown;
  /** The row's metadata as stored, when that is its canonical JSON (and not null). */
  metadataText?: string;
}

/**
 * A row as the chain checks it: its seq and links, and its metadata parsed
 * — where fromRow parses it, so a row whose metadata is no JSON fails here,
 * as fromRow does.
 */
export function rowLink(row: AuditRow): RowLink {
  const stored = row.metadata;
  // already canonical (as toRow stores metadata without null members): no
  // need to parse it and write it again — it is valid JSON, too
  const canonical = typeof stored === 'string' && isCanonicalJsonText(stored);
  return {
    seq: Number(row.seq),
    prevHash: row.prev_hash,
    hash: row.hash,
    row,
    metadata: stored && !canonical ? JSON.parse(stored) : undefined,
    metadataText: canonical ? stored : undefined,
  };
}

/** canonicalJson of a column's value (a string, but SQLite keeps numbers where text belongs too). */
function json(value: unknown): string {
  return typeof value === 'string' ? jsonString(value) : canonicalJson(value);
}

const empty = (value: unknown) => value === null || value === undefined;

/**
 * chainText(fromRow(row)), written from the row without the event: the
 * members of the event fromRow builds, in canonical (sorted) order — action,
 * actor {email, ip, ref, type}, at, externalId, metadata, outcome, partner,
 * prevHash, resource {name, ref, type}, seq, source, tenant — each value by
 * canonicalJson, empty ones left out. What verifyChain hashes a stored row
 * by; rows.test.ts compares it with chainText(fromRow(row)) on random rows.
 * One concatenation per member, no helper calls: it runs once per row.
 */
export function rowChainText(link: RowLink): string {
  const r = link.row;
  let actor = '';
  if (!empty(r.actor_email)) actor = `"email":${json(r.actor_email)}`;
  if (!empty(r.actor_ip)) actor += `${actor && ','}"ip":${json(r.actor_ip)}`;
  if (!empty(r.actor_ref)) actor += `${actor && ','}"ref":${json(r.actor_ref)}`;
  if (!empty(r.actor_type)) {
    actor += `${actor && ','}"type":${json(r.actor_type)}`;
  }
  let text = empty(r.action) ? '' : `"action":${json(r.action)},`;
  text += `"actor":{${actor}}`;
  if (!empty(r.at)) text += `,"at":${json(r.at)}`;
  if (!empty(r.external_id)) text += `,"externalId":${json(r.external_id)}`;
  if (link.metadataText !== undefined) {
    text += `,"metadata":${link.metadataText}`;
  } else if (!empty(link.metadata)) {
    text += `,"metadata":${canonicalJson(link.metadata)}`;
  }
  if (!empty(r.outcome)) text += `,"outcome":${json(r.outcome)}`;
  if (!empty(r.partner_ref)) text += `,"partner":${json(r.partner_ref)}`;
  if (!empty(r.prev_hash)) text += `,"prevHash":${json(r.prev_hash)}`;
  if (r.resource_type) {
    let resource = '';
    if (!empty(r.resource_name)) resource = `"name":${json(r.resource_name)}`;
    if (!empty(r.resource_ref)) {
      resource += `${resource && ','}"ref":${json(r.resource_ref)}`;
    }
    resource += `${resource && ','}"type":${json(r.resource_type)}`;
    text += `,"resource":{${resource}}`;
  }
  text += `,"seq":${canonicalJson(link.seq)}`;
  if (!empty(r.source)) text += `,"source":${json(r.source)}`;
  if (!empty(r.tenant_ref)) text += `,"tenant":${json(r.tenant_ref)}`;
  return `{${text}}`;
}

/** The chain hash of a stored row: chainHash(fromRow(row)), from the row. */
export function rowChainHash(link: RowLink): string {
  return sha256Hex(rowChainText(link));
}
