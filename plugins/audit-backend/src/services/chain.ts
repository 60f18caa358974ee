import { createHash } from 'crypto';
import canonicalize from 'canonicalize';
import { AuditEvent } from '@internal/plugin-audit-common';

/** Drops undefined and null members so a stored-and-read event hashes like the original. */
function compact<T>(value: T): T {
  if (Array.isArray(value)) return value.map(compact) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined && v !== null) out[k] = compact(v);
    }
    return out as T;
  }
  return value;
}

/**
 * The chain hash of an event: SHA-256 (hex) over the RFC 8785 canonical JSON
 * (the `canonicalize` library) of every field but `hash`, `prevHash` included.
 * Empty optional fields are left out, so the form does not depend on storage.
 */
export function chainHash(event: Omit<AuditEvent, 'hash'>): string {
  const { hash: _ignored, ...rest } = event as AuditEvent;
  const text = canonicalize(compact(rest));
  if (text === undefined) throw new Error('event cannot be canonicalized');
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
