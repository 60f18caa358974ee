import { mockServices } from '@backstage/backend-test-utils';
import {
  describeOnPostgres,
  dezkyTestDatabases,
} from '@internal/dezky-test-utils';
import { Knex } from 'knex';
import { verifyChain } from '../services/verifyChain';
import { AuditStore } from './AuditStore';
import { runInstances } from '../testUtils';

/*
 * Two backend instances on one PostgreSQL database: two OS processes
 * (testUtils/appendWorker.ts), each with its own knex pool, AuditStore and
 * group-commit AuditService, released together, each recording 5,000 events
 * from 100 concurrent callers. The advisory lock in AuditStore.append must
 * keep one chain: seq 1..N without gap or duplicate, every link and hash
 * valid, and the two instances' batches interleaved.
 *
 * PostgreSQL only: SQLite has one writer per file by construction and is not
 * what several instances share. Under DEZKY_REQUIRE_POSTGRES=1 (scripts/test,
 * CI) a missing PostgreSQL fails the file (describeOnPostgres); only without
 * it, on a machine with no PostgreSQL, is the suite reported as skipped.
 */

const EVENTS_PER_INSTANCE = 5_000;
const CONCURRENCY = 100;

jest.setTimeout(90_000);

const databases = dezkyTestDatabases();

describeOnPostgres(
  databases,
  'two backend instances appending to one PostgreSQL chain',
  () => {
    let knex: Knex;
    let store: AuditStore;

    beforeAll(async () => {
      knex = await databases.init('POSTGRES_15');
      store = await AuditStore.create({
        database: mockServices.database({ knex }),
      });
    });

    it('keeps one gapless, valid chain with both instances interleaved', async () => {
      const connection = (knex.client.config as Knex.Config).connection;
      const results = await runInstances(
        ['a', 'b'].map(instance => ({
          instance,
          knex: { client: 'pg', connection, pool: { min: 1, max: 4 } },
          events: EVENTS_PER_INSTANCE,
          concurrency: CONCURRENCY,
        })),
        { timeoutMs: 60_000 },
      );

      // each instance got a seq for every one of its events
      for (const r of results) {
        expect(r.seqs).toHaveLength(EVENTS_PER_INSTANCE);
      }
      const n = 2 * EVENTS_PER_INSTANCE;

      // the table: exactly seq 1..N, no gap, no duplicate
      const rows: { seq: string | number; metadata: string | null }[] =
        await knex('audit_events')
          .orderBy('seq', 'asc')
          .select('seq', 'metadata');
      const count = await knex('audit_events').count({ n: '*' }).first();
      expect(Number(count!.n)).toBe(n);
      expect(rows.length).toBeGreaterThanOrEqual(10_000);
      const seqs = rows.map(r => Number(r.seq));
      expect(seqs[0]).toBe(1);
      expect(seqs[seqs.length - 1]).toBe(n);
      expect(seqs.every((s, i) => s === i + 1)).toBe(true);
      // …and they are the seqs the instances were given, each once
      const given = results.flatMap(r => r.seqs).sort((x, y) => x - y);
      expect(given.every((s, i) => s === i + 1)).toBe(true);

      // every link and every hash holds — walked in one thread, and on
      // worker threads that read the table themselves (10 ranges of 1,000)
      const head = await store.head();
      await expect(verifyChain(store)).resolves.toEqual({
        ok: true,
        verified: n,
        head,
      });
      const stats = { pagesInThread: 0, pagesOnWorkers: 0, workers: 0 };
      await expect(
        verifyChain(store, 1_000, undefined, undefined, { workers: 2, stats }),
      ).resolves.toEqual({ ok: true, verified: n, head });
      expect(stats).toMatchObject({
        pagesInThread: 0,
        pagesOnWorkers: 10,
        rangesOnWorkers: 10,
        workers: 2,
      });

      // real concurrency: the instances' events alternate along the chain,
      // not one block after the other (metadata.instance says whose it is)
      const owner = rows.map(r => JSON.parse(r.metadata!).instance);
      let runs = 1;
      for (let i = 1; i < owner.length; i++) {
        if (owner[i] !== owner[i - 1]) runs++;
      }
      expect(new Set(owner)).toEqual(new Set(['a', 'b']));
      expect(runs).toBeGreaterThanOrEqual(4);
      // and the DB agrees with what each instance was told
      for (const r of results) {
        expect(r.seqs.every(s => owner[s - 1] === r.instance)).toBe(true);
      }
      const [a, b] = results;
      expect(Math.min(...a.seqs)).toBeLessThan(Math.max(...b.seqs));
      expect(Math.min(...b.seqs)).toBeLessThan(Math.max(...a.seqs));
      // group commit did batch: fewer transactions than events
      for (const r of results) {
        expect(r.batches.length).toBeLessThan(EVENTS_PER_INSTANCE / 2);
      }
    });
  },
);
