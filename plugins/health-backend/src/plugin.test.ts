import {
  coreServices,
  createServiceFactory,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { recordingAuditTrail } from '@internal/plugin-audit-node';
import { IntegrationStatus } from '@internal/plugin-health-common';
import http from 'node:http';
import net, { AddressInfo } from 'node:net';
import request from 'supertest';
import { healthPlugin } from './plugin';

jest.setTimeout(60_000);

function permissionsFor(policy: 'allow' | 'deny') {
  const service: PermissionsService = {
    authorize: async reqs =>
      reqs.map(() => ({
        result:
          policy === 'allow' ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
      })) as any,
    authorizeConditional: async reqs =>
      reqs.map(() => ({ result: AuthorizeResult.DENY })) as any,
  };
  return createServiceFactory({
    service: coreServices.permissions,
    deps: {},
    factory: () => service,
  });
}

let up: http.Server;
let upUrl: string;
let closedPort: number;
let tcp: net.Server;
let tcpTarget: string;

beforeAll(async () => {
  up = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>(r => up.listen(0, '127.0.0.1', r));
  upUrl = `http://127.0.0.1:${(up.address() as AddressInfo).port}/health`;
  tcp = net.createServer(s => s.end());
  await new Promise<void>(r => tcp.listen(0, '127.0.0.1', r));
  tcpTarget = `127.0.0.1:${(tcp.address() as AddressInfo).port}`;
  const closed = net.createServer();
  await new Promise<void>(r => closed.listen(0, '127.0.0.1', r));
  closedPort = (closed.address() as AddressInfo).port;
  await new Promise(r => closed.close(r));
});

afterAll(async () => {
  up.closeAllConnections();
  await new Promise(r => up.close(r));
  await new Promise(r => tcp.close(r));
});

const integration = (
  name: string,
  spec: Record<string, unknown>,
  title?: string,
) => ({
  apiVersion: 'dezky.io/v1alpha1',
  kind: 'Integration',
  metadata: { name, namespace: 'default', ...(title ? { title } : {}) },
  spec: { owner: 'group:default/dezky-platform-admins', type: 'mail', ...spec },
});

const entities = () => [
  integration(
    'web',
    { lifecycle: 'production', probe: { type: 'http', target: upUrl } },
    'Web',
  ),
  integration('cache', {
    lifecycle: 'production',
    probe: { type: 'tcp', target: tcpTarget },
  }),
  integration('down', {
    lifecycle: 'production',
    probe: { type: 'tcp', target: `127.0.0.1:${closedPort}`, timeoutMs: 500 },
  }),
  integration('zulip', {
    lifecycle: 'planned',
    probe: { type: 'tcp', target: `127.0.0.1:${closedPort}` },
  }),
  // not an Integration: ignored
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'web' },
    spec: {},
  },
];

async function start(policy: 'allow' | 'deny') {
  const scheduler = mockServices.scheduler.mock();
  const trail = recordingAuditTrail();
  const { server } = await startTestBackend({
    features: [
      healthPlugin,
      trail.factory,
      permissionsFor(policy),
      scheduler.factory,
      catalogServiceMock.factory({ entities: entities() }),
      mockServices.rootConfig.factory({
        data: {
          backend: {
            database: { client: 'better-sqlite3', connection: ':memory:' },
          },
          health: { probeInterval: 10 },
        },
      }),
    ],
  });
  return { server, scheduler, trail: trail.state };
}

const asUser = (r: request.Test) =>
  r.set('Authorization', mockCredentials.user.header());

const byRef = (items: IntegrationStatus[]) =>
  Object.fromEntries(items.map(i => [i.integration, i]));

describe('health API', () => {
  it('schedules a global round every health.probeInterval seconds', async () => {
    const { scheduler } = await start('deny');
    expect(scheduler.scheduleTask).toHaveBeenCalledWith(
      expect.objectContaining({
        id: 'health-probe-round',
        scope: 'global',
        frequency: { seconds: 10 },
        timeout: { minutes: 1 },
      }),
    );
  });

  it('lists planned integrations as planned and others as not probed yet, then the round results', async () => {
    const { server, scheduler } = await start('deny');
    const before = await asUser(request(server).get('/api/health/status'));
    expect(before.status).toBe(200);
    expect(before.body.items).toEqual([
      {
        integration: 'integration:default/cache',
        status: 'warn',
        error: 'not probed yet',
      },
      {
        integration: 'integration:default/down',
        status: 'warn',
        error: 'not probed yet',
      },
      {
        integration: 'integration:default/web',
        title: 'Web',
        status: 'warn',
        error: 'not probed yet',
      },
      { integration: 'integration:default/zulip', status: 'planned' },
    ]);

    // the scheduled round
    const [{ fn }] = scheduler.scheduleTask.mock.calls[0];
    await (fn as () => Promise<void>)();

    const after = await asUser(request(server).get('/api/health/status'));
    const items = byRef(after.body.items);
    expect(items['integration:default/web']).toMatchObject({
      title: 'Web',
      status: 'ok',
      latencyMs: expect.any(Number),
      checkedAt: expect.any(String),
    });
    expect(items['integration:default/cache'].status).toBe('ok');
    expect(items['integration:default/down']).toMatchObject({
      status: 'bad',
      error: expect.stringContaining('ECONNREFUSED'),
    });
    expect(items['integration:default/zulip']).toEqual({
      integration: 'integration:default/zulip',
      status: 'planned',
    });

    const history = await asUser(
      request(server).get('/api/health/integrations/default/down/history'),
    );
    expect(history.status).toBe(200);
    expect(history.body).toMatchObject({
      integration: 'integration:default/down',
      uptime: { '24h': 0, '7d': 0, '30d': 0 },
      latency: { '24h': { p50: null, p95: null } },
      incidents: [{ start: expect.any(String), lastError: expect.any(String) }],
    });
    const web = await asUser(
      request(server).get('/api/health/integrations/default/WEB/history'),
    );
    expect(web.body.uptime).toEqual({ '24h': 1, '7d': 1, '30d': 1 });
    expect(web.body.incidents).toEqual([]);
    expect(web.body.series).toEqual({
      window: '24h',
      bucketMs: null,
      points: [
        {
          checkedAt: expect.any(String),
          status: 'ok',
          latencyMs: expect.any(Number),
          samples: 1,
        },
      ],
    });
    expect(web.body.monthly).toEqual([
      { month: expect.stringMatching(/^\d{4}-\d\d$/), uptime: 1, samples: 1 },
    ]);
    const week = await asUser(
      request(server).get(
        '/api/health/integrations/default/web/history?window=7d&points=10',
      ),
    );
    expect(week.body.series.window).toBe('7d');
  });

  it('lets operators probe now, and refuses others', async () => {
    const denied = await start('deny');
    const no = await asUser(request(denied.server).post('/api/health/probe'));
    expect(no.status).toBe(403);
    // the refusal is in the audit trail, with who tried what
    expect(denied.trail.recorded).toEqual([
      expect.objectContaining({
        actor: expect.objectContaining({
          type: 'user',
          ref: 'user:default/mock',
        }),
        action: 'health.probe.run',
        outcome: 'failure',
        metadata: expect.objectContaining({
          request: 'POST /api/health/probe',
        }),
      }),
    ]);

    const { server } = await start('allow');
    const res = await asUser(request(server).post('/api/health/probe'));
    expect(res.status).toBe(200);
    expect(
      res.body.items.map((i: IntegrationStatus) => [i.integration, i.status]),
    ).toEqual([
      ['integration:default/cache', 'ok'],
      ['integration:default/down', 'bad'],
      ['integration:default/web', 'ok'],
      ['integration:default/zulip', 'planned'],
    ]);
  });

  it('requires a signed-in caller, and answers 404 and 400 for bad history requests', async () => {
    const { server } = await start('allow');
    for (const header of [
      mockCredentials.none.header(),
      mockCredentials.user.invalidHeader(),
    ]) {
      const anon = await request(server)
        .get('/api/health/status')
        .set('Authorization', header);
      expect(anon.status).toBe(401);
    }
    const status = await asUser(request(server).get('/api/health/status'));
    expect(status.status).toBe(200);
    expect(status.headers['cache-control']).toBe('no-store');
    const nul = await asUser(request(server).get('/api/health/status?x=%00'));
    expect(nul.status).toBe(400);
    expect(nul.body.error.message).toBe('x: must not contain a NUL byte');
    const missing = await asUser(
      request(server).get('/api/health/integrations/default/nope/history'),
    );
    expect(missing.status).toBe(404);
    const bad = await asUser(
      request(server).get('/api/health/integrations/default/%20x/history'),
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('name');
    for (const [query, message] of [
      ['window=1y', 'window: must be one of 24h, 7d, 30d'],
      ['points=5', 'points: must be at least 10'],
      ['points=lots', 'points: must be a whole number'],
      ['points=20.5', 'points: must be a whole number'],
    ]) {
      const res = await asUser(
        request(server).get(
          `/api/health/integrations/default/web/history?${query}`,
        ),
      );
      expect({
        query,
        status: res.status,
        message: res.body.error?.message,
      }).toEqual({ query, status: 400, message });
    }
  });
});
