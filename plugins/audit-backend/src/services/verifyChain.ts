import {
  AUDIT_GENESIS_HASH,
  AuditBreak,
  AuditCheckpoint,
  AuditEvent,
  AuditVerifyResult,
  CheckpointSignatureVerifier,
  checkCheckpoint,
  checkEvent,
} from '@internal/plugin-audit-common';
import { AuditRow, fromRow } from '../database/AuditStore';

/** Where the verifier reads rows from, in seq order. */
export interface ChainSource {
  rowsAfter(afterSeq: number, limit: number): Promise<AuditRow[]>;
}

/** An archived range of the chain, as the verifier walks it. */
export interface ArchivedRange {
  /** Names the batch in a break (`AuditBreak.batch`): its object key. */
  name: string;
  fromSeq: number;
  toSeq: number;
}

/**
 * The archived part of the chain (the cold archive, archive/ColdArchive.ts):
 * ranges before the hot table's, each checked as a whole (manifest
 * signature, object hash and size) before its events join the walk.
 */
export interface ArchiveTier<R extends ArchivedRange = ArchivedRange> {
  /** The ranges that start after `afterSeq`, in seq order. */
  batchesAfter(afterSeq: number): Promise<R[]>;
  /** A range's events, once its manifest and object hold; else the break. */
  open(range: R): Promise<{ events: AuditEvent[] } | { break: AuditBreak }>;
}

/**
 * Walks the whole chain in seq order — the archived batches first, when
 * `archive` is given, then the hot table, as one chain — and reports the
 * first break:
 * - `prev-hash-mismatch`: the event does not link to the one before it
 *   (a row inserted, deleted or moved);
 * - `seq-gap`: the links hold but a seq is missing or repeated;
 * - `event-hash-mismatch`: the event's content no longer gives its hash
 *   (a field modified);
 * - `archive-missing`, `archive-object-mismatch`,
 *   `archive-manifest-signature-mismatch`: an archived batch (named in
 *   `break.batch`) is gone or altered; see ArchiveTier.open.
 * Then each checkpoint: that its key is configured (`checkpoint-key-unknown`
 * when the key it names is neither the current nor a previous one — a
 * configuration to fix, or a checkpoint none of ours signed), its signature
 * (`checkpoint-signature-mismatch`), and that its head (hot or archived) is
 * in the chain (`checkpoint-head-mismatch`).
 */
export async function verifyChain(
  source: ChainSource,
  pageSize = 5_000,
  checkpoints?: CheckpointCheck,
  archive?: ArchiveTier,
): Promise<AuditVerifyResult> {
  const wanted = new Map<number, string>(); // checkpoint head seq -> hash seen in the chain
  for (const c of checkpoints?.list ?? []) wanted.set(c.headSeq, '');
  let expectedSeq = 1;
  let prevHash = AUDIT_GENESIS_HASH;
  let verified = 0;
  let head: AuditVerifyResult['head'] = null;
  const archived = { batches: 0, events: 0 };
  const result = (r: Omit<AuditVerifyResult, 'verified' | 'head'>) => ({
    ...r,
    verified,
    head,
    ...(archived.batches ? { archive: { ...archived } } : {}),
  });

  /** Walks the archived batches from `expectedSeq` on; the break, if any. */
  const walkArchive = async (): Promise<AuditBreak | undefined> => {
    if (!archive) return undefined;
    const batches = await archive.batchesAfter(expectedSeq - 1);
    // fetch and check the next batch while this one is hashed
    let next = batches.length ? archive.open(batches[0]) : undefined;
    for (let i = 0; i < batches.length; i++) {
      const batch = batches[i];
      const opened = await next!;
      next = i + 1 < batches.length ? archive.open(batches[i + 1]) : undefined;
      next?.catch(() => {});
      if ('break' in opened) return { ...opened.break, batch: batch.name };
      for (const event of opened.events) {
        const broken = checkEvent(event, expectedSeq, prevHash);
        if (broken) return { ...broken, seq: event.seq, batch: batch.name };
        if (wanted.has(event.seq)) wanted.set(event.seq, event.hash);
        verified++;
        expectedSeq++;
        prevHash = event.hash;
        head = { seq: event.seq, hash: event.hash };
      }
      if (expectedSeq - 1 !== batch.toSeq) {
        return {
          kind: 'seq-gap',
          seq: expectedSeq,
          expected: String(expectedSeq),
          actual: 'missing',
          batch: batch.name,
        };
      }
      archived.batches++;
      archived.events += opened.events.length;
    }
    return undefined;
  };

  let broken = await walkArchive();
  if (broken) return result({ ok: false, break: broken });

  let page = source.rowsAfter(0, pageSize);
  let first = true;
  for (;;) {
    const rows = await page;
    if (!rows.length) break;
    if (first && archive && Number(rows[0].seq) > expectedSeq) {
      // an archive run may have moved rows out since the batches were
      // listed: walk the batches recorded since, then read the hot table again
      const before = expectedSeq;
      broken = await walkArchive();
      if (broken) return result({ ok: false, break: broken });
      if (expectedSeq !== before) {
        page = source.rowsAfter(0, pageSize);
        continue;
      }
    }
    first = false;
    // Ask for the next page now, so the database reads and sends it while
    // this one is hashed. It starts after this page's last row: where the
    // walk continues if this page holds, as `head` will then be that row.
    // If this page breaks, the next one is dropped (and its failure ignored).
    page = source.rowsAfter(Number(rows[rows.length - 1].seq), pageSize);
    page.catch(() => {});
    for (const row of rows) {
      const seq = Number(row.seq);
      const rowBreak = checkRow(row, expectedSeq, prevHash);
      if (rowBreak) {
        return result({ ok: false, break: { ...rowBreak, seq } });
      }
      if (wanted.has(seq)) wanted.set(seq, row.hash);
      verified++;
      expectedSeq++;
      prevHash = row.hash;
      head = { seq, hash: row.hash };
    }
  }
  if (!checkpoints) return result({ ok: true });
  let verifiedCheckpoints = 0;
  for (const c of checkpoints.list) {
    const cpBreak = await checkCheckpoint(c, checkpoints.verifySignature, seq =>
      wanted.get(seq),
    );
    if (cpBreak) {
      return result({
        ok: false,
        checkpoints: verifiedCheckpoints,
        break: cpBreak,
      });
    }
    verifiedCheckpoints++;
  }
  return result({ ok: true, checkpoints: verifiedCheckpoints });
}

/** The checkpoints to check after the chain, and how to check a signature. */
export interface CheckpointCheck {
  list: AuditCheckpoint[];
  /** The signer's verify: claims, an unknown key, or undefined (see CheckpointSigner.verify). */
  verifySignature: CheckpointSignatureVerifier;
}

function checkRow(
  row: AuditRow,
  expectedSeq: number,
  prevHash: string,
): Omit<AuditBreak, 'seq'> | undefined {
  return checkEvent(fromRow(row), expectedSeq, prevHash);
}
