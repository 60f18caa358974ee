import { createBackendPlugin } from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  AuditArchiveBatch,
  AuditEvent,
  AuditEventInput,
} from '@internal/plugin-audit-common';
import { auditTrailServiceRef } from '@internal/plugin-audit-node';
import request from 'supertest';
import { auditPlugin } from '../plugin';
import {
  auditChainServiceFactory,
  auditTrailServiceFactory,
  chainAuditorServiceFactory,
} from '../services/factories';
import { startS3, TestS3 } from './__testUtils__/s3';
import { permissionsFor, Policy } from '../testing/permissionsFor';

jest.setTimeout(120_000);

const DAY = 86_400_000;
const OLD = 7;
/** 7 events 10 days old (due with retentionDays 1), then 2 of now. */
const seed: AuditEventInput[] = Array.from({ length: OLD + 2 }, (_, i) => ({
  at: new Date(
    Date.now() - (i < OLD ? 10 * DAY - i * 60_000 : 60_000),
  ).toISOString(),
  actor: { type: 'user', email: `user${i}@acme.example` },
  action: i % 2 ? 'tenant.updated' : 'mailbox.created',
  outcome: 'success',
  partner: i % 2 ? 'partner:default/nordlicht-it' : 'partner:default/other',
  source: 'portal',
  metadata: { i },
}));

const seedPlugin = createBackendPlugin({
  pluginId: 'seed',
  register(env) {
    env.registerInit({
      deps: { trail: auditTrailServiceRef },
      async init({ trail }) {
        await trail.record(seed);
      },
    });
  },
});

let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3.close();
});

let prefixNo = 0;
let policy: Policy = 'allow';
async function start(initial: Policy, options: { bucket?: boolean } = {}) {
  policy = initial;
  const { server } = await startTestBackend({
    features: [
      auditPlugin,
      auditChainServiceFactory,
      auditTrailServiceFactory,
      chainAuditorServiceFactory,
      seedPlugin,
      permissionsFor(() => policy),
      catalogServiceMock.factory({ entities: [] }),
      mockServices.rootConfig.factory({
        data: {
          backend: {
            database: { client: 'better-sqlite3', connection: ':memory:' },
          },
          audit: {
            archive: {
              retentionDays: 1,
              batchSize: 3,
              ...(options.bucket === false
                ? {}
                : {
                    s3: {
                      ...s3.options,
                      prefix: `api${++prefixNo}`,
                    },
                  }),
            },
          },
        },
      }),
    ],
  });
  return server;
}

const as = (server: any) => ({
  get: (path: string) =>
    request(server)
      .get(path)
      .set('Authorization', mockCredentials.user.header()),
  post: (path: string) =>
    request(server)
      .post(path)
      .set('Authorization', mockCredentials.user.header()),
  delete: (path: string) =>
    request(server)
      .delete(path)
      .set('Authorization', mockCredentials.user.header()),
});

const seqs = (body: { items: AuditEvent[] }) => body.items.map(e => e.seq);

describe('cold archive API', () => {
  it('runs, lists, verifies across tiers, restores, searches and drops a restore', async () => {
    const api = as(await start('allow'));
    expect((await api.get('/api/audit/archive/batches')).body).toEqual({
      items: [],
    });

    const run = await api.post('/api/audit/archive/run');
    expect(run.status).toBe(200);
    expect(run.body.events).toBe(OLD);
    expect(
      run.body.batches.map((b: AuditArchiveBatch) => [b.fromSeq, b.toSeq]),
    ).toEqual([
      [1, 3],
      [4, 6],
      [7, 7],
    ]);
    expect(run.body.batches[0].objectKey).toBe(
      `api${prefixNo}/000000000001-000000000003.jsonl.gz`,
    );

    const list = await api.get('/api/audit/archive/batches');
    expect(list.body.items).toEqual(run.body.batches);

    const verify = await api.get('/api/audit/verify');
    expect(verify.body).toMatchObject({
      ok: true,
      verified: seed.length,
      archive: { batches: 3, events: OLD },
    });
    expect(seqs((await api.get('/api/audit/events')).body)).toEqual([9, 8]);

    // archived seqs are not exported; the hot part is
    const exported = await api.get('/api/audit/export');
    expect(exported.status).toBe(200);
    expect(JSON.parse(exported.text.split('\n')[0])).toMatchObject({
      fromSeq: 8,
    });
    expect((await api.get('/api/audit/export?fromSeq=2')).status).toBe(400);

    const id = list.body.items[1].id;
    const restored = await api.post(`/api/audit/archive/batches/${id}/restore`);
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({
      id,
      fromSeq: 4,
      toSeq: 6,
      restored: 3,
      restoredAt: expect.any(String),
    });
    expect(
      (await api.get('/api/audit/archive/batches')).body.items[1].restoredAt,
    ).toBe(restored.body.restoredAt);

    const archived = await api.get('/api/audit/events?tier=archive');
    expect(archived.status).toBe(200);
    expect(seqs(archived.body)).toEqual([6, 5, 4]);
    const filtered = await api.get(
      '/api/audit/events?tier=archive&action=tenant.*&limit=1',
    );
    expect(seqs(filtered.body)).toEqual([6]);
    expect(filtered.body.nextCursor).toBe('6');
    const next = await api.get(
      '/api/audit/events?tier=archive&action=tenant.*&limit=1&cursor=6',
    );
    expect(seqs(next.body)).toEqual([4]);
    expect(seqs((await api.get('/api/audit/events?tier=hot')).body)).toEqual([
      9, 8,
    ]);
    const csv = await api.get('/api/audit/events.csv?tier=archive');
    expect(csv.status).toBe(200);
    expect(csv.headers['content-disposition']).toMatch(/audit-archive-\d{8}/);
    expect(csv.text.trim().split('\r\n')).toHaveLength(4);
    const hotCsv = await api.get('/api/audit/events.csv?tier=hot');
    expect(hotCsv.text.trim().split('\r\n')).toHaveLength(3);

    const bad = await api.get('/api/audit/events?tier=cold');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('tier');
    expect(
      (await api.get('/api/audit/events?tier=archive&colour=blue')).status,
    ).toBe(400);

    const dropped = await api.delete(
      `/api/audit/archive/batches/${id}/restore`,
    );
    expect(dropped.status).toBe(204);
    expect((await api.get('/api/audit/events?tier=archive')).body).toEqual({
      items: [],
    });
    expect(
      (await api.get('/api/audit/archive/batches')).body.items[1],
    ).not.toHaveProperty('restoredAt');

    expect(
      (await api.post('/api/audit/archive/batches/999/restore')).status,
    ).toBe(404);
    expect(
      (await api.post('/api/audit/archive/batches/abc/restore')).status,
    ).toBe(400);
  });

  it('gives partner staff only their partner’s restored events, and no archive operations', async () => {
    const api = as(await start('allow'));
    await api.post('/api/audit/archive/run').expect(200);
    for (const b of (await api.get('/api/audit/archive/batches')).body.items) {
      await api.post(`/api/audit/archive/batches/${b.id}/restore`).expect(200);
    }
    expect(
      seqs((await api.get('/api/audit/events?tier=archive')).body),
    ).toEqual([7, 6, 5, 4, 3, 2, 1]);

    policy = { partnerRefs: ['partner:default/nordlicht-it'] };
    expect(
      seqs((await api.get('/api/audit/events?tier=archive')).body),
    ).toEqual([6, 4, 2]);
    const csv = await api.get('/api/audit/events.csv?tier=archive');
    expect(csv.text.trim().split('\r\n')).toHaveLength(4);
    expect(
      seqs(
        (
          await api.get(
            '/api/audit/events?tier=archive&partner=partner:default/other',
          )
        ).body,
      ),
    ).toEqual([]);
    await api.post('/api/audit/archive/run').expect(403);
    await api.get('/api/audit/archive/batches').expect(403);
    await api.post('/api/audit/archive/batches/1/restore').expect(403);
    await api.delete('/api/audit/archive/batches/1/restore').expect(403);
  });

  it('refuses callers the policy denies', async () => {
    const api = as(await start('deny'));
    for (const [method, path] of [
      ['get', '/api/audit/archive/batches'],
      ['post', '/api/audit/archive/run'],
      ['post', '/api/audit/archive/batches/1/restore'],
      ['delete', '/api/audit/archive/batches/1/restore'],
      ['get', '/api/audit/events?tier=archive'],
      ['get', '/api/audit/events.csv?tier=archive'],
    ] as const) {
      expect((await api[method](path)).status).toBe(403);
    }
  });

  it('answers 503 to a run without a bucket; verify still works', async () => {
    const api = as(await start('allow', { bucket: false }));
    const run = await api.post('/api/audit/archive/run');
    expect(run.status).toBe(503);
    expect(run.body.error.message).toContain('audit.archive.s3');
    expect((await api.get('/api/audit/archive/batches')).body).toEqual({
      items: [],
    });
    expect((await api.get('/api/audit/verify')).body).toMatchObject({
      ok: true,
      verified: seed.length,
    });
  });
});
