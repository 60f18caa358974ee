import {
  AuditEvent,
  ChainPosition,
  RunBreak,
} from '@internal/plugin-audit-common';
import type { Knex } from 'knex';
import { Worker } from 'worker_threads';
import { AuditRow } from '../database/rows';
import {
  JobResult,
  PageJob,
  RangeJob,
  RangeSummary,
  VERIFY_WORKER_FILE,
  VERIFY_WORKER_ROLE,
  VerifyWorkerData,
} from './verifyWorker';

/**
 * A worker thread running services/verifyWorker.ts. From the built package
 * the worker loads the compiled module by its file name; from the source
 * tree (.ts: jest, `yarn start`, the scripts) through the TypeScript require
 * hook of @backstage/cli, which is there in development only.
 */
const resourceLimits = {
  // A worker checking a page it was sent (SQLite, the archive) holds its
  // 10,000 rows, and V8's default young generation (a few MB) collected
  // them many times over; with 16 MB, 1,000,000 rows on PostgreSQL took 9.3 s
  // of CPU instead of 11.9 s, when the workers still held their ranges too
  // (scripts/bench/audit, 2 workers; docs/audit.md).
  maxYoungGenerationSizeMb: 16,
};

function startWorker(workerData: VerifyWorkerData): Worker {
  if (!/\.tsx?$/.test(VERIFY_WORKER_FILE)) {
    return new Worker(VERIFY_WORKER_FILE, { workerData, resourceLimits });
  }
  const hook = require.resolve('@backstage/cli/config/nodeTransform.cjs');
  return new Worker(
    `require(${JSON.stringify(hook)}); require(${JSON.stringify(
      VERIFY_WORKER_FILE,
    )});`,
    { eval: true, workerData, resourceLimits },
  );
}

interface Pending {
  resolve(result: JobResult): void;
  reject(error: Error): void;
}

interface PoolWorker {
  worker: Worker;
  pending: Map<number, Pending>;
  /** The worker's CPU time so far (ms), as it last said. */
  cpuMs: number;
}

/**
 * Worker threads that check the chain for verifyChain, each job given to the
 * least busy one: a page of rows (or archived events) read by the calling
 * thread, checked from where the chain stands before it; or, with
 * `database`, a range of seqs that the worker reads itself (its own
 * connection) and checks as far as it can alone (see RangeSummary). The
 * chain hash, and reading rows, are the CPU cost of verifying.
 */
export class VerifyPool {
  private readonly workers: PoolWorker[];
  private nextId = 0;
  private failure?: Error;
  /** Jobs sent to the workers. */
  pages = 0;
  /** Time the workers spent on jobs, summed over them (ms). */
  busyMs = 0;
  /** CPU time the workers spent checking, summed over them (ms; 0 where Node cannot tell). */
  cpuMs = 0;

  constructor(
    readonly size: number,
    /** Where range jobs read from: a knex configuration (plain data) each worker opens. */
    readonly database?: Knex.Config,
  ) {
    this.workers = Array.from({ length: size }, () => {
      const worker = startWorker({ role: VERIFY_WORKER_ROLE, database });
      const entry: PoolWorker = { worker, pending: new Map(), cpuMs: 0 };
      const fail = (error: Error) => {
        this.failure ??= error;
        for (const p of entry.pending.values()) p.reject(error);
        entry.pending.clear();
      };
      worker.on('message', (result: JobResult | { closed: true }) => {
        if ('closed' in result) return;
        const p = entry.pending.get(result.id);
        if (!p) return;
        entry.pending.delete(result.id);
        this.busyMs += result.ms;
        this.cpuMs += result.cpuMs ?? 0;
        entry.cpuMs = result.threadCpuMs ?? entry.cpuMs;
        if (result.error !== undefined) {
          p.reject(new Error(`verify worker: ${result.error}`));
        } else p.resolve(result);
      });
      worker.on('error', fail);
      worker.on('exit', code => {
        if (entry.pending.size)
          fail(new Error(`verify worker exited (${code})`));
      });
      return entry;
    });
  }

  /** The workers' CPU time so far, in all, summed over them (ms; 0 where Node cannot tell). */
  get threadCpuMs(): number {
    return this.workers.reduce((n, w) => n + w.cpuMs, 0);
  }

  private send(
    job: Omit<PageJob, 'id'> | Omit<RangeJob, 'id'>,
  ): Promise<JobResult> {
    if (this.failure) return Promise.reject(this.failure);
    const target = this.workers.reduce((a, b) =>
      b.pending.size < a.pending.size ? b : a,
    );
    const id = this.nextId++;
    this.pages++;
    return new Promise((resolve, reject) => {
      target.pending.set(id, { resolve, reject });
      target.worker.postMessage({ id, ...job });
    });
  }

  /** Checks a page (rows of the hot table, or events of an archived batch) from `start`. */
  async check(
    page: { rows?: AuditRow[]; events?: AuditEvent[] },
    start: ChainPosition,
  ): Promise<RunBreak | undefined> {
    return (await this.send({ ...page, start })).broken;
  }

  /** Reads the rows of seq lo < seq ≤ hi on a worker, and summarizes them (needs `database`). */
  async checkRange(
    range: { lo: number; hi: number },
    wanted: number[],
  ): Promise<RangeSummary> {
    if (!this.database) throw new Error('VerifyPool has no database');
    return (await this.send({ range, wanted })).summary!;
  }

  /** Stops the workers (their connections closed first; jobs still pending are rejected). */
  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(async ({ worker }) => {
        if (this.database) {
          const closed = new Promise<void>(resolve => {
            const done = (m: unknown) => {
              if ((m as { closed?: boolean })?.closed) resolve();
            };
            worker.on('message', done);
            worker.once('exit', () => resolve());
          });
          worker.postMessage({ close: true });
          await Promise.race([
            closed,
            new Promise(resolve => setTimeout(resolve, 5_000).unref()),
          ]);
        }
        await worker.terminate();
      }),
    );
  }
}
