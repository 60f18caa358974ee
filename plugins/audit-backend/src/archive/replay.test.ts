import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import {
  AuditEventInput,
  isArchivedAuditEventRef,
} from '@internal/plugin-audit-common';
import { generateKeyPairSync } from 'crypto';
import express from 'express';
import { Knex } from 'knex';
import { createHmac } from 'node:crypto';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import request from 'supertest';
import { ArchiveStore } from '../database/ArchiveStore';
import { AuditStore } from '../database/AuditStore';
import { createStalwartWebhookRouter } from '../ingest/stalwart';
import { tenants } from '../ingest/__fixtures__/tenants';
import { AuditService } from '../services/AuditService';
import { CheckpointSigner } from '../services/CheckpointSigner';
import { ColdArchive } from './ColdArchive';
import { startS3, TestS3 } from './__testUtils__/s3';

/*
 * Replay protection survives the cold archive: an event whose
 * (source, externalId) was archived — its row deleted from audit_events —
 * is still a duplicate when it is ingested or delivered again.
 */

jest.setTimeout(120_000);
const databases = dezkyTestDatabases();
const migrations = resolvePackagePath(
  '@internal/plugin-audit-backend',
  'migrations',
);
const KEYS_MIGRATION = '20261207100000_archived_external_ids.js';

const NOW = new Date('2026-11-26T12:00:00.000Z');
const HOUR = 3_600_000;
const OLD = 10; // seq 1..10: from 2026-05-01, due (retention 90 days)
const SECRET = 'stalwart-webhook-test-secret';

/** A Stalwart event as ingested: id `st-<i>`. */
const stalwart = (i: number, at?: string): AuditEventInput => ({
  at:
    at ??
    new Date(Date.parse('2026-05-01T00:00:00.000Z') + i * HOUR).toISOString(),
  actor: { type: 'external', email: `user${i}@acme.example` },
  action: 'stalwart.auth_failed',
  outcome: 'failure',
  source: 'stalwart',
  externalId: `st-${i}`,
  metadata: { i },
});
const young = (i: number) =>
  stalwart(i, new Date(NOW.getTime() - 24 * HOUR).toISOString());

describe.each(databases.eachSupportedId())(
  'replays of archived events on %p',
  databaseId => {
    let s3: TestS3;
    let knex: Knex;
    let store: AuditStore;
    let service: AuditService;
    let archive: ColdArchive;
    let prefixNo = 0;
    const privateKey = generateKeyPairSync('ed25519')
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();

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
      const signer = await CheckpointSigner.fromConfig(
        new ConfigReader({
          audit: { signing: { current: { kid: 'k1', privateKey } } },
        }),
      );
      service = new AuditService(
        store,
        mockServices.logger.mock(),
        signer,
        500,
        1_000_000,
      );
      archive = service.useArchive(
        new ColdArchive({
          store,
          storage: s3.storage({ prefix: `r${++prefixNo}/` }),
          signer,
          logger: mockServices.logger.mock(),
          batchSize: 5,
          now: () => NOW,
        }),
      );
      // st-1..st-10 old, then a young one (stays hot) and one without an id
      await service.recordAll([
        ...Array.from({ length: OLD }, (_, i) => stalwart(i + 1)),
        young(11),
        { ...young(12), externalId: undefined },
      ]);
    });

    const hotCount = async () =>
      Number((await knex('audit_events').count({ n: '*' }).first())!.n);

    it('recognises an archived event recorded again: not appended, its place in the archive returned, the chain verifies', async () => {
      const run = await archive.run();
      expect(run.batches.map(b => [b.fromSeq, b.toSeq])).toEqual([
        [1, 5],
        [6, 10],
      ]);
      expect(await hotCount()).toBe(2); // seq 11 (young) and 12
      const keys = await knex('audit_archived_external_ids')
        .orderBy('seq')
        .select('source', 'external_id', 'seq', 'batch_id');
      const batches = await new ArchiveStore(knex).batches();
      expect(
        keys.map(k => [k.source, k.external_id, Number(k.seq), k.batch_id]),
      ).toEqual(
        Array.from({ length: OLD }, (_, i) => [
          'stalwart',
          `st-${i + 1}`,
          i + 1,
          batches[i < 5 ? 0 : 1].id,
        ]),
      );

      const again = await service.recordAll([
        stalwart(3), // archived in batch 1
        stalwart(11), // still hot
        stalwart(3), // twice in one call
        stalwart(13), // new
      ]);
      expect(again[0]).toEqual({
        archived: true,
        seq: 3,
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        source: 'stalwart',
        externalId: 'st-3',
        batchId: batches[0].id,
      });
      expect(again[1]).toMatchObject({ seq: 11, externalId: 'st-11' });
      expect(isArchivedAuditEventRef(again[1])).toBe(false);
      expect(again[2]).toEqual(again[0]);
      expect(again[3]).toMatchObject({ seq: 13, externalId: 'st-13' });
      expect(await hotCount()).toBe(3);
      expect((await store.head())!.seq).toBe(13);

      // the hash returned is the archived event's own (as restored)
      await archive.restore(batches[0].id);
      const restored = await knex('audit_restored_events')
        .where({ seq: 3 })
        .first();
      expect(again[0]).toMatchObject({ hash: restored.hash });

      await expect(service.verify()).resolves.toMatchObject({
        ok: true,
        verified: 13,
        archive: { batches: 2, events: OLD },
      });
    });

    it('answers a redelivered Stalwart webhook of archived events as deduplicated', async () => {
      await archive.run();
      const app = express();
      app.use(
        createStalwartWebhookRouter({
          ctx: {
            record: inputs => service.recordAll(inputs),
            cursors: {
              get: source => store.getCursor(source),
              set: (source, value) => store.setCursor(source, value),
            },
            tenants,
            logger: mockServices.logger.mock(),
          },
          secret: SECRET,
        }),
      );
      app.use(
        MiddlewareFactory.create({
          config: mockServices.rootConfig(),
          logger: mockServices.logger.mock(),
        }).error(),
      );
      const body = JSON.stringify({
        events: [1, 2, 3].map(i => ({
          id: `st-${i}`,
          createdAt: '2026-05-01T00:00:00Z',
          type: 'auth.failed',
          data: { accountName: `user${i}@acme.example` },
        })),
      });
      const res = await request(app)
        .post('/ingest/stalwart')
        .set('Content-Type', 'application/json')
        .set(
          'X-Signature',
          createHmac('sha256', SECRET).update(body).digest('base64'),
        )
        .send(body);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ received: 3, recorded: 0, deduplicated: 3 });
      expect(await hotCount()).toBe(2);
      await expect(service.verify()).resolves.toMatchObject({ ok: true });
    });

    it('rolls the keys back with the batch when recording it fails', async () => {
      const failing = new ColdArchive({
        store,
        storage: s3.storage({ prefix: `r${prefixNo}/` }),
        signer: (archive as any).signer,
        logger: mockServices.logger.mock(),
        batchSize: 5,
        now: () => NOW,
        faults: step => {
          if (step === 'during-delete') throw new Error('injected');
        },
      });
      await expect(failing.run()).rejects.toThrow('injected');
      expect(await knex('audit_archived_external_ids')).toEqual([]);
      expect(await hotCount()).toBe(OLD + 2);
    });

    it('migrates: keys of batches archived before are backfilled from their restored copy, the rest read from the bucket by the next run', async () => {
      await archive.run();
      const [b1, b2] = await new ArchiveStore(knex).batches();
      // the database as it was before the keys were kept
      await knex.migrate.down({ directory: migrations, name: KEYS_MIGRATION });
      expect(await knex.schema.hasTable('audit_archived_external_ids')).toBe(
        false,
      );
      expect(
        await knex.schema.hasColumn(
          'audit_archive_batches',
          'external_ids_kept',
        ),
      ).toBe(false);
      await archive.restore(b1.id); // a restored copy of batch 1 only

      await knex.migrate.latest({ directory: migrations });
      const kept = await knex('audit_archived_external_ids').orderBy('seq');
      expect(kept.map(k => [k.external_id, Number(k.batch_id)])).toEqual(
        [1, 2, 3, 4, 5].map(i => [`st-${i}`, b1.id]),
      );
      const archiveStore = new ArchiveStore(knex);
      expect((await archiveStore.batchesWithoutKeys()).map(b => b.id)).toEqual([
        b2.id,
      ]);
      expect(await service.recordAll([stalwart(2)])).toEqual([
        expect.objectContaining({ archived: true, seq: 2, batchId: b1.id }),
      ]);

      // the next run reads the other batches' keys from the bucket
      await expect(archive.run()).resolves.toMatchObject({ events: 0 });
      expect(await archiveStore.batchesWithoutKeys()).toEqual([]);
      expect(await service.recordAll([stalwart(7), stalwart(10)])).toEqual([
        expect.objectContaining({ archived: true, seq: 7, batchId: b2.id }),
        expect.objectContaining({ archived: true, seq: 10, batchId: b2.id }),
      ]);
      expect(await hotCount()).toBe(2);
      await expect(service.verify()).resolves.toMatchObject({
        ok: true,
        verified: 12,
      });
    });
  },
);
