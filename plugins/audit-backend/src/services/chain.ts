import { hash } from 'crypto';
import canonicalize from 'canonicalize';
import { AuditBreak, AuditEvent } from '@internal/plugin-audit-common';

/** Drops undefined and null members, at every depth, so a stored-and-read event hashes like the original. */
function compact(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(compact);
  return compactObject(value as Record<string, unknown>);
}

/** compact() of an object, leaving out the member `omit` too. */
function compactObject(
  value: Record<string, unknown>,
  omit?: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // Object.keys and a lookup rather than Object.entries: no [key, value] pair
  // arrays for every member of every event (verifyChain hashes millions)
  for (const k of Object.keys(value)) {
    if (k === omit) continue;
    const v = value[k];
    if (v !== undefined && v !== null) {
      out[k] = typeof v === 'object' ? compact(v) : v;
    }
  }
  return out;
}

/**
 * The chain hash of an event: SHA-256 (hex) over the RFC 8785 canonical JSON
 * (the `canonicalize` library) of every field but `hash`, `prevHash` included.
 * Empty optional fields are left out, so the form does not depend on storage.
 */
export function chainHash(event: Omit<AuditEvent, 'hash'>): string {
  const text = canonicalize(
    compactObject(event as unknown as Record<string, unknown>, 'hash'),
  );
  if (text === undefined) throw new Error('event cannot be canonicalized');
  // the one-shot crypto.hash: the same digest as createHash('sha256')
  // .update(text, 'utf8').digest('hex'), without a Hash object per event
  return hash('sha256', text, 'hex');
}

/**
 * The checks every verifier makes on the next event of a chain, in this
 * order: it links to the one before (`prev-hash-mismatch`: a row inserted,
 * deleted or moved), it has the next seq (`seq-gap`), and its content still
 * gives its hash (`event-hash-mismatch`: a field modified).
 */
export function checkEvent(
  event: AuditEvent,
  expectedSeq: number,
  prevHash: string,
): Omit<AuditBreak, 'seq'> | undefined {
  if (event.prevHash !== prevHash) {
    return {
      kind: 'prev-hash-mismatch',
      expected: prevHash,
      actual: event.prevHash,
    };
  }
  if (event.seq !== expectedSeq) {
    return {
      kind: 'seq-gap',
      expected: String(expectedSeq),
      actual: String(event.seq),
    };
  }
  const recomputed = chainHash(event);
  if (recomputed !== event.hash) {
    return {
      kind: 'event-hash-mismatch',
      expected: event.hash,
      actual: recomputed,
    };
  }
  return undefined;
}
