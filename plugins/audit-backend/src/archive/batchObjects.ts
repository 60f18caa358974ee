import {
  AUDIT_EXPORT_FORMAT,
  AuditEvent,
  AuditExportLine,
} from '@internal/plugin-audit-common';
import canonicalize from 'canonicalize';
import { gunzip } from 'zlib';
import { promisify } from 'util';

/*
 * The objects of an archived batch. An archived batch is two objects in the
 * bucket:
 *
 *   <prefix><fromSeq 12 digits>-<toSeq 12 digits>.jsonl.gz
 *     gzip of an export file (exportFile.ts of `plugin-audit-common`,
 *     docs/audit.md): a
 *     header line with the public keys, one {"type":"event"} line per event
 *     in seq order, then the checkpoints whose head is in the range. So
 *     `gunzip -c … | scripts/audit-verify -` checks an archive offline.
 *   <prefix><fromSeq>-<toSeq>.manifest.json
 *     an ArchiveManifest: what the object holds, its SHA-256 and size, signed
 *     (jws) with the checkpoint key.
 */

export const ARCHIVE_MANIFEST_FORMAT = 'dezky-audit-archive/1';

/** The JWS `typ` of a manifest signature. */
export const ARCHIVE_MANIFEST_TYP = 'dezky-audit-archive-manifest';

/** What a manifest's signature covers: every field but `kid` and `jws`. */
export interface ArchiveManifestClaims {
  format: typeof ARCHIVE_MANIFEST_FORMAT;
  fromSeq: number;
  toSeq: number;
  count: number;
  /** `prevHash` of the first event (the hash of seq fromSeq - 1, or genesis). */
  firstPrevHash: string;
  /** `hash` of the last event. */
  lastHash: string;
  objectKey: string;
  /** SHA-256 (hex) of the object's bytes, as stored (gzipped). */
  objectSha256: string;
  objectBytes: number;
  gzip: true;
  archivedAt: string;
}

export interface ArchiveManifest extends ArchiveManifestClaims {
  kid: string;
  /** Compact JWS (EdDSA) over the claims, by the checkpoint key `kid`. */
  jws: string;
}

/** The claims part of a manifest, for signing and comparing. */
export function manifestClaims(m: ArchiveManifest): ArchiveManifestClaims {
  const { kid: _kid, jws: _jws, ...claims } = m;
  return claims;
}

/** Whether two claim objects are the same (RFC 8785 canonical JSON). */
export function sameClaims(a: unknown, b: unknown): boolean {
  return canonicalize(a) === canonicalize(b);
}

const gunzipAsync = promisify(gunzip);

/** The object could not be read as an archive: bad gzip, JSON or format. */
export class ArchiveFormatError extends Error {}

/**
 * The events of an archive object (gzipped export file), in file order.
 * Checkpoint lines are skipped: the database's checkpoints are checked.
 */
export async function readArchiveObject(gz: Buffer): Promise<AuditEvent[]> {
  let text: string;
  try {
    text = (await gunzipAsync(gz)).toString('utf8');
  } catch (error) {
    throw new ArchiveFormatError(`not gzip: ${error}`);
  }
  const lines = text.split('\n');
  const events: AuditEvent[] = [];
  lines.forEach((line, i) => {
    if (!line) return;
    let value: any;
    try {
      value = JSON.parse(line);
    } catch {
      throw new ArchiveFormatError(`line ${i + 1} is not JSON`);
    }
    if (i === 0) {
      if (value?.format !== AUDIT_EXPORT_FORMAT) {
        throw new ArchiveFormatError(
          `line 1 is not a ${AUDIT_EXPORT_FORMAT} header`,
        );
      }
      return;
    }
    const l = value as AuditExportLine;
    if (l?.type === 'event' && l.event && typeof l.event === 'object') {
      events.push(l.event);
    } else if (l?.type !== 'checkpoint') {
      throw new ArchiveFormatError(
        `line ${i + 1} is neither event nor checkpoint`,
      );
    }
  });
  return events;
}
