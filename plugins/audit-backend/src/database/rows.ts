/*
 * The row an audit event is stored as in `audit_events` (and the archive's
 * `audit_restored_events`), and back. Imports nothing but the event type:
 * verifyChain's worker threads load it (services/verifyWorker.ts).
 */
import {
  AuditEvent,
  canonicalJson,
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
    metadata: e.metadata ? JSON.stringify(e.metadata) : null,
    prev_hash: e.prevHash,
    hash: e.hash,
  };
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
  /** The row's metadata, parsed (undefined without). */
  metadata: unknown;
}

/**
 * A row as the chain checks it: its seq and links, and its metadata parsed
 * — where fromRow parses it, so a row whose metadata is no JSON fails here,
 * as fromRow does.
 */
export function rowLink(row: AuditRow): RowLink {
  return {
    seq: Number(row.seq),
    prevHash: row.prev_hash,
    hash: row.hash,
    row,
    metadata: row.metadata ? JSON.parse(row.metadata) : undefined,
  };
}

/** `,"name":value` (or `"name":value` first) when the value is not empty. */
function member(text: string, name: string, value: unknown): string {
  if (value === null || value === undefined) return text;
  return `${text.length > 1 ? `${text},` : text}${name}:${canonicalJson(
    value,
  )}`;
}

/**
 * chainText(fromRow(row)), written from the row without the event: the
 * members of the event fromRow builds, in canonical (sorted) order — action,
 * actor {email, ip, ref, type}, at, externalId, metadata, outcome, partner,
 * prevHash, resource {name, ref, type}, seq, source, tenant — each value by
 * canonicalJson, empty ones left out. What verifyChain hashes a stored row
 * by; rows.test.ts compares it with chainText(fromRow(row)) on random rows.
 */
export function rowChainText(link: RowLink): string {
  const r = link.row;
  let actor = '{';
  actor = member(actor, '"email"', r.actor_email);
  actor = member(actor, '"ip"', r.actor_ip);
  actor = member(actor, '"ref"', r.actor_ref);
  actor = member(actor, '"type"', r.actor_type);
  let text = '{';
  text = member(text, '"action"', r.action);
  text = `${text.length > 1 ? `${text},` : text}"actor":${actor}}`;
  text = member(text, '"at"', r.at);
  text = member(text, '"externalId"', r.external_id);
  text = member(text, '"metadata"', link.metadata);
  text = member(text, '"outcome"', r.outcome);
  text = member(text, '"partner"', r.partner_ref);
  text = member(text, '"prevHash"', r.prev_hash);
  if (r.resource_type) {
    let resource = '{';
    resource = member(resource, '"name"', r.resource_name);
    resource = member(resource, '"ref"', r.resource_ref);
    resource = member(resource, '"type"', r.resource_type);
    text = `${text},"resource":${resource}}`;
  }
  text = member(text, '"seq"', link.seq);
  text = member(text, '"source"', r.source);
  text = member(text, '"tenant"', r.tenant_ref);
  return `${text}}`;
}

/** The chain hash of a stored row: chainHash(fromRow(row)), from the row. */
export function rowChainHash(link: RowLink): string {
  return sha256Hex(rowChainText(link));
}
