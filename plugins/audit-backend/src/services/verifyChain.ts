import {
  AUDIT_GENESIS_HASH,
  AuditBreak,
  AuditCheckpoint,
  AuditEvent,
  AuditVerifyResult,
  ChainPosition,
  CheckpointSignatureVerifier,
  RunBreak,
  checkCheckpoint,
} from '@internal/plugin-audit-common';
import type { Knex } from 'knex';
import { performance } from 'perf_hooks';
import { AuditRow } from '../database/rows';
import {
  RangeSummary,
  checkPage,
  stitchRange,
  threadCpuMs,
} from './verifyWorker';
import { VerifyPool } from './VerifyPool';

/** Where the verifier reads rows from, in seq order. */
export interface ChainSource {
  rowsAfter(afterSeq: number, limit: number): Promise<AuditRow[]>;
  /**
   * A knex configuration (plain data) with which worker threads can read
   * `audit_events` themselves, each on a connection of its own; undefined
   * when they cannot (an in-memory SQLite). With it, and `seqBounds`, the
   * workers read the hot table in ranges of seqs, in parallel, instead of
   * being sent the rows this thread reads.
   */
  workerDatabase?(): Knex.Config | undefined;
  /** The lowest and highest seq now; null for an empty table. */
  seqBounds?(): Promise<{ min: number; max: number } | null>;
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

/** How verifyChain hashes. */
export interface VerifyOptions {
  /**
   * Worker threads that check pages (the chain hash is the CPU cost of
   * verifying) while this thread reads the next ones; 0 (the default)
   * checks every page in this thread. The workers are started only for a
   * chain of more than one page, and stopped when the walk ends.
   */
  workers?: number;
  /**
   * Worker threads started before, to use instead of starting `workers`
   * (kept by the caller across walks; not stopped here).
   */
  pool?: VerifyPool;
  /** Counts where pages were checked (tests, the benchmark). */
  stats?: VerifyStats;
}

/** Where verifyChain checked the pages of a walk. */
export interface VerifyStats {
  pagesInThread: number;
  /** Pages checked on the workers: sent to them, or read by them (below). */
  pagesOnWorkers: number;
  /** Of those, ranges of the hot table the workers read themselves. */
  rangesOnWorkers?: number;
  /** Worker threads started (0 when the chain fit one page or `workers` was 0). */
  workers: number;
  /** Time spent checking pages — on the workers, summed over them (ms). */
  checkMs?: number;
  /** CPU time of that (ms), where Node can tell (process.threadCpuUsage). */
  checkCpuMs?: number;
}

/** A page sent to be checked, and what the walk needs of its items once it holds. */
interface PageInFlight {
  items: ReadonlyArray<{ seq: number | string; hash: string }>;
  /** The archived batch it is part of (names it in a break). */
  batch?: string;
  result: Promise<RunBreak | undefined>;
  done: boolean;
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
 *
 * Pages are read one after the other (each after the last row of the one
 * before) and checked as they come — on `options.workers` worker threads,
 * several at once, while the next pages are read. Each page is checked from
 * where the chain stands before it, which reading alone tells (the count
 * and the stored hash of the rows before), and the results are taken in
 * order: the first page that breaks has the chain's first break, exactly as
 * a walk event by event finds it. A page that cannot be read fails the
 * walk unless a page before it breaks.
 */
export async function verifyChain(
  source: ChainSource,
  pageSize = 10_000,
  checkpoints?: CheckpointCheck,
  archive?: ArchiveTier,
  options: VerifyOptions = {},
): Promise<AuditVerifyResult> {
  const wanted = new Map<number, string>(); // checkpoint head seq -> hash seen in the chain
  for (const c of checkpoints?.list ?? []) wanted.set(c.headSeq, '');
  // the walk: verified up to here
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

  const stats = options.stats ?? {
    pagesInThread: 0,
    pagesOnWorkers: 0,
    workers: 0,
  };
  let pool: VerifyPool | undefined;
  let ownPool = false;
  const poolBusy = {
    ms: options.pool?.busyMs ?? 0,
    cpuMs: options.pool?.cpuMs ?? 0,
  };
  const inFlight: PageInFlight[] = [];
  // where the chain stands before the next page sent: read, maybe not yet checked
  let next: ChainPosition = { expectedSeq, prevHash };

  /** Starts the worker threads, when asked for and not started yet. */
  const startPool = () => {
    if (pool) return;
    if (options.pool) {
      pool = options.pool;
    } else if ((options.workers ?? 0) > 0) {
      pool = new VerifyPool(options.workers!, source.workerDatabase?.());
      ownPool = true;
    }
    stats.workers = pool?.size ?? 0;
  };

  /** Sends a page to be checked from `next`; its results are taken by settle(). */
  const send = (
    page: { rows?: AuditRow[]; events?: AuditEvent[] },
    items: PageInFlight['items'],
    batch?: string,
  ) => {
    // more than one page: worth the threads
    if (items.length >= pageSize) startPool();
    let checked: Promise<RunBreak | undefined>;
    if (pool) {
      stats.pagesOnWorkers++;
      checked = pool.check(page, next);
    } else {
      stats.pagesInThread++;
      const started = performance.now();
      const cpu = threadCpuMs();
      try {
        checked = Promise.resolve(checkPage(page, next));
      } catch (e) {
        checked = Promise.reject(e);
      }
      stats.checkMs = (stats.checkMs ?? 0) + performance.now() - started;
      stats.checkCpuMs =
        (stats.checkCpuMs ?? 0) + (threadCpuMs() ?? 0) - (cpu ?? 0);
    }
    const entry: PageInFlight = { items, batch, result: checked, done: false };
    checked.then(
      () => (entry.done = true),
      () => (entry.done = true), // taken by settle(), or dropped after a break
    );
    inFlight.push(entry);
    const last = items[items.length - 1];
    next = {
      expectedSeq: next.expectedSeq + items.length,
      prevHash: last.hash,
    };
  };

  /** Takes the oldest page's result into the walk; its break, if any. */
  const settle = async (): Promise<AuditBreak | undefined> => {
    const page = inFlight.shift()!;
    const broken = await page.result;
    const holding = broken ? broken.index : page.items.length;
    for (let i = 0; i < holding; i++) {
      const seq = Number(page.items[i].seq);
      if (wanted.has(seq)) wanted.set(seq, page.items[i].hash);
    }
    if (holding) {
      const last = page.items[holding - 1];
      head = { seq: Number(last.seq), hash: last.hash };
      prevHash = last.hash;
    }
    verified += holding;
    expectedSeq += holding;
    if (!broken) return undefined;
    return page.batch ? { ...broken.break, batch: page.batch } : broken.break;
  };

  /** Settles every page sent; the first break, if any. */
  const settleAll = async (): Promise<AuditBreak | undefined> => {
    while (inFlight.length) {
      const broken = await settle();
      if (broken) return broken;
    }
    return undefined;
  };

  /** Settles the pages done, and waits while too many are in flight. */
  const settleReady = async (): Promise<AuditBreak | undefined> => {
    const room = pool ? pool.size * 2 : 1;
    while (inFlight.length && (inFlight.length >= room || inFlight[0].done)) {
      const broken = await settle();
      if (broken) return broken;
    }
    return undefined;
  };

  /** Walks the archived batches from `expectedSeq` on; the break, if any. */
  const walkArchive = async (): Promise<AuditBreak | undefined> => {
    if (!archive) return undefined;
    const batches = await archive.batchesAfter(expectedSeq - 1);
    // fetch and check the next batch while this one is hashed
    let opening = batches.length ? archive.open(batches[0]) : undefined;
    for (let i = 0; i < batches.length; i++) {
      const batch = batches[i];
      const opened = await opening!;
      opening =
        i + 1 < batches.length ? archive.open(batches[i + 1]) : undefined;
      opening?.catch(() => {});
      if ('break' in opened) return { ...opened.break, batch: batch.name };
      next = { expectedSeq, prevHash };
      for (let k = 0; k < opened.events.length; k += pageSize) {
        const events = opened.events.slice(k, k + pageSize);
        send({ events }, events, batch.name);
        const broken = await settleReady();
        if (broken) return broken;
      }
      const broken = await settleAll();
      if (broken) return broken;
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

  /**
   * Walks the hot table in ranges of `pageSize` seqs that the workers read
   * and check themselves, several at once (VerifyPool.checkRange), and takes
   * their summaries in order (stitchRange): each range's first row is
   * checked against where the walk stands, the rest the worker checked.
   * Returns the first break, or the seq after which the walk goes on (rows
   * appended since the bounds were read), or undefined when there is nothing
   * to walk this way (an empty or one-page table: the pages below do it).
   */
  const walkRanges = async (): Promise<
    { broken: AuditBreak } | { after: number } | undefined
  > => {
    let bounds = await source.seqBounds!();
    // as the first page does below: an archive run may have moved rows out
    // since the batches were listed
    while (bounds && archive && bounds.min > expectedSeq) {
      const before = expectedSeq;
      const broken = await walkArchive();
      if (broken) return { broken };
      if (expectedSeq === before) break;
      bounds = await source.seqBounds!();
    }
    if (!bounds || bounds.max - bounds.min < pageSize) return undefined;
    startPool();
    const heads = [...wanted.keys()].sort((a, b) => a - b);
    const ranges: Array<{ summary: Promise<RangeSummary>; done: boolean }> = [];
    const take = async (): Promise<AuditBreak | undefined> => {
      const summary = await ranges.shift()!.summary;
      const at = stitchRange({ expectedSeq, prevHash }, summary);
      // (after a break nothing more is checked: these are the rows before it)
      for (const [seq, hash] of summary.wanted) wanted.set(seq, hash);
      verified += at.holding;
      expectedSeq += at.holding;
      if (at.head) {
        head = at.head;
        prevHash = at.head.hash;
      }
      return at.broken;
    };
    let lo = bounds.min - 1;
    while (lo < bounds.max) {
      const range = { lo, hi: lo + pageSize };
      lo = range.hi;
      const inRange = heads.filter(seq => seq > range.lo && seq <= range.hi);
      const summary = pool!.checkRange(range, inRange);
      const entry = { summary, done: false };
      summary.then(
        () => (entry.done = true),
        () => (entry.done = true), // taken by take(), or dropped after a break
      );
      ranges.push(entry);
      stats.pagesOnWorkers++;
      stats.rangesOnWorkers = (stats.rangesOnWorkers ?? 0) + 1;
      while (
        ranges.length &&
        (ranges.length >= pool!.size * 2 || ranges[0].done)
      ) {
        const broken = await take();
        if (broken) return { broken };
      }
    }
    while (ranges.length) {
      const broken = await take();
      if (broken) return { broken };
    }
    return { after: lo };
  };

  try {
    let broken = await walkArchive();
    if (broken) return result({ ok: false, break: broken });

    let after = 0;
    let first = true;
    const workersRead = options.pool
      ? options.pool.database
      : (options.workers ?? 0) > 0 && source.workerDatabase?.();
    if (workersRead && source.seqBounds) {
      const walked = await walkRanges();
      if (walked && 'broken' in walked) {
        return result({ ok: false, break: walked.broken });
      }
      if (walked) {
        after = walked.after;
        first = false;
      }
    }
    let page = source.rowsAfter(after, pageSize);
    next = { expectedSeq, prevHash };
    for (;;) {
      let rows: AuditRow[];
      try {
        rows = await page;
      } catch (e) {
        // the walk needs this page, unless one before it breaks
        broken = await settleAll();
        if (broken) return result({ ok: false, break: broken });
        throw e;
      }
      if (!rows.length) break;
      if (first && archive && Number(rows[0].seq) > expectedSeq) {
        // an archive run may have moved rows out since the batches were
        // listed: walk the batches recorded since, then read the hot table again
        const before = expectedSeq;
        broken = await walkArchive();
        if (broken) return result({ ok: false, break: broken });
        if (expectedSeq !== before) {
          page = source.rowsAfter(0, pageSize);
          next = { expectedSeq, prevHash };
          continue;
        }
      }
      first = false;
      // Ask for the next page now, so the database reads and sends it while
      // this one is checked. It starts after this page's last row: where the
      // walk continues if this page holds. If a page breaks, the pages after
      // it are dropped (and their failures ignored).
      page = source.rowsAfter(Number(rows[rows.length - 1].seq), pageSize);
      page.catch(() => {});
      send({ rows }, rows);
      broken = await settleReady();
      if (broken) return result({ ok: false, break: broken });
    }
    broken = await settleAll();
    if (broken) return result({ ok: false, break: broken });
  } finally {
    if (pool) {
      stats.checkMs = (stats.checkMs ?? 0) + pool.busyMs - poolBusy.ms;
      stats.checkCpuMs = (stats.checkCpuMs ?? 0) + pool.cpuMs - poolBusy.cpuMs;
    }
    if (ownPool) await pool?.close();
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
