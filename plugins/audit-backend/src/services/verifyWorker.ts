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
  /** CPU time the worker spent on it (ms), where Node can tell (process.threadCpuUsage). */
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

/** The summary of a range's rows (in seq order); see RangeSummary. */
export function summarizeRange(
  rows: readonly AuditRow[],
  wanted: readonly number[],
): RangeSummary {
  const summary: RangeSummary = { count: rows.length, wanted: [] };
  if (!rows.length) return summary;
  let first: RowLink;
  try {
    first = rowLink(rows[0]);
  } catch (e) {
    return { ...summary, error: { index: 0, message: message(e) } };
  }
  summary.first = {
    seq: first.seq,
    prevHash: first.prevHash,
    hash: first.hash,
  };
  try {
    summary.first.recomputed = rowChainHash(first);
  } catch (e) {
    summary.first.hashError = message(e);
  }
  const last = rows[rows.length - 1];
  summary.last = { seq: Number(last.seq), hash: last.hash };
  let index = 1;
  const rest = function* rest() {
    for (; index < rows.length; index++) yield rowLink(rows[index]);
  };
  try {
    const broken = checkRun(
      rest(),
      { expectedSeq: first.seq + 1, prevHash: first.hash },
      rowChainHash,
    );
    if (broken) {
      const i = broken.index + 1;
      summary.broken = {
        index: i,
        break: broken.break,
        before: { seq: Number(rows[i - 1].seq), hash: rows[i - 1].hash },
      };
    }
  } catch (e) {
    summary.error = { index, message: message(e) };
  }
  const holding = summary.broken?.index ?? summary.error?.index ?? rows.length;
  const want = new Set(wanted);
  for (let i = 0; i < holding; i++) {
    const seq = Number(rows[i].seq);
    if (want.has(seq)) summary.wanted.push([seq, rows[i].hash]);
  }
  return summary;
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

/** What the worker uses of pg's Client (the package has no types here). */
interface PgClient {
  connect(): Promise<void>;
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
  const { Client } = require('pg') as {
    Client: new (settings: unknown) => PgClient;
  };
  const client = new Client(config.connection);
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

/** The rows of seq lo < seq ≤ hi, in seq order, as AuditStore.rowsAfter reads them. */
async function readRange(
  client: PgClient,
  range: { lo: number; hi: number },
): Promise<AuditRow[]> {
  const { rows } = await client.query<AuditRow>(
    'SELECT * FROM audit_events WHERE seq > $1 AND seq <= $2 ORDER BY seq ASC',
    [range.lo, range.hi],
  );
  return rows;
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
    let rows: AuditRow[] | undefined;
    let result: Omit<JobResult, 'ms'>;
    try {
      if ('range' in job) {
        rows = await readRange(await connect(), job.range);
      }
    } catch (e) {
      result = { id: job.id, error: String((e as Error)?.stack ?? e) };
    }
    const cpu = threadCpuMs();
    try {
      result ??=
        'range' in job
          ? { id: job.id, summary: summarizeRange(rows!, job.wanted) }
          : { id: job.id, broken: checkPage(job, job.start) };
    } catch (e) {
      result = { id: job.id, error: String((e as Error)?.stack ?? e) };
    }
    const cpuAfter = threadCpuMs();
    port.postMessage({
      ...result,
      ms: performance.now() - started,
      cpuMs:
        cpu === undefined || cpuAfter === undefined
          ? undefined
          : cpuAfter - cpu,
      threadCpuMs: cpuAfter,
    });
  });
}
