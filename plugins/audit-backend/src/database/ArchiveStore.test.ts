import { mockServices } from '@backstage/backend-test-utils';
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import { AUDIT_GENESIS_HASH } from '@internal/plugin-audit-common';
import { Knex } from 'knex';
import { ArchiveBatchRecord, ArchiveStore, toApiBatch } from './ArchiveStore';
import { AuditStore, fromRow, toRow } from './AuditStore';

jest.setTimeout(120_000);
const databases = dezkyTestDatabases();

const at = (i: number) =>
  new Date(Date.UTC(2026, 4, 1) + i * 3_600_000).toISOString();

describe.each(databases.eachSupportedId())('ArchiveStore on %p', databaseId => {
  let knex: Knex;
  let store: AuditStore;
  let archive: ArchiveStore;

  beforeEach(async () => {
    knex = await databases.init(databaseId);
    store = await AuditStore.create({
      database: mockServices.database({ knex }),
    });
    archive = new ArchiveStore(store.client);
    await store.append(
      Array.from({ length: 20 }, (_, i) => ({
        at: at(i + 1),
        actor: { type: 'system' as const },
        action: 'tenant.updated',
        outcome: 'success' as const,
        source: 'portal',
        // every other event from an external source, with its id
        ...(i % 2 ? {} : { source: 'authentik', externalId: `ak-${i + 1}` }),
        partner: i % 2 ? 'partner:default/nordlicht-it' : undefined,
      })),
    );
  });

  /** The kept keys of archived events: [externalId, seq, batch id]. */
  const keptKeys = async () =>
    (await knex('audit_archived_external_ids').orderBy('seq')).map(k => [
      k.external_id,
      Number(k.seq),
      Number(k.batch_id),
    ]);

  const hotSeqs = async () =>
    (await knex('audit_events').orderBy('seq').select('seq')).map(r =>
      Number(r.seq),
    );

  async function batchOf(
    fromSeq: number,
    toSeq: number,
  ): Promise<Omit<ArchiveBatchRecord, 'id' | 'restoredAt'>> {
    const rows = await store.rowsAfter(fromSeq - 1, toSeq - fromSeq + 1);
    return {
      fromSeq,
      toSeq,
      count: rows.length,
      firstPrevHash: rows[0].prev_hash,
      lastHash: rows[rows.length - 1].hash,
      objectKey: `audit/${fromSeq}-${toSeq}.jsonl.gz`,
      objectSha256: 'a'.repeat(64),
      objectBytes: 1234,
      uncompressedBytes: 5678,
      manifestKey: `audit/${fromSeq}-${toSeq}.manifest.json`,
      manifestSha256: 'b'.repeat(64),
      kid: 'k1',
      archivedAt: '2026-11-26T12:00:00.000Z',
    };
  }

  it('gives the lease to one holder at a time, until it runs out or is released', async () => {
    const t0 = new Date('2026-11-26T12:00:00.000Z');
    const later = (ms: number) => new Date(t0.getTime() + ms);
    expect(await archive.tryLock('a', 60_000, t0)).toBe(true);
    expect(await archive.tryLock('b', 60_000, later(1_000))).toBe(false);
    expect(await archive.renewLock('a', 60_000, later(30_000))).toBe(true);
    // a's lease now lasts to t0 + 90 s
    expect(await archive.tryLock('b', 60_000, later(80_000))).toBe(false);
    expect(await archive.tryLock('b', 60_000, later(91_000))).toBe(true);
    expect(await archive.renewLock('a', 60_000, later(92_000))).toBe(false);
    await archive.unlock('a'); // not a's to release any more
    expect(await archive.tryLock('c', 60_000, later(93_000))).toBe(false);
    await archive.unlock('b');
    expect(await archive.tryLock('c', 60_000, later(94_000))).toBe(true);
  });

  it('races for the lease: exactly one of many wins', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => archive.tryLock(`h${i}`, 60_000)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('keeps the pending range and the last scheduled day', async () => {
    await expect(archive.pending()).resolves.toBeUndefined();
    const pending = {
      fromSeq: 1,
      toSeq: 10,
      objectKey: 'audit/o',
      manifestKey: 'audit/m',
    };
    await archive.setPending(pending);
    await expect(archive.pending()).resolves.toEqual(pending);
    await archive.setPending(undefined);
    await expect(archive.pending()).resolves.toBeUndefined();
    await expect(archive.lastScheduledDay()).resolves.toBeUndefined();
    await archive.setLastScheduledDay('2026-11-26');
    await expect(archive.lastScheduledDay()).resolves.toBe('2026-11-26');
  });

  it('finds where the due events end', async () => {
    await expect(archive.firstAtOrAfter(1, 19, at(5))).resolves.toBe(5);
    await expect(archive.firstAtOrAfter(7, 19, at(5))).resolves.toBe(7);
    await expect(
      archive.firstAtOrAfter(1, 19, at(50)),
    ).resolves.toBeUndefined();
  });

  it('records a batch and deletes its events in one transaction', async () => {
    await archive.tryLock('a', 60_000);
    await archive.setPending({
      fromSeq: 1,
      toSeq: 10,
      objectKey: 'x',
      manifestKey: 'y',
    });
    const batch = await batchOf(1, 10);
    expect(batch.firstPrevHash).toBe(AUDIT_GENESIS_HASH);
    const id = await archive.commitBatch(batch, {
      holder: 'a',
      leaseMs: 60_000,
    });
    expect(await hotSeqs()).toEqual(
      Array.from({ length: 10 }, (_, i) => i + 11),
    );
    await expect(archive.pending()).resolves.toBeUndefined();
    await expect(archive.batches()).resolves.toEqual([{ ...batch, id }]);
    await expect(archive.lastBatch()).resolves.toEqual({ ...batch, id });
    await expect(archive.archivedThrough()).resolves.toBe(10);
    // the keys of its events with an external id, for replay protection
    expect(await keptKeys()).toEqual(
      [1, 3, 5, 7, 9].map(seq => [`ak-${seq}`, seq, id]),
    );
    await expect(archive.batchesWithoutKeys()).resolves.toEqual([]);
    await expect(archive.batchesAfter(0)).resolves.toHaveLength(1);
    await expect(archive.batchesAfter(1)).resolves.toHaveLength(0);
    expect(toApiBatch({ ...batch, id })).toEqual({
      id,
      archivedAt: batch.archivedAt,
      fromSeq: 1,
      toSeq: 10,
      count: 10,
      bytes: 1234,
      manifestSha256: batch.manifestSha256,
      objectKey: batch.objectKey,
      manifestKey: batch.manifestKey,
    });
  });

  const injected = new Error('injected by the beforeDelete hook');
  // each case fails with its own error: the one the fault produces, and no
  // other (not a rollback error, not the next check's)
  it.each([
    ['a hook fails after recording', 'hook', injected.message],
    [
      'the lease is lost',
      'lease',
      'lost the archive lease before recording the batch',
    ],
    [
      'the range changed in the hot table',
      'changed',
      'seq 1-10 changed in the hot table while it was archived',
    ],
    [
      'the range is already recorded',
      'duplicate',
      expect.stringMatching(
        databaseId === 'SQLITE_3'
          ? /- UNIQUE constraint failed: audit_archive_batches\.from_seq$/
          : /- duplicate key value violates unique constraint "audit_archive_batches_from_seq"$/,
      ),
    ],
  ])('rolls everything back when %s', async (_, what, expected) => {
    await archive.tryLock('a', 60_000);
    const batch = await batchOf(1, 10);
    if (what === 'duplicate') {
      // recorded by someone else for the same from_seq, events gone already
      await knex('audit_archive_batches').insert({
        from_seq: 1,
        to_seq: 5,
        count: 5,
        first_prev_hash: batch.firstPrevHash,
        last_hash: 'x',
        object_key: 'k',
        object_sha256: 'a',
        object_bytes: 1,
        uncompressed_bytes: 1,
        manifest_key: 'm',
        manifest_sha256: 'b',
        kid: 'k1',
        archived_at: batch.archivedAt,
      });
    }
    if (what === 'changed') {
      await knex('audit_events').where({ seq: 4 }).delete();
    }
    const before = await hotSeqs();
    const batchesBefore = await archive.batches();
    const failure = await archive
      .commitBatch(batch, {
        holder: what === 'lease' ? 'someone-else' : 'a',
        leaseMs: 60_000,
        beforeDelete: async () => {
          if (what === 'hook') throw injected;
        },
      })
      .then(
        () => undefined,
        error => error,
      );
    // compared by message, not with toThrow(): in a jest worker that ran
    // another test file first, better-sqlite3's SqliteError is of that file's
    // realm, not an instance of this file's Error
    expect(failure).toHaveProperty('message', expected);
    expect(await hotSeqs()).toEqual(before);
    await expect(archive.batches()).resolves.toEqual(batchesBefore);
    expect(await keptKeys()).toEqual([]);
  });

  it('restores rows read-only into their own table, replaces and drops them', async () => {
    await archive.tryLock('a', 60_000);
    const rows = await store.rowsAfter(0, 10);
    const id = await archive.commitBatch(await batchOf(1, 10), {
      holder: 'a',
      leaseMs: 60_000,
    });
    await archive.restore(
      id,
      rows.map(r => toRow(fromRow(r))),
      'T1',
    );
    await expect(archive.restoredCount(id)).resolves.toBe(10);
    await expect(archive.batch(id)).resolves.toMatchObject({
      restoredAt: 'T1',
    });
    await archive.restore(
      id,
      rows.map(r => toRow(fromRow(r))),
      'T2',
    );
    await expect(archive.restoredCount(id)).resolves.toBe(10);
    const found = await store.query({
      limit: 100,
      table: 'audit_restored_events',
      scope: { column: 'partnerRef', values: ['partner:default/nordlicht-it'] },
    });
    expect(found.map(e => e.seq)).toEqual([10, 8, 6, 4, 2]);
    // the hot table's query does not see them
    const hot = await store.query({ limit: 100 });
    expect(hot.map(e => e.seq)).not.toContain(10);
    await archive.dropRestored(id);
    await expect(archive.restoredCount(id)).resolves.toBe(0);
    await expect(archive.batch(id)).resolves.not.toHaveProperty(
      'restoredAt',
      expect.anything(),
    );
  });
});
