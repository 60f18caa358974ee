/*
 * One "backend instance" appending to the audit chain, run as its own OS
 * process by twoInstances.test.ts and scripts/bench/audit:
 *
 *   node --require @backstage/cli/config/nodeTransform.cjs appendWorker.ts
 *
 * started with child_process.fork (it talks over the IPC channel) and its
 * configuration as JSON in AUDIT_APPEND_WORKER (see WorkerConfig). It opens
 * its own knex pool, creates its own AuditStore and AuditService (group
 * commit), answers `{ type: 'ready' }`, waits for `{ type: 'go' }`, then
 * records `events` events from `concurrency` concurrent callers (each awaits
 * its `record` before the next), and answers `{ type: 'done', ... }` with
 * the seq of every event it recorded, its start and end time (epoch ms) and
 * the sizes of the batches its AuditService wrote. Migrations must already
 * have run. On any failure it answers `{ type: 'error' }` and exits 1.
 */
import { LoggerService } from '@backstage/backend-plugin-api';
import { AuditEventInput } from '@internal/plugin-audit-common';
import knexFactory, { Knex } from 'knex';
import { performance } from 'perf_hooks';
import { AuditService } from '../services/AuditService';
import { AuditStore } from '../database/AuditStore';
import { sampleEvent } from './sampleEvents';

export interface WorkerConfig {
  /** Names the instance in its events (`metadata.instance`, the service actor's ref). */
  instance: string;
  /** knex configuration: client, connection, pool. */
  knex: Knex.Config;
  events: number;
  concurrency: number;
  /** AuditService's largest batch (default 500, as in the plugin). */
  maxBatch?: number;
}

export type WorkerMessage =
  | { type: 'ready'; instance: string }
  | {
      type: 'done';
      instance: string;
      seqs: number[];
      startedAt: number;
      endedAt: number;
      batches: number[];
    }
  | { type: 'error'; instance: string; message: string };

const now = () => performance.timeOrigin + performance.now();

/** Counts the batches the service writes, and their sizes. */
class CountingStore extends AuditStore {
  readonly batches: number[] = [];

  async append(inputs: AuditEventInput[]) {
    this.batches.push(inputs.length);
    return super.append(inputs);
  }
}

function logger(instance: string): LoggerService {
  // a failed insert's message quotes the whole statement: keep the start
  const write = (level: string) => (message: string) =>
    process.stderr.write(
      `[${instance}] ${level}: ${
        message.length > 600 ? `${message.slice(0, 600)} …` : message
      }\n`,
    );
  const self: LoggerService = {
    error: write('error'),
    warn: write('warn'),
    info: () => {},
    debug: () => {},
    child: () => self,
  };
  return self;
}

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve, reject) =>
    process.send!(message, undefined, {}, e => (e ? reject(e) : resolve())),
  );
}

async function run(config: WorkerConfig) {
  const knex = knexFactory(config.knex);
  try {
    // open the pool's connection before the start line
    await knex.raw('select 1');
    const store = new CountingStore(knex);
    const service = new AuditService(
      store,
      logger(config.instance),
      undefined,
      config.maxBatch ?? 500,
    );
    const go = new Promise<void>(resolve =>
      process.on('message', (m: { type?: string }) => {
        if (m?.type === 'go') resolve();
      }),
    );
    await send({ type: 'ready', instance: config.instance });
    await go;

    const startedAt = now();
    const seqs: number[] = [];
    let next = 0;
    const caller = async () => {
      while (next < config.events) {
        const i = next++;
        const event = await service.record(sampleEvent(i, config.instance));
        seqs.push(event.seq);
      }
    };
    await Promise.all(
      Array.from({ length: Math.max(1, config.concurrency) }, caller),
    );
    const endedAt = now();
    await send({
      type: 'done',
      instance: config.instance,
      seqs,
      startedAt,
      endedAt,
      batches: store.batches,
    });
  } finally {
    await knex.destroy();
  }
}

if (require.main === module) {
  const config: WorkerConfig = JSON.parse(
    process.env.AUDIT_APPEND_WORKER ?? '{}',
  );
  if (!process.send) {
    process.stderr.write('appendWorker: start me with child_process.fork\n');
    process.exit(2);
  }
  // the parent is gone (killed, timed out): do not linger on an open pool
  const orphaned = () => process.exit(1);
  process.on('disconnect', orphaned);
  run(config).then(
    () => {
      process.off('disconnect', orphaned);
      process.disconnect?.();
    },
    async e => {
      const message = String(e?.message ?? e);
      await send({
        type: 'error',
        instance: config.instance,
        message: message.length > 600 ? `${message.slice(0, 600)} …` : message,
      }).catch(() => {});
      process.exit(1);
    },
  );
}
