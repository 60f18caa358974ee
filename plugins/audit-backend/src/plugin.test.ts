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
import {
  AuditEvent,
  AuditEventInput,
  verifyExport,
} from '@internal/plugin-audit-common';
import { auditTrailServiceRef } from '@internal/plugin-audit-node';
import express from 'express';
import request from 'supertest';
import { auditPlugin } from './plugin';
import { AuditService } from './services/AuditService';
import {
  auditChainServiceFactory,
  auditTrailServiceFactory,
  chainAuditorServiceFactory,
} from './services/factories';
import { permissionsFor, Policy } from './testing/permissionsFor';

const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

/** The events every API test starts with (recorded in this order). */
const seed: AuditEventInput[] = [
  {
    at: at(0),
    actor: {
      type: 'user',
      ref: 'user:default/anna.schmidt',
      email: 'Anna.Schmidt@dezky.example',
    },
    action: 'tenant.suspended',
    outcome: 'success',
    resource: { type: 'tenant', ref: 'tenant:default/acme', name: 'ACME GmbH' },
    source: 'portal',
    metadata: { status: { from: 'active', to: 'suspended' } },
  },
  {
    at: at(1),
    actor: { type: 'user', email: 'max@acme.example', ip: '203.0.113.9' },
    action: 'authentik.login_failed',
    outcome: 'failure',
    tenant: 'tenant:default/acme',
    source: 'authentik',
    externalId: 'ak-1',
  },
  {
    at: at(2),
    actor: { type: 'user', email: 'eva@bergblick-hotels.example' },
    action: 'stalwart.mailbox.created',
    outcome: 'success',
    resource: { type: 'mailbox', name: 'eva@bergblick-hotels.example' },
    tenant: 'tenant:default/bergblick-hotels',
    partner: 'partner:default/alpenwerk-systems',
    source: 'stalwart',
    externalId: 'st-1',
  },
  {
    at: at(3),
    actor: { type: 'system', ref: 'plugin:billing' },
    action: 'partner.payout.created',
    outcome: 'success',
    resource: { type: 'partner', ref: 'partner:default/nordlicht-it' },
    source: 'stripe',
    metadata: { note: '100% of 50_50 split, "quoted", line\nbreak' },
  },
  {
    at: at(4),
    actor: { type: 'user', email: 'root@echo.example' },
    action: 'tenant.updated',
    outcome: 'success',
    resource: { type: 'tenant', ref: 'tenant:default/echo', name: '=cmd|calc' },
    source: 'portal',
  },
  {
    at: at(5),
    actor: { type: 'system' },
    action: 'tenants.rebuilt',
    outcome: 'success',
    source: 'portal',
  },
];

const tenants = [
  {
    apiVersion: 'dezky.io/v1alpha1',
    kind: 'Tenant',
    metadata: { name: 'acme', namespace: 'default' },
    spec: { partner: 'nordlicht-it', domains: ['acme.example'] },
  },
  {
    apiVersion: 'dezky.io/v1alpha1',
    kind: 'Tenant',
    metadata: { name: 'echo', namespace: 'default' },
    spec: { domains: ['echo.example'] },
  },
];

/** Records the seed through the trail; exposes a mutation that uses the auditor. */
const seedPlugin = createBackendPlugin({
  pluginId: 'seed',
  register(env) {
    env.registerInit({
      deps: {
        trail: auditTrailServiceRef,
        auditor: coreServices.auditor,
        httpRouter: coreServices.httpRouter,
      },
      async init({ trail, auditor, httpRouter }) {
        await trail.record(seed);
        const router = express.Router();
        router.post('/things/:id', async (req, res) => {
          const event = await auditor.createEvent({
            eventId: 'thing-mutate',
            severityLevel: 'medium',
            request: req,
            meta: {
              actionType: 'create',
              entityRef: `tenant:default/${req.params.id}`,
            },
          });
          if (req.params.id === 'broken') {
            await event.fail({ error: new Error('no such thing') });
            res.status(404).end();
            return;
          }
          await event.success();
          res.status(201).end();
        });
        router.get('/things', async (req, res) => {
          const event = await auditor.createEvent({
            eventId: 'thing-fetch',
            request: req,
          });
          await event.success();
          res.json([]);
        });
        httpRouter.use(router);
      },
    });
  },
});

async function start(policy: Policy, options?: { seeded?: boolean }) {
  return startWith(() => policy, options);
}

async function startWith(policy: () => Policy, options?: { seeded?: boolean }) {
  const { server } = await startTestBackend({
    features: [
      auditPlugin,
      auditChainServiceFactory,
      auditTrailServiceFactory,
      chainAuditorServiceFactory,
      ...(options?.seeded === false ? [] : [seedPlugin]),
      permissionsFor(policy),
      catalogServiceMock.factory({ entities: tenants }),
      mockServices.rootConfig.factory({
        data: {
          backend: {
            database: { client: 'better-sqlite3', connection: ':memory:' },
          },
        },
      }),
    ],
  });
  return server;
}

const get = (server: any, path: string) =>
  request(server).get(path).set('Authorization', mockCredentials.user.header());

const actions = (body: { items: AuditEvent[] }) =>
  body.items.map(e => e.action);

describe('audit API', () => {
  it('verifies an empty chain and lists no events for an allowed caller', async () => {
    const server = await start('allow', { seeded: false });
    const verify = await get(server, '/api/audit/verify');
    expect(verify.status).toBe(200);
    expect(verify.body).toEqual({
      ok: true,
      verified: 0,
      checkpoints: 0,
      head: null,
    });
    const events = await get(server, '/api/audit/events?limit=10');
    expect(events.body).toEqual({ items: [] });
    const status = await get(server, '/api/audit/status');
    expect(status.body).toEqual({ head: null });
  });

  it('refuses callers the policy denies, and bad input with 400', async () => {
    const server = await start('deny');
    for (const path of [
      '/api/audit/verify',
      '/api/audit/status',
      '/api/audit/events',
      '/api/audit/events.csv',
    ]) {
      const res = await get(server, path);
      expect(res.status).toBe(403);
    }
    // authorization comes first: a refused caller learns nothing of the input
    expect((await get(server, '/api/audit/events?limit=0')).status).toBe(403);
    const allowed = await start('allow', { seeded: false });
    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['since=yesterday', 'since'],
      ['action=tenant.%25', 'action'],
      ['outcome=maybe', 'outcome'],
      ['cursor=abc', 'cursor'],
      ['colour=blue', 'colour'],
      ['actor=%00', 'actor: must not contain a NUL byte'],
      ['q=a%00b', 'q: must not contain a NUL byte'],
      ['tier=cold', 'tier'],
    ]) {
      const bad = await get(allowed, `/api/audit/events?${query}`);
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toContain(field);
    }
  });

  it('lists the recorded events newest first, with the partner of a tenant filled in from the catalog', async () => {
    const server = await start('allow');
    const res = await get(server, '/api/audit/events');
    expect(res.status).toBe(200);
    expect(actions(res.body)).toEqual(seed.map(e => e.action).reverse());
    const byAction = new Map<string, AuditEvent>(
      res.body.items.map((e: AuditEvent) => [e.action, e]),
    );
    // a tenant event recorded without a partner gets the tenant's partner
    expect(byAction.get('authentik.login_failed')).toMatchObject({
      tenant: 'tenant:default/acme',
      partner: 'partner:default/nordlicht-it',
    });
    // the resource names the tenant
    expect(byAction.get('tenant.suspended')).toMatchObject({
      tenant: 'tenant:default/acme',
      partner: 'partner:default/nordlicht-it',
    });
    // a direct customer has no partner
    expect(byAction.get('tenant.updated')!.partner).toBeUndefined();
    expect(byAction.get('partner.payout.created')!.partner).toBe(
      'partner:default/nordlicht-it',
    );
    const verify = await get(server, '/api/audit/verify');
    expect(verify.body).toMatchObject({ ok: true, verified: seed.length });
  });

  it.each<[string, string[]]>([
    ['action=tenant.suspended', ['tenant.suspended']],
    ['action=tenant.*', ['tenant.updated', 'tenant.suspended']],
    [
      'action=tenant*',
      ['tenants.rebuilt', 'tenant.updated', 'tenant.suspended'],
    ],
    ['action=tenant', []],
    [
      'tenant=Tenant:Default/ACME',
      ['authentik.login_failed', 'tenant.suspended'],
    ],
    [
      'partner=partner:default/nordlicht-it',
      ['partner.payout.created', 'authentik.login_failed', 'tenant.suspended'],
    ],
    ['actor=anna.schmidt@DEZKY.example', ['tenant.suspended']],
    ['actor=user:default/anna.schmidt', ['tenant.suspended']],
    ['actor=plugin:billing', ['partner.payout.created']],
    ['outcome=failure', ['authentik.login_failed']],
    ['source=stalwart', ['stalwart.mailbox.created']],
    ['q=MAILBOX', ['stalwart.mailbox.created']],
    ['q=acme gmbh', ['tenant.suspended']],
    ['q=%25', []],
    ['q=_', ['authentik.login_failed']],
    [
      `since=${at(2)}`,
      [
        'tenants.rebuilt',
        'tenant.updated',
        'partner.payout.created',
        'stalwart.mailbox.created',
      ],
    ],
    [`until=${at(2)}`, ['authentik.login_failed', 'tenant.suspended']],
    [
      `since=${at(1)}&until=${at(3)}&source=authentik`,
      ['authentik.login_failed'],
    ],
  ])('filters: %s', async (query, expected) => {
    const server = await start('allow');
    const res = await get(server, `/api/audit/events?${query}`);
    expect(res.status).toBe(200);
    expect(actions(res.body)).toEqual(expected);
  });

  it('pages with nextCursor through every event exactly once', async () => {
    const server = await start('allow');
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await get(
        server,
        `/api/audit/events?limit=4${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.status).toBe(200);
      seen.push(...actions(res.body));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(2);
    expect(seen).toEqual(seed.map(e => e.action).reverse());
  });

  it('streams CSV with the same filters, quoting and defusing formulas', async () => {
    const server = await start('allow');
    const res = await get(server, '/api/audit/events.csv?q=e');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.headers['content-disposition']).toMatch(
      /attachment; filename="audit-\d{8}\.csv"/,
    );
    const lines = res.text.split('\r\n');
    expect(lines[0]).toBe(
      'seq,at,actor_type,actor_ref,actor_email,actor_ip,action,outcome,resource_type,resource_ref,resource_name,tenant,partner,source,external_id,metadata,prev_hash,hash',
    );
    expect(res.text).toContain(`'=cmd|calc`);
    expect(res.text).toContain(
      '"{""note"":""100% of 50_50 split, \\""quoted\\"", line\\nbreak""}"',
    );
    const json = await get(server, '/api/audit/events?q=e');
    // one line per event, plus header and the final empty line
    expect(lines.length).toBe(json.body.items.length + 2);
    const failures = await get(server, '/api/audit/events.csv?outcome=failure');
    expect(failures.text.trim().split('\r\n')).toHaveLength(2);
  });

  it("gives partner staff only their partner's events, in JSON and CSV", async () => {
    const server = await start({
      partnerRefs: ['partner:default/nordlicht-it'],
    });
    const res = await get(server, '/api/audit/events');
    expect(actions(res.body)).toEqual([
      'partner.payout.created',
      'authentik.login_failed',
      'tenant.suspended',
    ]);
    const other = await get(
      server,
      '/api/audit/events?partner=partner:default/alpenwerk-systems',
    );
    expect(other.body.items).toEqual([]);
    const csv = await get(server, '/api/audit/events.csv');
    const rows = csv.text.trim().split('\r\n').slice(1);
    expect(rows).toHaveLength(3);
    expect(csv.text).not.toContain('alpenwerk');
    expect(csv.text).not.toContain('echo');
    // the chain and its checkpoints are for operators
    expect((await get(server, '/api/audit/verify')).status).toBe(403);
  });

  it('answers audit data with Cache-Control: no-store', async () => {
    const server = await start('allow');
    for (const path of [
      '/api/audit/events',
      '/api/audit/events?tier=archive',
      '/api/audit/events.csv',
      '/api/audit/export',
      '/api/audit/status',
      '/api/audit/verify',
    ]) {
      const res = await get(server, path);
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
    }
  });

  it('records a refused run or restore of the archive and a refused checkpoint, with the actor', async () => {
    let role: Policy = 'allow';
    const server = await startWith(() => role);
    role = 'deny';
    const staff = (r: request.Test) =>
      r.set('Authorization', mockCredentials.user.header('user:default/jana'));
    expect(
      (await staff(request(server).post('/api/audit/archive/run'))).status,
    ).toBe(403);
    expect(
      (
        await staff(
          request(server).post('/api/audit/archive/batches/1/restore'),
        )
      ).status,
    ).toBe(403);
    expect(
      (await staff(request(server).post('/api/audit/checkpoints'))).status,
    ).toBe(403);
    role = 'allow';
    const res = await get(
      server,
      '/api/audit/events?action=audit.checkpoint.create',
    );
    expect(
      res.body.items.map((e: AuditEvent) => [
        e.actor.ref,
        e.outcome,
        e.metadata?.request,
      ]),
    ).toEqual([
      ['user:default/jana', 'failure', 'POST /api/audit/checkpoints'],
      [
        'user:default/jana',
        'failure',
        'POST /api/audit/archive/batches/1/restore',
      ],
      ['user:default/jana', 'failure', 'POST /api/audit/archive/run'],
    ]);
  });

  it('exports the chain as NDJSON that verifies offline, for operators only', async () => {
    const server = await start('allow');
    const signed = await request(server)
      .post('/api/audit/checkpoints')
      .set('Authorization', mockCredentials.user.header());
    expect(signed.status).toBe(201);
    const res = await get(server, '/api/audit/export');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('application/x-ndjson');
    const lines = res.text.trim().split('\n');
    const kinds = lines.map(l => JSON.parse(l).type ?? 'header');
    // header, events, then the checkpoints (startup, interval, the one above)
    expect(kinds.slice(0, 1 + seed.length)).toEqual([
      'header',
      ...seed.map(() => 'event'),
    ]);
    const checkpoints = kinds.filter(k => k === 'checkpoint').length;
    expect(checkpoints).toBeGreaterThanOrEqual(1);
    const result = await verifyExport(
      (async function* all() {
        yield* lines;
      })(),
    );
    expect(result).toMatchObject({
      ok: true,
      verified: seed.length,
      anchoredAtGenesis: true,
    });
    expect(result.checkpoints).toBe(checkpoints);
    const partial = await get(server, '/api/audit/export?fromSeq=2&toSeq=3');
    expect(partial.text.trim().split('\n')).toHaveLength(3);
    const bad = await get(server, '/api/audit/export?fromSeq=4&toSeq=2');
    expect(bad.status).toBe(400);
    const staff = await start({
      partnerRefs: ['partner:default/nordlicht-it'],
    });
    expect((await get(staff, '/api/audit/export')).status).toBe(403);
  });

  it('lands coreServices.auditor events of any plugin in the chain before the response, reads only in the log', async () => {
    const server = await start('allow');
    const created = await request(server)
      .post('/api/seed/things/acme')
      .set('Authorization', mockCredentials.user.header());
    expect(created.status).toBe(201);
    const failed = await request(server)
      .post('/api/seed/things/broken')
      .set('Authorization', mockCredentials.user.header());
    expect(failed.status).toBe(404);
    await get(server, '/api/seed/things');
    const res = await get(
      server,
      '/api/audit/events?source=portal&action=seed.*',
    );
    expect(res.body.items).toEqual([
      expect.objectContaining({
        action: 'seed.thing-mutate.create',
        outcome: 'failure',
        metadata: expect.objectContaining({
          error: { name: 'Error', message: 'no such thing' },
        }),
      }),
      expect.objectContaining({
        action: 'seed.thing-mutate.create',
        outcome: 'success',
        actor: expect.objectContaining({
          type: 'user',
          ref: mockCredentials.user().principal.userEntityRef,
        }),
        resource: { type: 'entity', ref: 'tenant:default/acme' },
        tenant: 'tenant:default/acme',
        partner: 'partner:default/nordlicht-it',
      }),
    ]);
  });
});

describe('AuditService.record', () => {
  it('group-commits concurrent records into one gap-free chain, each resolving once stored', async () => {
    const batches: number[] = [];
    let seq = 0;
    const store = {
      append: jest.fn(async (inputs: any[]) => {
        batches.push(inputs.length);
        await new Promise(r => setTimeout(r, 5));
        return inputs.map(i => ({ ...i, seq: ++seq, prevHash: '', hash: '' }));
      }),
    };
    const service = new AuditService(
      store as any,
      mockServices.logger.mock(),
      undefined,
      50,
    );
    const input = (n: number) => ({
      at: '2026-11-25T00:00:00.000Z',
      actor: { type: 'system' as const },
      action: `test.${n}`,
      outcome: 'success' as const,
      source: 'portal',
    });
    const events = (await Promise.all(
      Array.from({ length: 120 }, (_, n) => service.record(input(n))),
    )) as AuditEvent[];
    expect(events.map(e => e.action)).toEqual(
      Array.from({ length: 120 }, (_, n) => `test.${n}`),
    );
    expect(events.map(e => e.seq)).toEqual(
      Array.from({ length: 120 }, (_, n) => n + 1),
    );
    expect(batches.length).toBeLessThan(120); // batched
    expect(Math.max(...batches)).toBeLessThanOrEqual(50);
  });

  it('rejects every caller of a failed batch and logs it', async () => {
    const logger = mockServices.logger.mock();
    const store = {
      append: jest.fn().mockRejectedValue(new Error('disk full')),
    };
    const service = new AuditService(store as any, logger);
    await expect(
      service.record({
        at: '2026-11-25T00:00:00Z',
        actor: { type: 'system' },
        action: 'a',
        outcome: 'success',
        source: 'portal',
      }),
    ).rejects.toThrow('disk full');
    expect(logger.error).toHaveBeenCalledWith(
      expect.stringContaining('disk full'),
    );
  });
});
