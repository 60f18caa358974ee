import {
  AUDIT_GENESIS_HASH,
  AuditBreak,
  AuditCheckpoint,
  AuditVerifyResult,
} from '@internal/plugin-audit-common';
import { AuditRow, fromRow } from '../database/AuditStore';
import { checkEvent } from './chain';

/** Where the verifier reads rows from, in seq order. */
export interface ChainSource {
  rowsAfter(afterSeq: number, limit: number): Promise<AuditRow[]>;
}

/**
 * Walks the whole chain in seq order and reports the first break:
 * - `prev-hash-mismatch`: the event does not link to the one before it
 *   (a row inserted, deleted or moved);
 * - `seq-gap`: the links hold but a seq is missing or repeated;
 * - `event-hash-mismatch`: the event's content no longer gives its hash
 *   (a field modified).
 */
export async function verifyChain(
  source: ChainSource,
  pageSize = 5_000,
  checkpoints?: CheckpointCheck,
): Promise<AuditVerifyResult> {
  const wanted = new Map<number, string>(); // checkpoint head seq -> hash seen in the chain
  for (const c of checkpoints?.list ?? []) wanted.set(c.headSeq, '');
  let expectedSeq = 1;
  let prevHash = AUDIT_GENESIS_HASH;
  let verified = 0;
  let head: AuditVerifyResult['head'] = null;
  let page = source.rowsAfter(0, pageSize);
  for (;;) {
    const rows = await page;
    if (!rows.length) break;
    // Ask for the next page now, so the database reads and sends it while
    // this one is hashed. It starts after this page's last row: where the
    // walk continues if this page holds, as `head` will then be that row.
    // If this page breaks, the next one is dropped (and its failure ignored).
    page = source.rowsAfter(Number(rows[rows.length - 1].seq), pageSize);
    page.catch(() => {});
    for (const row of rows) {
      const seq = Number(row.seq);
      const broken = checkRow(row, expectedSeq, prevHash);
      if (broken) {
        return { ok: false, verified, head, break: { ...broken, seq } };
      }
      if (wanted.has(seq)) wanted.set(seq, row.hash);
      verified++;
      expectedSeq++;
      prevHash = row.hash;
      head = { seq, hash: row.hash };
    }
  }
  if (!checkpoints) return { ok: true, verified, head };
  let verifiedCheckpoints = 0;
  for (const c of checkpoints.list) {
    const broken = await checkCheckpoint(c, checkpoints, wanted);
    if (broken) {
      return {
        ok: false,
        verified,
        checkpoints: verifiedCheckpoints,
        head,
        break: broken,
      };
    }
    verifiedCheckpoints++;
  }
  return { ok: true, verified, checkpoints: verifiedCheckpoints, head };
}

/**
 * A checkpoint holds when its signature verifies, what was signed is what is
 * stored (head, time, reason, and the key named by the header), and its head
 * is in the chain.
 */
async function checkCheckpoint(
  c: AuditCheckpoint,
  checkpoints: CheckpointCheck,
  seenHashes: Map<number, string>,
): Promise<AuditBreak | undefined> {
  const claims = await checkpoints.verifySignature(c.jws);
  if (
    !claims ||
    claims.headSeq !== c.headSeq ||
    claims.headHash !== c.headHash ||
    claims.at !== c.at ||
    claims.reason !== c.reason ||
    jwsKid(c.jws) !== c.kid
  ) {
    return {
      kind: 'checkpoint-signature-mismatch',
      seq: c.headSeq,
      expected: `a valid EdDSA signature by key ${c.kid} over head ${c.headSeq} at ${c.at} (${c.reason})`,
      actual: claims
        ? `signed head ${claims.headSeq} ${claims.headHash} at ${claims.at} (${
            claims.reason
          }) by key ${jwsKid(c.jws)}`
        : 'signature does not verify',
    };
  }
  const actual = seenHashes.get(c.headSeq) || 'missing';
  if (actual !== c.headHash) {
    return {
      kind: 'checkpoint-head-mismatch',
      seq: c.headSeq,
      expected: c.headHash,
      actual,
    };
  }
  return undefined;
}

/** The key id in a compact JWS's protected header, if readable. */
function jwsKid(jws: string): string | undefined {
  try {
    return JSON.parse(
      Buffer.from(jws.split('.')[0], 'base64url').toString('utf8'),
    ).kid;
  } catch {
    return undefined;
  }
}

/** The checkpoints to check after the chain, and how to check a signature. */
export interface CheckpointCheck {
  list: AuditCheckpoint[];
  verifySignature(
    jws: string,
  ): Promise<
    | { headSeq: number; headHash: string; at?: string; reason?: string }
    | undefined
  >;
}

function checkRow(
  row: AuditRow,
  expectedSeq: number,
  prevHash: string,
): Omit<AuditBreak, 'seq'> | undefined {
  return checkEvent(fromRow(row), expectedSeq, prevHash);
}
