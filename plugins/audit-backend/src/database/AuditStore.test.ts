import { mockServices } from '@backstage/backend-test-utils';
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import { AuditEventInput } from '@internal/plugin-audit-common';
import knexFactory, { Knex } from 'knex';
import { VerifyStats, verifyChain } from '../services/verifyChain';
import { VerifyPool } from '../services/VerifyPool';
import { AuditStore } from './AuditStore';

jest.setTimeout(120_000);

const databases = dezkyTestDatabases();

const event = (
  i: number,
  extra: Partial<AuditEventInput> = {},
): AuditEventInput => ({
  at: new Date(Date.UTC(2026, 10, 25, 12, 0, i)).toISOString(),
  actor: {
    type: 'user',
    ref: 'user:default/anna.schmidt',
    email: 'anna.schmidt@dezky.example',
  },
  action: i % 2 ? 'tenant.updated' : 'tenant.suspended',
  outcome: 'success',
  resource: { type: 'tenant', ref: 'tenant:default/acme', name: 'ACME GmbH' },
  tenant: 'Tenant:default/ACME',
  partner: 'partner:default/nordlicht-it',
  source: 'portal',
  metadata: { seats: { from: i, to: i + 1 }, note: 'ü∑ "quoted"' },
  ...extra,
});

/*
 * The tampering is found the same whether verifyChain checks the pages in
 * its own thread or on worker threads: every test runs both ways (on the
 * workers with pages of at most 7 rows, so a chain of 30 has several).
 */
describe.each([
  ['in the verifying thread', false],
  ['on worker threads', true],
])('verifyChain %s', (_mode, onWorkers) => {
  /**
   * verifyChain in this mode; on the workers it must have used them — on
   * PostgreSQL reading ranges of the table themselves.
   */
  async function verify(store: AuditStore, pageSize?: number) {
    const stats: VerifyStats = {
      pagesInThread: 0,
      pagesOnWorkers: 0,
      workers: 0,
    };
    const result = await verifyChain(
      store,
      onWorkers ? Math.min(pageSize ?? 7, 7) : pageSize,
      undefined,
      undefined,
      { workers: onWorkers ? 2 : 0, stats },
    );
    if (onWorkers && !stats.pagesOnWorkers) {
      throw new Error('verifyChain did not use the worker threads');
    }
    if (onWorkers && store.workerDatabase() && !stats.rangesOnWorkers) {
      throw new Error('the worker threads did not read the table themselves');
    }
    return result;
  }

  describe.each(databases.eachSupportedId())(
    'AuditStore and verifyChain on %p',
    databaseId => {
      let knex: Knex;
      let store: AuditStore;

      beforeEach(async () => {
        knex = await databases.init(databaseId);
        store = await AuditStore.create({
          database: mockServices.database({ knex }),
        });
        await store.append(Array.from({ length: 30 }, (_, i) => event(i + 1)));
      });

      it('chains events from seq 1 with no gap, and verifies them', async () => {
        const rows = await knex('audit_events')
          .orderBy('seq')
          .select('seq', 'prev_hash', 'hash', 'tenant_ref');
        expect(rows.map(r => Number(r.seq))).toEqual(
          Array.from({ length: 30 }, (_, i) => i + 1),
        );
        expect(rows[0].prev_hash).toBe('0'.repeat(64));
        for (let i = 1; i < rows.length; i++)
          expect(rows[i].prev_hash).toBe(rows[i - 1].hash);
        expect(rows[0].tenant_ref).toBe('tenant:default/acme'); // refs stored lower case
        await expect(verify(store, 7)).resolves.toEqual({
          ok: true,
          verified: 30,
          head: { seq: 30, hash: rows[29].hash },
        });
      });

      it('deduplicates by (source, externalId) across batches and within one', async () => {
        const first = await store.append([
          event(100, { source: 'stalwart', externalId: 'x-1' }),
        ]);
        const again = await store.append([
          event(101, { source: 'stalwart', externalId: 'x-1' }),
          event(102, { source: 'stalwart', externalId: 'x-2' }),
          event(103, { source: 'stalwart', externalId: 'x-2' }),
        ]);
        expect(again[0]).toEqual(first[0]);
        expect(again[2]).toEqual(again[1]);
        const n = await knex('audit_events')
          .where({ source: 'stalwart' })
          .count({ n: '*' })
          .first();
        expect(Number(n!.n)).toBe(2);
        await expect(verify(store)).resolves.toMatchObject({
          ok: true,
          verified: 32,
        });
      });

      it('deduplicates an externalId longer than its column (stored as its SHA-256) and a source longer than its column', async () => {
        const long = event(100, {
          source: `stalwart-${'s'.repeat(60)}`,
          externalId: `x-${'y'.repeat(300)}`,
        });
        const [first] = await store.append([long]);
        // before, the lookup used the id as given, found nothing, and the
        // insert then hit the unique key: every replay failed the whole batch
        const again = await store.append([long, event(101)]);
        expect(again[0]).toEqual(first);
        expect(again[1]).toMatchObject({ seq: 32 });
        const n = await knex('audit_events').count({ n: '*' }).first();
        expect(Number(n!.n)).toBe(32);
        await expect(verify(store)).resolves.toMatchObject({
          ok: true,
          verified: 32,
        });
      });

      it('detects a modified field as event-hash-mismatch at that seq', async () => {
        await knex('audit_events')
          .where({ seq: 12 })
          .update({ outcome: 'failure' });
        const result = await verify(store, 5);
        expect(result).toMatchObject({
          ok: false,
          verified: 11,
          break: { kind: 'event-hash-mismatch', seq: 12 },
        });
      });

      it('detects modified metadata as event-hash-mismatch', async () => {
        await knex('audit_events')
          .where({ seq: 3 })
          .update({
            metadata: JSON.stringify({ seats: { from: 1, to: 999 } }),
          });
        await expect(verify(store)).resolves.toMatchObject({
          break: { kind: 'event-hash-mismatch', seq: 3 },
        });
      });

      it('detects a deleted row as prev-hash-mismatch at the next seq', async () => {
        const deleted = await knex('audit_events')
          .where({ seq: 20 })
          .first('hash');
        const before = await knex('audit_events')
          .where({ seq: 19 })
          .first('hash');
        await knex('audit_events').where({ seq: 20 }).delete();
        await expect(verify(store)).resolves.toMatchObject({
          ok: false,
          verified: 19,
          break: {
            kind: 'prev-hash-mismatch',
            seq: 21,
            expected: before.hash,
            actual: deleted.hash,
          },
        });
      });

      it('detects an inserted row as prev-hash-mismatch', async () => {
        const row = await knex('audit_events').where({ seq: 30 }).first();
        await knex('audit_events').insert({
          ...row,
          seq: 31,
          prev_hash: 'f'.repeat(64),
          hash: 'e'.repeat(64),
        });
        await expect(verify(store)).resolves.toMatchObject({
          verified: 30,
          break: { kind: 'prev-hash-mismatch', seq: 31 },
        });
      });

      it('detects two swapped rows as prev-hash-mismatch at the first of them', async () => {
        const a = await knex('audit_events').where({ seq: 8 }).first();
        const b = await knex('audit_events').where({ seq: 9 }).first();
        await knex('audit_events').where({ seq: 8 }).delete();
        await knex('audit_events').where({ seq: 9 }).delete();
        await knex('audit_events').insert([
          { ...b, seq: 8 },
          { ...a, seq: 9 },
        ]);
        await expect(verify(store)).resolves.toMatchObject({
          verified: 7,
          break: { kind: 'prev-hash-mismatch', seq: 8 },
        });
      });

      it('detects a renumbered row as seq-gap', async () => {
        // move the head to seq 40: the links still hold, the numbering does not
        await knex('audit_events').where({ seq: 30 }).update({ seq: 40 });
        await expect(verify(store)).resolves.toMatchObject({
          verified: 29,
          break: { kind: 'seq-gap', seq: 40, expected: '30', actual: '40' },
        });
      });

      it('keeps one gap-free chain when two writers append concurrently', async () => {
        // on PostgreSQL the second writer has its own connection pool, like a second backend instance
        const otherKnex = databaseId.startsWith('POSTGRES')
          ? knexFactory(knex.client.config)
          : knex;
        const other = await AuditStore.create({
          database: mockServices.database({
            knex: otherKnex,
            migrations: { skip: true },
          }),
        });
        await Promise.all([
          ...Array.from({ length: 20 }, (_, i) =>
            store.append([event(200 + i), event(300 + i)]),
          ),
          ...Array.from({ length: 20 }, (_, i) =>
            other.append([event(400 + i)]),
          ),
        ]);
        await expect(verify(store)).resolves.toMatchObject({
          ok: true,
          verified: 30 + 60,
        });
        if (otherKnex !== knex) await otherKnex.destroy();
      });
    },
  );
});

describe.each(databases.eachSupportedId())(
  'verifyChain on %p, in one thread and on worker threads',
  databaseId => {
    it('reports the same for tampering at every position', async () => {
      const knex = await databases.init(databaseId);
      const store = await AuditStore.create({
        database: mockServices.database({ knex }),
      });
      await store.append(Array.from({ length: 30 }, (_, i) => event(i + 1)));
      const rows = await knex('audit_events').orderBy('seq');
      // on PostgreSQL the workers read ranges of the table themselves
      const pool = new VerifyPool(2, store.workerDatabase());
      const tamperings: Array<[string, (seq: number) => Promise<unknown>]> = [
        [
          'a field modified',
          async seq =>
            knex('audit_events').where({ seq }).update({ outcome: 'failure' }),
        ],
        [
          'a row deleted',
          async seq => knex('audit_events').where({ seq }).delete(),
        ],
        [
          'a row renumbered',
          async seq =>
            knex('audit_events')
              .where({ seq })
              .update({ seq: 1000 + seq }),
        ],
        [
          'a link rewritten',
          async seq =>
            knex('audit_events')
              .where({ seq })
              .update({ prev_hash: 'a'.repeat(64) }),
        ],
      ];
      const differences: string[] = [];
      try {
        for (const [name, tamper] of tamperings) {
          for (let seq = 1; seq <= 30; seq++) {
            await tamper(seq);
            const inThread = await verifyChain(store, 7);
            const stats: VerifyStats = {
              pagesInThread: 0,
              pagesOnWorkers: 0,
              workers: 0,
            };
            const parallel = await verifyChain(store, 7, undefined, undefined, {
              pool,
              stats,
            });
            const label = `${name} at ${seq}`;
            if (JSON.stringify(parallel) !== JSON.stringify(inThread)) {
              differences.push(
                `${label}: ${JSON.stringify(parallel)} / ${JSON.stringify(
                  inThread,
                )}`,
              );
            }
            if (!stats.pagesOnWorkers) differences.push(`${label}: no worker`);
            // the last row deleted leaves a sound (shorter) chain
            if (inThread.ok && !(name === 'a row deleted' && seq === 30)) {
              differences.push(`${label}: not found`);
            }
            await knex('audit_events')
              .whereIn('seq', [seq, 1000 + seq])
              .delete();
            await knex('audit_events').insert(rows[seq - 1]);
          }
        }
      } finally {
        await pool.close();
      }
      expect(differences).toEqual([]);
    });
  },
);
