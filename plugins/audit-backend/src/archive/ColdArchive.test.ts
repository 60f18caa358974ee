import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import { AuditEventInput, verifyExport } from '@internal/plugin-audit-common';
import { createHash, generateKeyPairSync } from 'crypto';
import { Knex } from 'knex';
import { gunzipSync, gzipSync } from 'zlib';
import { ArchiveStore } from '../database/ArchiveStore';
import { AuditStore, toRow } from '../database/AuditStore';
import { AuditService } from '../services/AuditService';
import { CheckpointSigner } from '../services/CheckpointSigner';
import { ArchiveTier, verifyChain } from '../services/verifyChain';
import { ARCHIVE_STEPS, ArchiveStep, ColdArchive } from './ColdArchive';
import { ColdStorage } from './ColdStorage';
import {
  ArchiveManifest,
  ARCHIVE_MANIFEST_TYP,
  manifestClaims,
  readArchiveObject,
} from './batchObjects';
import { startS3, TestS3 } from './__testUtils__/s3';

jest.setTimeout(120_000);
const databases = dezkyTestDatabases();

function keyPair() {
  const { privateKey } = generateKeyPairSync('ed25519');
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}
const signerFor = (kid: string, privateKey: string) =>
  CheckpointSigner.fromConfig(
    new ConfigReader({ audit: { signing: { current: { kid, privateKey } } } }),
  );

/** The clock of the tests: events before 2026-08-28T12:00Z are due (90 days). */
const NOW = new Date('2026-11-26T12:00:00.000Z');
const HOUR = 3_600_000;
const OLD = 250; // seq 1..250, one an hour from 2026-05-01
const YOUNG = 5; // seq 251..255, a day before NOW
const N = OLD + YOUNG;
const oldAt = (i: number) =>
  new Date(Date.parse('2026-05-01T00:00:00.000Z') + i * HOUR).toISOString();

const event = (i: number): AuditEventInput => ({
  at: i <= OLD ? oldAt(i) : new Date(NOW.getTime() - 24 * HOUR).toISOString(),
  actor: { type: 'user', email: `user${i % 7}@acme.example` },
  action: i % 3 ? 'tenant.updated' : 'mailbox.created',
  outcome: i % 11 ? 'success' : 'failure',
  tenant: i % 2 ? 'tenant:default/acme' : 'tenant:default/echo',
  partner: i % 2 ? 'partner:default/nordlicht-it' : undefined,
  source: 'portal',
  metadata: { i, note: 'ü "quoted"' },
});

/** Hot seqs and archived ranges together: each seq of 1..n exactly once. */
async function expectEveryEventOnce(knex: Knex, n: number) {
  const hot = (await knex('audit_events').orderBy('seq').select('seq')).map(r =>
    Number(r.seq),
  );
  const batches = await new ArchiveStore(knex).batches();
  const all = [...hot];
  for (const b of batches) {
    for (let s = b.fromSeq; s <= b.toSeq; s++) all.push(s);
  }
  all.sort((a, b) => a - b);
  expect(all).toEqual(Array.from({ length: n }, (_, i) => i + 1));
}

describe.each(databases.eachSupportedId())('cold archive on %p', databaseId => {
  let s3: TestS3;
  let knex: Knex;
  let store: AuditStore;
  let service: AuditService;
  let signer: CheckpointSigner;
  let storage: ColdStorage;
  let prefixNo = 0;
  const privateKey = keyPair();

  beforeAll(async () => {
    s3 = await startS3();
  });
  afterAll(async () => {
    await s3.close();
  });

  beforeEach(async () => {
    knex = await databases.init(databaseId);
    store = await AuditStore.create({
      database: mockServices.database({ knex }),
    });
    signer = await signerFor('k1', privateKey);
    service = new AuditService(
      store,
      mockServices.logger.mock(),
      signer,
      500,
      1_000_000,
    );
    // a fresh prefix per test: one bucket, no test sees another's objects
    storage = s3.storage({ prefix: `t${++prefixNo}/` });
    for (let i = 1; i <= N; i++) {
      await service.record(event(i));
      if (i === 120 || i === 252) await service.checkpoint('manual');
    }
  });

  const archiveWith = (
    options: Partial<ConstructorParameters<typeof ColdArchive>[0]> = {},
  ) =>
    service.useArchive(
      new ColdArchive({
        store,
        storage,
        signer,
        logger: mockServices.logger.mock(),
        batchSize: 100,
        now: () => NOW,
        ...options,
      }),
    );

  /** The bucket holds exactly the recorded batches' objects and manifests. */
  async function expectBucketMatchesBatches() {
    const batches = await new ArchiveStore(knex).batches();
    expect((await storage.list()).sort()).toEqual(
      batches.flatMap(b => [b.objectKey, b.manifestKey]).sort(),
    );
  }

  it('archives due events in batches, keeps the rest hot, and verifies across tiers', async () => {
    const archive = archiveWith();
    const result = await archive.run();
    expect(result.cutoff).toBe('2026-08-28T12:00:00.000Z');
    expect(result.events).toBe(OLD);
    expect(result.batches.map(b => [b.fromSeq, b.toSeq, b.count])).toEqual([
      [1, 100, 100],
      [101, 200, 100],
      [201, 250, 50],
    ]);
    expect(result.batches[0]).toMatchObject({
      objectKey: `t${prefixNo}/000000000001-000000000100.jsonl.gz`,
      manifestKey: `t${prefixNo}/000000000001-000000000100.manifest.json`,
    });
    const hot = await knex('audit_events').orderBy('seq').select('seq');
    expect(hot.map(r => Number(r.seq))).toEqual([251, 252, 253, 254, 255]);
    await expectEveryEventOnce(knex, N);
    await expectBucketMatchesBatches();

    // one chain: 250 archived + 5 hot; the checkpoint at 120 is in batch 2
    await expect(service.verify()).resolves.toEqual({
      ok: true,
      verified: N,
      checkpoints: 2,
      head: { seq: N, hash: expect.any(String) },
      archive: { batches: 3, events: OLD },
    });
    await expect(archive.batches()).resolves.toEqual(result.batches);

    // nothing more is due; appends continue the chain from the hot head
    await expect(archive.run()).resolves.toMatchObject({
      events: 0,
      batches: [],
    });
    await service.record(event(N + 1));
    await expect(service.verify()).resolves.toMatchObject({
      ok: true,
      verified: N + 1,
    });
  });

  it('writes the manifest signed with the checkpoint key, and an object that verifies offline as an export', async () => {
    await archiveWith().run();
    const [b] = await new ArchiveStore(knex).batches();
    const manifest: ArchiveManifest = JSON.parse(
      (await storage.get(b.manifestKey))!.toString(),
    );
    expect(manifest).toMatchObject({
      format: 'dezky-audit-archive/1',
      fromSeq: 1,
      toSeq: 100,
      count: 100,
      firstPrevHash: '0'.repeat(64),
      lastHash: b.lastHash,
      objectKey: b.objectKey,
      objectSha256: b.objectSha256,
      objectBytes: b.objectBytes,
      gzip: true,
      archivedAt: NOW.toISOString(),
      kid: 'k1',
    });
    await expect(
      signer.verifyClaims(manifest.jws, ARCHIVE_MANIFEST_TYP),
    ).resolves.toEqual({ kid: 'k1', claims: manifestClaims(manifest) });
    // a checkpoint signature is not a manifest signature
    const checkpoint = (await store.checkpoints())[0];
    await expect(
      signer.verifyClaims(checkpoint.jws, ARCHIVE_MANIFEST_TYP),
    ).resolves.toBeUndefined();

    const object = await storage.get(b.objectKey);
    const lines = gunzipSync(object!).toString('utf8').split('\n');
    async function* iterate() {
      yield* lines;
    }
    await expect(
      verifyExport(iterate(), { keys: await signer.jwks() }),
    ).resolves.toMatchObject({
      ok: true,
      verified: 100,
      fromSeq: 1,
      toSeq: 100,
    });
    // batch 2 carries the checkpoint at 120
    const second = (await new ArchiveStore(knex).batches())[1];
    const secondLines = gunzipSync((await storage.get(second.objectKey))!)
      .toString('utf8')
      .split('\n');
    async function* iterate2() {
      yield* secondLines;
    }
    await expect(
      verifyExport(iterate2(), { keys: await signer.jwks() }),
    ).resolves.toMatchObject({ ok: true, verified: 100, checkpoints: 1 });
  });

  it('verifies while a run moves events out between listing batches and reading the hot table', async () => {
    const archive = archiveWith();
    const tier = archive.tier();
    let calls = 0;
    const racing: ArchiveTier = {
      batchesAfter: async afterSeq => {
        const listed = await tier.batchesAfter(afterSeq);
        if (calls++ === 0) await archive.run(); // after the listing: none yet
        return listed;
      },
      open: range => tier.open(range as any),
    };
    await expect(verifyChain(store, 7, undefined, racing)).resolves.toEqual({
      ok: true,
      verified: N,
      head: { seq: N, hash: expect.any(String) },
      archive: { batches: 3, events: OLD },
    });
    expect(calls).toBe(2);
  });

  it('keeps the newest event hot even when every event is due', async () => {
    const archive = archiveWith({
      now: () => new Date(NOW.getTime() + 365 * 24 * HOUR),
    });
    const result = await archive.run();
    expect(result.events).toBe(N - 1);
    const hot = await knex('audit_events').select('seq');
    expect(hot.map(r => Number(r.seq))).toEqual([N]);
    await service.record(event(N + 1));
    await expect(service.verify()).resolves.toMatchObject({
      ok: true,
      verified: N + 1,
    });
  });

  describe.each(
    ARCHIVE_STEPS.flatMap(step => [[step, 1] as const, [step, 2] as const]),
  )('a failure at %s (batch %i)', (step, occurrence) => {
    it('fails with the error of its own fault, leaves every event hot or archived once, verifiable, and the next run completes', async () => {
      let seen = 0;
      let injected: Error | undefined;
      const failing = archiveWith({
        faults: (s: ArchiveStep) => {
          if (s === step && ++seen === occurrence) {
            injected = new Error(`injected fault at ${s} (batch ${seen})`);
            throw injected;
          }
        },
      });
      // the very error the fault threw — not a rollback's, not a lease
      // error, not one from a later step or batch
      const failure = await failing.run().then(
        () => undefined,
        error => error,
      );
      expect(injected?.message).toBe(
        `injected fault at ${step} (batch ${occurrence})`,
      );
      expect(failure).toBe(injected);

      // the batches before the failing one are archived, that one is not
      const batches = await new ArchiveStore(knex).batches();
      expect(batches.map(b => b.fromSeq)).toEqual(occurrence === 1 ? [] : [1]);
      await expectEveryEventOnce(knex, N);
      await expect(service.verify()).resolves.toMatchObject({
        ok: true,
        verified: N,
        checkpoints: 2,
      });

      // the lease was released; a run without faults completes
      const archive = archiveWith();
      const result = await archive.run();
      expect(result.batches.map(b => b.fromSeq)).toEqual(
        occurrence === 1 ? [1, 101, 201] : [101, 201],
      );
      await expectEveryEventOnce(knex, N);
      const all = await new ArchiveStore(knex).batches();
      expect(all.map(b => [b.fromSeq, b.toSeq])).toEqual([
        [1, 100],
        [101, 200],
        [201, 250],
      ]);
      await expectBucketMatchesBatches();
      await expect(new ArchiveStore(knex).pending()).resolves.toBeUndefined();
      await expect(service.verify()).resolves.toMatchObject({
        ok: true,
        verified: N,
        checkpoints: 2,
        archive: { batches: 3, events: OLD },
      });
    });
  });

  it('removes what a failed run uploaded when the retry archives a different range', async () => {
    const injected = new Error('injected at after-head');
    const failing = archiveWith({
      faults: s => {
        if (s === 'after-head') throw injected;
      },
    });
    await expect(failing.run()).rejects.toBe(injected);
    expect(await storage.list()).toHaveLength(2); // 1-100 uploaded, not recorded
    // a clock where only seq 1..39 are due: the pending 1-100 is not retried
    const earlier = new Date(Date.parse(oldAt(40)) + 90 * 24 * HOUR);
    const result = await archiveWith({ now: () => earlier }).run();
    expect(result.batches.map(b => [b.fromSeq, b.toSeq])).toEqual([[1, 39]]);
    await expectBucketMatchesBatches();
    await expectEveryEventOnce(knex, N);
    await expect(service.verify()).resolves.toMatchObject({ ok: true });
  });

  it('refuses a second concurrent run, without duplicates', async () => {
    const a = archiveWith();
    const b = new ColdArchive({
      store,
      storage,
      signer,
      logger: mockServices.logger.mock(),
      batchSize: 100,
      now: () => NOW,
    });
    const results = await Promise.allSettled([a.run(), b.run()]);
    expect(results.some(r => r.status === 'fulfilled')).toBe(true);
    const refused = results.flatMap(r =>
      r.status === 'rejected' ? [r.reason.name] : [],
    );
    expect(refused.filter(name => name !== 'ConflictError')).toEqual([]);
    await a.run(); // whatever is left
    await expectEveryEventOnce(knex, N);
    await expectBucketMatchesBatches();
    await expect(new ArchiveStore(knex).batches()).resolves.toHaveLength(3);
  });

  it('does not archive a broken chain', async () => {
    await knex('audit_events').where({ seq: 150 }).update({ action: 'forged' });
    const archive = archiveWith();
    await expect(archive.run()).rejects.toThrow(
      /chain breaks at seq 150 \(event-hash-mismatch/,
    );
    // the batch before the break is archived, the rest stays hot
    await expectEveryEventOnce(knex, N);
    await expect(new ArchiveStore(knex).batches()).resolves.toHaveLength(1);
    await expect(service.verify()).resolves.toMatchObject({
      ok: false,
      break: { kind: 'event-hash-mismatch', seq: 150 },
    });
  });

  describe('tampering with the archive', () => {
    beforeEach(async () => {
      await archiveWith().run();
    });
    const second = async () => (await new ArchiveStore(knex).batches())[1];

    it('an object changed in the bucket: archive-object-mismatch, naming the batch', async () => {
      const b = await second();
      const text = gunzipSync((await storage.get(b.objectKey))!)
        .toString('utf8')
        .replace('"tenant.updated"', '"tenant.deleted"');
      await storage.put(b.objectKey, gzipSync(text), 'application/gzip');
      await expect(service.verify()).resolves.toMatchObject({
        ok: false,
        verified: 100,
        break: {
          kind: 'archive-object-mismatch',
          seq: 101,
          batch: b.objectKey,
          expected: `${b.objectBytes} bytes, sha256 ${b.objectSha256}`,
        },
      });
    });

    it('an object that is not gzip any more', async () => {
      const b = await second();
      await storage.put(b.objectKey, Buffer.from('nope'), 'text/plain');
      await expect(service.verify()).resolves.toMatchObject({
        ok: false,
        break: { kind: 'archive-object-mismatch', batch: b.objectKey },
      });
    });

    it('a manifest edited without its key: archive-manifest-signature-mismatch', async () => {
      const b = await second();
      const manifest = JSON.parse(
        (await storage.get(b.manifestKey))!.toString(),
      );
      manifest.objectSha256 = 'f'.repeat(64);
      await storage.put(
        b.manifestKey,
        Buffer.from(JSON.stringify(manifest)),
        'application/json',
      );
      await expect(service.verify()).resolves.toMatchObject({
        ok: false,
        verified: 100,
        break: {
          kind: 'archive-manifest-signature-mismatch',
          seq: 101,
          batch: b.objectKey,
          actual: 'the manifest says other than what key k1 signed',
        },
      });
    });

    it('a manifest re-signed with a key of its own', async () => {
      const b = await second();
      const manifest = JSON.parse(
        (await storage.get(b.manifestKey))!.toString(),
      );
      const forger = await signerFor('k1', keyPair());
      manifest.jws = await forger.signClaims(
        manifestClaims(manifest),
        ARCHIVE_MANIFEST_TYP,
      );
      await storage.put(
        b.manifestKey,
        Buffer.from(JSON.stringify(manifest)),
        'application/json',
      );
      await expect(service.verify()).resolves.toMatchObject({
        ok: false,
        break: {
          kind: 'archive-manifest-signature-mismatch',
          batch: b.objectKey,
          actual: 'no signature by a known key',
        },
      });
    });

    it('a validly signed manifest that is not the one recorded (and an object to match)', async () => {
      const b = await second();
      // as if someone with the key rewrote the batch: new object, new manifest
      const text = gunzipSync((await storage.get(b.objectKey))!)
        .toString('utf8')
        .replace('"tenant.updated"', '"tenant.deleted"');
      const gz = gzipSync(text);
      await storage.put(b.objectKey, gz, 'application/gzip');
      const manifest = JSON.parse(
        (await storage.get(b.manifestKey))!.toString(),
      );
      manifest.objectSha256 = createHash('sha256').update(gz).digest('hex');
      manifest.objectBytes = gz.length;
      manifest.jws = await signer.signClaims(
        manifestClaims(manifest),
        ARCHIVE_MANIFEST_TYP,
      );
      await storage.put(
        b.manifestKey,
        Buffer.from(JSON.stringify(manifest)),
        'application/json',
      );
      await expect(service.verify()).resolves.toMatchObject({
        ok: false,
        break: {
          kind: 'archive-manifest-signature-mismatch',
          batch: b.objectKey,
          expected: expect.stringContaining(b.manifestSha256),
        },
      });
    });

    it.each(['objectKey', 'manifestKey'] as const)(
      'the %s deleted: archive-missing',
      async key => {
        const b = await second();
        await storage.delete(b[key]);
        await expect(service.verify()).resolves.toMatchObject({
          ok: false,
          verified: 100,
          break: {
            kind: 'archive-missing',
            seq: 101,
            batch: b.objectKey,
            expected: b[key],
            actual: 'missing',
          },
        });
      },
    );

    it('a batch record deleted from the database: the next batch does not link', async () => {
      const b = await second();
      await knex('audit_archive_batches').where({ id: b.id }).delete();
      const third = (await new ArchiveStore(knex).batches())[1];
      await expect(service.verify()).resolves.toMatchObject({
        ok: false,
        verified: 100,
        break: { kind: 'prev-hash-mismatch', seq: 201, batch: third.objectKey },
      });
    });

    it('an archived event put back into the hot table', async () => {
      const b = await second();
      const events = await readBatch(storage, b.objectKey);
      await knex('audit_events').insert(toRow(events[events.length - 1]));
      await expect(service.verify()).resolves.toMatchObject({
        ok: false,
        verified: OLD,
        break: { kind: 'prev-hash-mismatch', seq: 200 },
      });
    });

    it('without a bucket configured, archived batches are archive-missing', async () => {
      service.useArchive(
        new ColdArchive({ store, signer, logger: mockServices.logger.mock() }),
      );
      await expect(service.verify()).resolves.toMatchObject({
        ok: false,
        verified: 0,
        break: {
          kind: 'archive-missing',
          seq: 1,
          actual: 'no bucket configured (audit.archive.s3)',
        },
      });
    });
  });

  describe('restore', () => {
    let archive: ColdArchive;
    beforeEach(async () => {
      archive = archiveWith();
      await archive.run();
    });

    it('loads a verified batch read-only, searchable with the same filters, and drops it again', async () => {
      const [, b] = await archive.batches();
      const restored = await archive.restore(b.id);
      expect(restored).toEqual({
        ...b,
        restoredAt: NOW.toISOString(),
        restored: 100,
      });
      expect((await archive.batches())[1].restoredAt).toBe(NOW.toISOString());

      const page = await service.events({ limit: 500, tier: 'archive' });
      expect(page.items.map(e => e.seq)).toEqual(
        Array.from({ length: 100 }, (_, i) => 200 - i),
      );
      // the same events as archived, hashes and all
      const archived = await readBatch(storage, b.objectKey);
      expect([...page.items].reverse()).toEqual(archived);
      // the same filters and partner scope as the hot chain
      const failures = await service.events({
        limit: 500,
        tier: 'archive',
        filter: { outcome: 'failure', partner: 'partner:default/nordlicht-it' },
      });
      expect(failures.items.map(e => e.seq)).toEqual(
        archived
          .filter(e => e.outcome === 'failure' && e.partner)
          .map(e => e.seq)
          .reverse(),
      );
      const scoped = await service.events({
        limit: 500,
        tier: 'archive',
        scope: {
          column: 'partnerRef',
          values: ['partner:default/nordlicht-it'],
        },
      });
      expect(scoped.items.map(e => e.seq)).toEqual(
        archived
          .filter(e => e.partner === 'partner:default/nordlicht-it')
          .map(e => e.seq)
          .reverse(),
      );
      // pages with a cursor
      const first = await service.events({ limit: 60, tier: 'archive' });
      const rest = await service.events({
        limit: 60,
        tier: 'archive',
        cursor: Number(first.nextCursor),
      });
      expect([...first.items, ...rest.items].map(e => e.seq)).toEqual(
        page.items.map(e => e.seq),
      );
      // the hot tier does not see them
      const hot = await service.events({ limit: 500 });
      expect(hot.items.map(e => e.seq)).toEqual([255, 254, 253, 252, 251]);

      // restoring again replaces the copy
      await archive.restore(b.id);
      await expect(archive.archiveStore.restoredCount(b.id)).resolves.toBe(100);

      await archive.dropRestore(b.id);
      await expect(archive.archiveStore.restoredCount(b.id)).resolves.toBe(0);
      expect((await archive.batches())[1].restoredAt).toBeUndefined();
      await expect(
        service.events({ limit: 500, tier: 'archive' }),
      ).resolves.toEqual({ items: [] });
      // the archive itself is untouched
      await expect(service.verify()).resolves.toMatchObject({ ok: true });
    });

    it('refuses a tampered batch, restoring nothing', async () => {
      const [b] = await archive.batches();
      await storage.put(b.objectKey, gzipSync('{}'), 'application/gzip');
      await expect(archive.restore(b.id)).rejects.toMatchObject({
        name: 'ConflictError',
        message: expect.stringContaining('archive-object-mismatch'),
      });
      await expect(archive.archiveStore.restoredCount(b.id)).resolves.toBe(0);
      await expect(archive.restore(999)).rejects.toMatchObject({
        name: 'NotFoundError',
      });
    });
  });

  it('runs on schedule from the configured UTC hour, once a day', async () => {
    let now = new Date('2026-11-26T02:00:00.000Z');
    const archive = archiveWith({ hour: 3, now: () => now });
    await expect(archive.runScheduled()).resolves.toMatchObject({
      skipped: 'runs from 3:00 UTC',
    });
    now = new Date('2026-11-26T03:00:00.000Z');
    await expect(archive.runScheduled()).resolves.toMatchObject({
      events: OLD,
    });
    now = new Date('2026-11-26T04:00:00.000Z');
    await expect(archive.runScheduled()).resolves.toMatchObject({
      skipped: 'ran on 2026-11-26',
    });
    now = new Date('2026-11-27T05:00:00.000Z');
    await expect(archive.runScheduled()).resolves.not.toHaveProperty('skipped');
  });

  it('exports only the hot part; archived seqs are refused', async () => {
    await archiveWith().run();
    const lines: string[] = [];
    await service.exportRange({ write: c => void lines.push(c) });
    const text = lines.join('').trim().split('\n');
    async function* iterate() {
      yield* text;
    }
    await expect(
      verifyExport(iterate(), { keys: await signer.jwks() }),
    ).resolves.toMatchObject({ ok: true, fromSeq: 251, toSeq: N, verified: 5 });
    await expect(
      service.exportRange({ fromSeq: 1, write: () => {} }),
    ).rejects.toMatchObject({ name: 'InputError' });
  });

  it('a run without a bucket is refused (503)', async () => {
    const archive = new ColdArchive({
      store,
      signer,
      logger: mockServices.logger.mock(),
    });
    await expect(archive.run()).rejects.toMatchObject({
      name: 'ServiceUnavailableError',
    });
  });
});

async function readBatch(storage: ColdStorage, key: string) {
  return readArchiveObject((await storage.get(key))!);
}
