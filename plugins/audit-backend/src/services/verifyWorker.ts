/*
 * The checks of the chain that verifyChain runs on its worker threads
 * (VerifyPool), and in its own thread where it has no workers.
 *
 * A worker thread loads this module by its file name, VERIFY_WORKER_FILE:
 * from the built package that is dist/services/verifyWorker.cjs.js (this
 * module is bundled as a file of its own, since verifyChain imports it), from
 * the source tree this .ts file, through the TypeScript require hook of
 * @backstage/cli. So it imports only what a worker needs: the chain checks
 * and the row mapping; pg only when it reads from the database itself.
 */
import {
  AuditBreak,
  AuditEvent,
  ChainPosition,
  RunBreak,
  checkLink,
  checkRun,
} from '@internal/plugin-audit-common';
import type { Knex } from 'knex';
import { performance } from 'perf_hooks';
import { isMainThread, parentPort, workerData } from 'worker_threads';
import { AuditRow, RowLink, rowChainHash, rowLink } from '../database/rows';

/** This module's file, for `new Worker` (a .ts file from the source tree). */
export const VERIFY_WORKER_FILE: string = __filename;

/** Set in a verify worker's `workerData`, so that loading this module elsewhere starts nothing. */
export const VERIFY_WORKER_ROLE = 'dezky-audit-verify-worker';

/** A verify worker's `workerData`. */
export interface VerifyWorkerData {
  role: typeof VERIFY_WORKER_ROLE;
  /** Where range jobs read from (see ChainSource.workerDatabase). */
  database?: Knex.Config;
}

/** A page to check from a known position: rows (hot table) or events (an archived batch), in seq order. */
export interface PageJob {
  id: number;
  rows?: AuditRow[];
  events?: AuditEvent[];
  start: ChainPosition;
}

/** A range of the hot table to read and check on the worker: the rows of seq lo < seq ≤ hi. */
export interface RangeJob {
  id: number;
  range: { lo: number; hi: number };
  /** The seqs in the range whose hash the walk needs (checkpoint heads). */
  wanted: number[];
}

/**
 * What a range holds, checked as far as it can be without the rows before
 * it: every row but the first against the one before it in the range
 * (checkEvent, from the first row's seq and hash), and the first row's own
 * hash. verifyChain checks the first row's link and seq when it knows where
 * the chain stands, in order (see stitchRange).
 */
export interface RangeSummary {
  count: number;
  first?: {
    seq: number;
    prevHash: string;
    hash: string;
    /** chainHash of the first row, or why it could not be computed. */
    recomputed?: string;
    hashError?: string;
  };
  last?: { seq: number; hash: string };
  /** The first row after the first that breaks (index ≥ 1), and the row before it. */
  broken?: RunBreak & { before: { seq: number; hash: string } };
  /** A row that could not be read back (index; 0 is the first row). */
  error?: { index: number; message: string };
  /** seq and hash of the wanted seqs found (before any break). */
  wanted: Array<[number, string]>;
}

/** The answer to a job: the page's first break or the range's summary, or why it could not be checked. */
export interface JobResult {
  id: number;
  broken?: RunBreak;
  summary?: RangeSummary;
  error?: string;
  /** Time the job took on the worker (ms). */
  ms: number;
  /** CPU time the worker spent on it (ms), where Node can tell (process.threadCpuUsage): checking a page; reading and checking a range. */
  cpuMs?: number;
  /** The worker's CPU time so far, in all (ms): receiving pages and collecting garbage too. */
  threadCpuMs?: number;
}

/** The CPU time of this thread in ms, where Node can tell. */
export function threadCpuMs(): number | undefined {
  const usage = (
    process as { threadCpuUsage?: () => { user: number; system: number } }
  ).threadCpuUsage?.();
  return usage && (usage.user + usage.system) / 1000;
}

function* linksOf(rows: readonly AuditRow[]): Iterable<RowLink> {
  // one at a time: a row after a break is never read (as a walk row by row)
  for (const row of rows) yield rowLink(row);
}

/**
 * Checks the rows (or events) of a page, in seq order, from where the chain
 * stands before its first one: the first break, or undefined. The same
 * checks, in the same order, as walking the chain event by event.
 */
export function checkPage(
  page: { rows?: readonly AuditRow[]; events?: readonly AuditEvent[] },
  start: ChainPosition,
): RunBreak | undefined {
  return page.events
    ? checkRun(page.events, start)
    : checkRun(linksOf(page.rows ?? []), start, rowChainHash);
}

const message = (e: unknown) => String((e as Error)?.message ?? e);

/**
 * Summarizes a range's rows (see RangeSummary) as they come, in seq order,
 * one at a time — so a worker reading a range keeps no row once checked —
 * with the checks, and in the order, of a walk row by row: the first row
 * read and hashed, every later one checked against the one before it
 * (link, seq, hash) until one breaks or cannot be read back.
 */
export class RangeSummarizer {
  readonly summary: RangeSummary = { count: 0, wanted: [] };
  private readonly want: Set<number>;
  /** Where the chain stands after the last row that held; undefined once stopped. */
  private at?: ChainPosition;
  private before?: { seq: number; hash: string };

  constructor(wanted: readonly number[]) {
    this.want = new Set(wanted);
  }

  add(row: AuditRow): void {
    const index = this.summary.count++;
    this.summary.last = { seq: Number(row.seq), hash: row.hash };
    if (index === 0) {
      this.first(row);
      return;
    }
    const at = this.at;
    if (!at) return; // stopped: the rows after a break are not read
    let broken: Omit<AuditBreak, 'seq'> | undefined;
    let link: RowLink;
    try {
      link = rowLink(row);
      broken = checkLink(link, at.expectedSeq, at.prevHash, rowChainHash);
    } catch (e) {
      this.summary.error = { index, message: message(e) };
      this.at = undefined;
      return;
    }
    if (broken) {
      this.summary.broken = {
        index,
        break: { ...broken, seq: link.seq },
        before: this.before!,
      };
      this.at = undefined;
      return;
    }
    this.holds(link);
  }

  private first(row: AuditRow): void {
    let first: RowLink;
    try {
      first = rowLink(row);
    } catch (e) {
      this.summary.error = { index: 0, message: message(e) };
      return;
    }
    this.summary.first = {
      seq: first.seq,
      prevHash: first.prevHash,
      hash: first.hash,
    };
    try {
      this.summary.first.recomputed = rowChainHash(first);
    } catch (e) {
      this.summary.first.hashError = message(e);
    }
    this.holds(first);
  }

  private holds(link: RowLink): void {
    this.at = { expectedSeq: link.seq + 1, prevHash: link.hash };
    this.before = { seq: link.seq, hash: link.hash };
    if (this.want.has(link.seq))
      this.summary.wanted.push([link.seq, link.hash]);
  }
}

/**
 * Takes a range's summary into the walk, standing at `at` before it, as the
 * walk row by row would: the first row's link, seq and hash (in that order),
 * then the range's own first break. Returns the break, or how far the walk
 * got; throws for a row that could not be read back, where the walk would
 * have.
 */
export function stitchRange(
  at: ChainPosition,
  summary: RangeSummary,
):
  | {
      broken: AuditBreak;
      holding: number;
      head?: { seq: number; hash: string };
    }
  | {
      broken?: undefined;
      holding: number;
      head?: { seq: number; hash: string };
    } {
  const { first } = summary;
  if (summary.error?.index === 0 || !first) {
    if (summary.error) throw new Error(summary.error.message);
    return { holding: 0 };
  }
  if (first.prevHash !== at.prevHash) {
    return {
      holding: 0,
      broken: {
        kind: 'prev-hash-mismatch',
        expected: at.prevHash,
        actual: first.prevHash,
        seq: first.seq, // last, as the walk row by row writes it
      },
    };
  }
  if (first.seq !== at.expectedSeq) {
    return {
      holding: 0,
      broken: {
        kind: 'seq-gap',
        expected: String(at.expectedSeq),
        actual: String(first.seq),
        seq: first.seq,
      },
    };
  }
  if (first.hashError !== undefined) throw new Error(first.hashError);
  if (first.recomputed !== first.hash) {
    return {
      holding: 0,
      broken: {
        kind: 'event-hash-mismatch',
        expected: first.hash,
        actual: first.recomputed!,
        seq: first.seq,
      },
    };
  }
  if (summary.broken) {
    return {
      holding: summary.broken.index,
      head: summary.broken.before,
      broken: summary.broken.break,
    };
  }
  if (summary.error) throw new Error(summary.error.message);
  return { holding: summary.count, head: summary.last };
}

/** What the worker uses of pg's Query: a query that emits its rows. */
interface PgQuery {
  on(event: 'row', listener: (row: AuditRow) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  on(event: 'end', listener: () => void): void;
}

/** pg, loaded when a worker first reads (the package has no types here). */
let pg:
  | {
      Client: new (settings: unknown) => PgClient;
      Query: new (text: string, values: unknown[]) => PgQuery;
    }
  | undefined;

/** What the worker uses of pg's Client. */
interface PgClient {
  connect(): Promise<void>;
  query(query: PgQuery): void;
  on(event: 'error', listener: (error: Error) => void): void;
  query<R>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
  end(): Promise<void>;
}

/**
 * A connection of the worker's own to the store's database: pg's Client,
 * opened as knex's PostgreSQL client opens one (the connection settings as
 * given, then the search path). Not knex itself: loading knex took most of
 * a worker's start, and a worker starts with every verify.
 */
async function openConnection(config: Knex.Config): Promise<PgClient> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  pg ??= require('pg') as NonNullable<typeof pg>;
  const client = new pg.Client(config.connection);
  // a connection lost between jobs: the next query fails, and its job with it
  client.on('error', () => {});
  await client.connect();
  if (config.searchPath) {
    const path = [config.searchPath]
      .flat()
      .map(schema => `"${String(schema).replace(/"/g, '""')}"`)
      .join(',');
    await client.query(`set search_path to ${path}`);
  }
  return client;
}

/**
 * Summarizes the rows of seq lo < seq ≤ hi (as AuditStore.rowsAfter reads
 * them, in seq order) as pg parses them, one at a time: none is kept once
 * checked, so a range never piles up in memory — 10,000 rows held across
 * the read were most of a worker's garbage collection.
 */
function summarizeRangeOf(
  client: PgClient,
  job: RangeJob,
): Promise<{ summary: RangeSummary; cpuMs?: number }> {
  const summarizer = new RangeSummarizer(job.wanted);
  // from its first row: the jobs of a worker wait their turn on its connection
  let cpuStart: number | undefined;
  const query = new pg!.Query(
    'SELECT * FROM audit_events WHERE seq > $1 AND seq <= $2 ORDER BY seq ASC',
    [job.range.lo, job.range.hi],
  );
  return new Promise((resolve, reject) => {
    // with a 'row' listener and no callback, pg keeps no rows of its own
    let failed: unknown;
    query.on('row', (row: AuditRow) => {
      cpuStart ??= threadCpuMs();
      try {
        summarizer.add(row);
      } catch (e) {
        failed ??= e; // not into pg's parser: the job fails when the rows end
      }
    });
    query.on('error', reject);
    query.on('end', () => {
      if (failed !== undefined) {
        reject(failed);
        return;
      }
      const cpuEnd = threadCpuMs();
      resolve({
        summary: summarizer.summary,
        cpuMs:
          cpuStart === undefined || cpuEnd === undefined
            ? undefined
            : cpuEnd - cpuStart,
      });
    });
    client.query(query);
  });
}

if (!isMainThread && workerData?.role === VERIFY_WORKER_ROLE) {
  const port = parentPort!;
  const data = workerData as VerifyWorkerData;
  // one connection: pg queues the queries of jobs that arrive together
  let database: Promise<PgClient> | undefined;
  const connect = () => (database ??= openConnection(data.database ?? {}));
  port.on('message', async (job: PageJob | RangeJob | { close: true }) => {
    if ('close' in job) {
      await (await database?.catch(() => undefined))?.end().catch(() => {});
      port.postMessage({ closed: true });
      return;
    }
    const started = performance.now();
    let result: Omit<JobResult, 'ms'>;
    try {
      if ('range' in job) {
        const { summary, cpuMs } = await summarizeRangeOf(await connect(), job);
        result = { id: job.id, summary, cpuMs };
      } else {
        const cpu = threadCpuMs();
        const broken = checkPage(job, job.start);
        const cpuAfter = threadCpuMs();
        result = {
          id: job.id,
          broken,
          cpuMs:
            cpu === undefined || cpuAfter === undefined
              ? undefined
              : cpuAfter - cpu,
        };
      }
    } catch (e) {
      result = { id: job.id, error: String((e as Error)?.stack ?? e) };
    }
    port.postMessage({
      ...result,
      ms: performance.now() - started,
      threadCpuMs: threadCpuMs(),
    });
  });
}
