/*
 * The export format (written by the backend's exportChain, GET
 * /api/audit/export; the cold archive's objects are gzipped exports), NDJSON:
 *   {"format":"dezky-audit-export/1","fromSeq":…,"toSeq":…,"exportedAt":…,"keys":{jwks}}
 *   {"type":"event","event":{…AuditEvent…}}            one per event, in seq order
 *   {"type":"checkpoint","checkpoint":{…AuditCheckpoint…}}  after the events
 * and its verifier, which needs no database (scripts/audit-verify).
 */
import { decodeHex, encodeHex } from './bytes';
import { checkEvent } from './chain';
import {
  AuditJwks,
  checkCheckpoint,
  jwksCheckpointVerifier,
} from './checkpoints';
import {
  AUDIT_GENESIS_HASH,
  AuditBreak,
  AuditCheckpoint,
  AuditEvent,
  AuditVerifyResult,
} from './types';

export const AUDIT_EXPORT_FORMAT = 'dezky-audit-export/1';

/** Line 1 of an export. */
export interface AuditExportHeader {
  format: typeof AUDIT_EXPORT_FORMAT;
  /** First seq in the export. */
  fromSeq: number;
  /** Last seq in the export (fromSeq - 1 when it holds no event). */
  toSeq: number;
  exportedAt: string;
  /** The public keys the checkpoints were signed with. */
  keys: AuditJwks;
}

/** Every line after the header. */
export type AuditExportLine =
  | { type: 'event'; event: AuditEvent }
  | { type: 'checkpoint'; checkpoint: AuditCheckpoint };

/** The export is not one this verifier can read (not a chain break). */
export class AuditExportFormatError extends Error {
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'AuditExportFormatError';
  }
}

export interface AuditExportVerifyResult extends AuditVerifyResult {
  checkpoints: number;
  fromSeq: number;
  toSeq: number;
  /**
   * The export starts at seq 1, so its first event was checked against the
   * genesis hash. Otherwise the first event's prevHash is trusted: see anchor.
   */
  anchoredAtGenesis: boolean;
  /** The hash the export starts from (seq fromSeq - 1), null when it holds no event. */
  anchor: { seq: number; hash: string } | null;
  /** The newest head a verified checkpoint signs: the events after it are vouched for by no signature. */
  signedHead: { seq: number; hash: string } | null;
}

/** The verified events' hashes, 32 bytes each, by position in the export. */
class HashLog {
  private static readonly CHUNK = 65_536;
  private readonly chunks: Uint8Array[] = [];
  length = 0;

  push(hex: string) {
    const i = this.length % HashLog.CHUNK;
    if (i === 0) this.chunks.push(new Uint8Array(HashLog.CHUNK * 32));
    // a verified event's hash is chainHash's: 64 hex digits
    this.chunks[this.chunks.length - 1].set(decodeHex(hex)!, i * 32);
    this.length++;
  }

  get(index: number): string | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      return undefined;
    }
    const i = (index % HashLog.CHUNK) * 32;
    return encodeHex(
      this.chunks[Math.floor(index / HashLog.CHUNK)].subarray(i, i + 32),
    );
  }
}

/**
 * Verifies an export offline, streaming: every event's hash (chainHash),
 * its link to the one before, seq continuity from fromSeq to toSeq, then every
 * checkpoint's EdDSA signature (with the key its kid names, from `keys` when
 * given, else the export's own) over exactly its headSeq/headHash/at/reason,
 * and that the exported event at headSeq has headHash. Reports the first
 * break like the backend's verifyChain. Throws AuditExportFormatError for an
 * unreadable file. Memory: 32 bytes per event (the hashes, for the
 * checkpoints at the end).
 */
export async function verifyExport(
  lines: AsyncIterable<string>,
  options: { keys?: AuditJwks } = {},
): Promise<AuditExportVerifyResult> {
  let lineNo = 0;
  let header: AuditExportHeader | undefined;
  const checkpoints: AuditCheckpoint[] = [];
  const hashes = new HashLog();
  let head: AuditVerifyResult['head'] = null;
  let anchor: AuditExportVerifyResult['anchor'] = null;
  let prevHash = '';
  let signedHead: AuditExportVerifyResult['signedHead'] = null;
  const result = (h: AuditExportHeader, broken?: AuditBreak) => ({
    ok: !broken,
    verified: hashes.length,
    checkpoints: 0,
    head,
    ...(broken && { break: broken }),
    fromSeq: h.fromSeq,
    toSeq: h.toSeq,
    anchoredAtGenesis: h.fromSeq === 1,
    anchor,
    signedHead,
  });

  for await (const raw of lines) {
    lineNo++;
    if (!raw.trim()) continue;
    let line: any;
    try {
      line = JSON.parse(raw);
    } catch {
      throw new AuditExportFormatError(lineNo, 'not JSON');
    }
    if (!header) {
      header = parseHeader(line, lineNo, !options.keys);
      continue;
    }
    if (line?.type === 'checkpoint' && isObject(line.checkpoint)) {
      checkpoints.push(line.checkpoint);
      continue;
    }
    if (line?.type !== 'event' || !isEvent(line.event)) {
      throw new AuditExportFormatError(
        lineNo,
        'neither an event nor a checkpoint',
      );
    }
    if (checkpoints.length) {
      throw new AuditExportFormatError(
        lineNo,
        'an event after the checkpoints',
      );
    }
    const event: AuditEvent = line.event;
    const expectedSeq = header.fromSeq + hashes.length;
    if (!anchor) {
      // the chain before the export is not in it: trust the first link, unless it is the genesis
      prevHash = header.fromSeq === 1 ? AUDIT_GENESIS_HASH : event.prevHash;
      anchor = { seq: header.fromSeq - 1, hash: prevHash };
    }
    const broken = checkExported(event, expectedSeq, header.toSeq, prevHash);
    if (broken) return result(header, { ...broken, seq: event.seq });
    hashes.push(event.hash);
    prevHash = event.hash;
    head = { seq: event.seq, hash: event.hash };
  }
  if (!header)
    throw new AuditExportFormatError(lineNo, 'no header: empty file');

  const lastSeq = header.fromSeq + hashes.length - 1;
  if (lastSeq < header.toSeq) {
    // the tail the header announces is missing (a cut download or a cut file)
    const seq = lastSeq + 1;
    return result(header, {
      kind: 'seq-gap',
      seq,
      expected: String(seq),
      actual: 'missing',
    });
  }

  const verify = jwksCheckpointVerifier(options.keys ?? header.keys);
  const fromSeq = header.fromSeq;
  let verifiedCheckpoints = 0;
  for (const c of checkpoints) {
    const broken = await checkCheckpoint(c, verify, seq =>
      hashes.get(seq - fromSeq),
    );
    if (broken) {
      return { ...result(header, broken), checkpoints: verifiedCheckpoints };
    }
    verifiedCheckpoints++;
    if (c.headSeq > (signedHead?.seq ?? 0)) {
      signedHead = { seq: c.headSeq, hash: c.headHash };
    }
  }
  return { ...result(header), checkpoints: verifiedCheckpoints };
}

/** An exported event: past the header's `toSeq` it should not be there. */
function checkExported(
  event: AuditEvent,
  expectedSeq: number,
  toSeq: number,
  prevHash: string,
): Omit<AuditBreak, 'seq'> | undefined {
  if (event.prevHash === prevHash && expectedSeq > toSeq) {
    return {
      kind: 'seq-gap',
      expected: `end at ${toSeq}`,
      actual: String(event.seq),
    };
  }
  return checkEvent(event, expectedSeq, prevHash);
}

function parseHeader(
  line: any,
  lineNo: number,
  needKeys: boolean,
): AuditExportHeader {
  if (line?.format !== AUDIT_EXPORT_FORMAT) {
    throw new AuditExportFormatError(
      lineNo,
      `not a ${AUDIT_EXPORT_FORMAT} header`,
    );
  }
  const { fromSeq, toSeq, keys } = line;
  if (
    !Number.isSafeInteger(fromSeq) ||
    fromSeq < 1 ||
    !Number.isSafeInteger(toSeq) ||
    toSeq < fromSeq - 1
  ) {
    throw new AuditExportFormatError(lineNo, 'fromSeq/toSeq is not a range');
  }
  if (needKeys && (!isObject(keys) || !Array.isArray(keys.keys))) {
    throw new AuditExportFormatError(lineNo, 'keys is not a JWKS');
  }
  return line;
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEvent(value: unknown): value is AuditEvent {
  return (
    isObject(value) &&
    Number.isSafeInteger(value.seq) &&
    typeof value.prevHash === 'string' &&
    typeof value.hash === 'string'
  );
}
