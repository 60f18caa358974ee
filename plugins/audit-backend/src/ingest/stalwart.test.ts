import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { ServiceUnavailableError } from '@backstage/errors';
import { mockServices } from '@backstage/backend-test-utils';
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import express from 'express';
import { Knex } from 'knex';
import { createHmac } from 'node:crypto';
import request from 'supertest';
import { AuditStore } from '../database/AuditStore';
import { tenants } from './__fixtures__/tenants';
import { verifyChain } from '../services/verifyChain';
import { createStalwartWebhookRouter } from './stalwart';

jest.setTimeout(120_000);

const databases = dezkyTestDatabases();
const SECRET = 'stalwart-webhook-test-secret';

const sign = (body: string) =>
  createHmac('sha256', SECRET).update(body).digest('base64');

/** A delivery as Stalwart posts it: `{ events: [{ id, createdAt, type, data }] }`. */
const delivery = JSON.stringify({
  events: [
    {
      id: '101',
      createdAt: '2026-11-25T17:00:00Z',
      type: 'auth.failed',
      data: {
        accountName: 'jane@acme.example',
        remoteIp: '203.0.113.5',
        listenerId: 'imaps',
      },
    },
    {
      id: 102,
      createdAt: '2026-11-25T17:00:01Z',
      type: 'message-ingest.ham',
      data: { from: 'news@outside.example', to: ['bob@globex.example'] },
    },
    {
      id: '103',
      createdAt: '2026-11-25T17:00:02Z',
      type: 'queue.rescheduled',
      data: { queueId: 42 },
    },
  ],
});

describe.each(databases.eachSupportedId())(
  'Stalwart webhook on %p',
  databaseId => {
    let knex: Knex;
    let store: AuditStore;
    let app: express.Express;
    let catalogLoaded: boolean;

    const count = async () =>
      Number((await knex('audit_events').count({ n: '*' }).first())!.n);
    const post = (body: string, signature?: string) => {
      const req = request(app)
        .post('/ingest/stalwart')
        .set('Content-Type', 'application/json');
      if (signature !== undefined) req.set('X-Signature', signature);
      return req.send(body);
    };

    beforeEach(async () => {
      knex = await databases.init(databaseId);
      catalogLoaded = true;
      store = await AuditStore.create({
        database: mockServices.database({ knex }),
      });
      const logger = mockServices.logger.mock();
      app = express();
      // as the plugin's router mounts it: before its JSON body parser
      app.use(
        createStalwartWebhookRouter({
          ctx: {
            record: inputs => store.append(inputs),
            cursors: {
              get: source => store.getCursor(source),
              set: (source, value) => store.setCursor(source, value),
            },
            tenants,
            logger,
            catalog: {
              isReady: async () => catalogLoaded,
              whenReady: async () => undefined,
              assertReady: async () => {
                if (!catalogLoaded) {
                  throw new ServiceUnavailableError('catalog loading');
                }
              },
            },
          },
          secret: SECRET,
        }),
      );
      app.use(express.json());
      app.use(
        MiddlewareFactory.create({
          config: mockServices.rootConfig(),
          logger,
        }).error(),
      );
    });

    it('answers 503 and records nothing while the catalog is still loading its tenants', async () => {
      catalogLoaded = false;
      const early = await post(delivery, sign(delivery));
      expect(early.status).toBe(503);
      expect(await count()).toBe(0);
      // Stalwart delivers again once the catalog is there: now attributed
      catalogLoaded = true;
      const again = await post(delivery, sign(delivery));
      expect(again.status).toBe(200);
      expect(await count()).toBe(3);
    });

    it('records a signed delivery, mapped', async () => {
      const res = await post(delivery, sign(delivery));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ received: 3, recorded: 3, deduplicated: 0 });

      const rows = await knex('audit_events').orderBy('seq');
      expect(rows.map(r => [r.external_id, r.action, r.outcome])).toEqual([
        ['101', 'stalwart.auth_failed', 'failure'],
        ['102', 'stalwart.mail_received', 'success'],
        ['103', 'stalwart.queue.rescheduled', 'success'],
      ]);
      expect(rows[0]).toMatchObject({
        at: '2026-11-25T17:00:00.000Z',
        source: 'stalwart',
        actor_type: 'external',
        actor_email: 'jane@acme.example',
        actor_ip: '203.0.113.5',
        resource_type: 'mailbox',
        resource_name: 'jane@acme.example',
        tenant_ref: 'tenant:default/acme',
        partner_ref: 'partner:default/nordlicht-it',
      });
      expect(JSON.parse(rows[0].metadata)).toEqual({
        stalwartType: 'auth.failed',
        accountName: 'jane@acme.example',
        remoteIp: '203.0.113.5',
        listenerId: 'imaps',
      });
      expect(rows[1]).toMatchObject({
        tenant_ref: 'tenant:default/globex',
        partner_ref: null,
      });
      expect(rows[2]).toMatchObject({ tenant_ref: null, actor_type: 'system' });
      await expect(verifyChain(store)).resolves.toMatchObject({
        ok: true,
        verified: 3,
      });
    });

    it('deduplicates a replayed delivery', async () => {
      await post(delivery, sign(delivery)).expect(200);
      const replay = await post(delivery, sign(delivery));
      expect(replay.status).toBe(200);
      expect(replay.body).toEqual({
        received: 3,
        recorded: 0,
        deduplicated: 3,
      });
      expect(await count()).toBe(3);
    });

    it.each([
      ['no signature', undefined],
      ['an empty signature', ''],
      [
        'a wrong signature',
        createHmac('sha256', 'other').update(delivery).digest('base64'),
      ],
      ['the signature of another body', sign(`${delivery} `)],
      ['a truncated signature', sign(delivery).slice(0, 20)],
      [
        'a hex signature',
        createHmac('sha256', SECRET).update(delivery).digest('hex'),
      ],
    ])('answers 401 and writes nothing for %s', async (_, signature) => {
      const res = await post(delivery, signature);
      expect(res.status).toBe(401);
      expect(res.body.error).toMatchObject({ name: 'AuthenticationError' });
      expect(await count()).toBe(0);
    });

    it('answers 400 and writes nothing for a signed body that is not JSON', async () => {
      const body = '{"events": [';
      const res = await post(body, sign(body));
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ name: 'InputError' });
      expect(await count()).toBe(0);
    });

    it('answers 400 and writes nothing for a signed delivery nested thousands of levels deep', async () => {
      // storing it would overflow the stack (JSON.stringify / canonicalize
      // recurse per level): a 500 that Stalwart would redeliver forever
      const depth = 5_000;
      const body = `{"events":[{"id":"deep-1","type":"auth.failed","data":{"x":${'{"a":'.repeat(
        depth,
      )}1${'}'.repeat(depth)}}}]}`;
      const res = await post(body, sign(body));
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({
        name: 'InputError',
        message:
          'Stalwart webhook body nests objects or arrays deeper than 32 levels; nothing recorded',
      });
      expect(await count()).toBe(0);
      // nesting inside strings does not count, and a normal delivery passes
      const quoted = JSON.stringify({
        events: [
          { id: 'q-1', type: 'auth.failed', data: { s: '{['.repeat(depth) } },
        ],
      });
      const ok = await post(quoted, sign(quoted));
      expect(ok.status).toBe(200);
      expect(await count()).toBe(1);
    });

    it.each([
      ['an object', { a: 1 }],
      ['an array', ['101']],
    ])(
      'answers 400 naming the event, and writes nothing, for an id that is %s',
      async (what, id) => {
        const body = JSON.stringify({
          events: [
            { id: '201', type: 'auth.success', data: {} },
            { id, type: 'auth.failed', data: {} },
          ],
        });
        const res = await post(body, sign(body));
        expect(res.status).toBe(400);
        expect(res.body.error).toMatchObject({
          name: 'InputError',
          message: `Stalwart webhook event 1 (type auth.failed) has an id that is ${what}, not a string or number; nothing recorded`,
        });
        expect(await count()).toBe(0);
      },
    );

    it('answers 400 for signed JSON without events', async () => {
      const body = JSON.stringify({ hello: 'world' });
      const res = await post(body, sign(body));
      expect(res.status).toBe(400);
      expect(await count()).toBe(0);
    });
  },
);
