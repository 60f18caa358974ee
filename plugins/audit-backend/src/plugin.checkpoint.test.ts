import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { auditTrailServiceRef } from '@internal/plugin-audit-node';
import express from 'express';
import request from 'supertest';
import { auditPlugin } from './plugin';
import {
  auditChainServiceFactory,
  auditTrailServiceFactory,
  chainAuditorServiceFactory,
} from './services/factories';
import { permissionsFor } from './testing/permissionsFor';

/*
 * A fresh portal: the chain is empty at startup (nothing to sign), so the
 * first checkpoint used to wait for the 5-minute interval and the Audit page
 * said "No checkpoint signed yet". Now the first events are followed by a
 * `first-events` checkpoint.
 */

/** Records one event per POST /api/recorder/record, through the trail. */
const recorderPlugin = createBackendPlugin({
  pluginId: 'recorder',
  register(env) {
    env.registerInit({
      deps: {
        trail: auditTrailServiceRef,
        httpRouter: coreServices.httpRouter,
      },
      async init({ trail, httpRouter }) {
        const router = express.Router();
        let n = 0;
        router.post('/record', async (_req, res) => {
          n += 1;
          await trail.record([
            {
              at: new Date().toISOString(),
              actor: { type: 'system' },
              action: `test.recorded`,
              outcome: 'success',
              source: 'portal',
              metadata: { n },
            },
          ]);
          res.status(201).end();
        });
        httpRouter.use(router);
      },
    });
  },
});

describe('the first checkpoint of a fresh portal', () => {
  it('is signed right after the first events, without waiting for the interval', async () => {
    const { server } = await startTestBackend({
      features: [
        auditPlugin,
        auditChainServiceFactory,
        auditTrailServiceFactory,
        chainAuditorServiceFactory,
        recorderPlugin,
        permissionsFor('allow'),
        catalogServiceMock.factory({ entities: [] }),
        mockServices.rootConfig.factory({
          data: {
            backend: {
              database: { client: 'better-sqlite3', connection: ':memory:' },
            },
          },
        }),
      ],
    });
    const status = async () =>
      (
        await request(server)
          .get('/api/audit/status')
          .set('Authorization', mockCredentials.user.header())
      ).body;
    expect(await status()).toEqual({ head: null });

    await request(server)
      .post('/api/recorder/record')
      .set('Authorization', mockCredentials.user.header())
      .expect(201);
    // signed in the background after the append committed: wait for it
    // (bounded; it takes milliseconds, the interval would take 5 minutes)
    let latest;
    for (let i = 0; i < 100 && !latest; i++) {
      latest = (await status()).latestCheckpoint;
      if (!latest) await new Promise(r => setTimeout(r, 50));
    }
    expect(latest).toMatchObject({ headSeq: 1, reason: 'first-events' });

    // later appends do not sign again (the next is the 100-event threshold)
    for (let i = 0; i < 5; i++) {
      await request(server)
        .post('/api/recorder/record')
        .set('Authorization', mockCredentials.user.header())
        .expect(201);
    }
    const verified = await request(server)
      .get('/api/audit/verify')
      .set('Authorization', mockCredentials.user.header());
    expect(verified.body).toMatchObject({ ok: true, checkpoints: 1 });
    expect((await status()).latestCheckpoint).toEqual(latest);
  });
});
