import { mockServices } from '@backstage/backend-test-utils';
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import { randomUUID } from 'node:crypto';
import {
  createServer,
  IncomingMessage,
  Server,
  ServerResponse,
} from 'node:http';
import { AddressInfo } from 'node:net';
import { Knex } from 'knex';
import { AuditStore } from '../database/AuditStore';
import { tenants } from './__fixtures__/tenants';
import { verifyChain } from '../services/verifyChain';
import { AuthentikEvent, AuthentikPoller } from './authentik';
import { IngestContext } from './types';

jest.setTimeout(120_000);

const databases = dezkyTestDatabases();
const TOKEN = 'ak-test-token';

interface FakeUser {
  pk: number;
  username: string;
  email: string;
  groups: string[];
}

const anna: FakeUser = {
  pk: 7,
  username: 'anna',
  email: 'anna@acme.example',
  groups: ['authentik Admins', 'acme-admins', 'acme'],
};
const bob: FakeUser = {
  pk: 9,
  username: 'bob',
  email: 'bob@globex.example',
  groups: ['globex'],
};
const ops: FakeUser = {
  pk: 3,
  username: 'ops',
  email: 'ops@dezky.example',
  groups: ['dezky-platform-admins'],
};

/**
 * Speaks Authentik's events and users API as far as the poller uses it:
 * bearer token, `ordering` by created, page-number pagination with
 * `pagination.next` (0 on the last page), 404 for a page past the end.
 * Like Authentik, it ignores filters it does not have (there is no
 * `created__gt`).
 */
class FakeAuthentik {
  readonly events: AuthentikEvent[] = [];
  readonly users = new Map<string, FakeUser>();
  readonly eventRequests: URLSearchParams[] = [];
  failWith?: number;
  private server?: Server;
  private clock = Date.UTC(2026, 10, 25, 9, 0, 0);

  get url() {
    const { port } = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  async start() {
    for (const user of [anna, bob, ops]) this.users.set(String(user.pk), user);
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>(resolve =>
      this.server!.listen(0, '127.0.0.1', resolve),
    );
  }

  async stop() {
    await new Promise(resolve => this.server?.close(resolve));
  }

  /** Adds an event one second after the previous one, as Authentik stores it. */
  add(action: string, extra: Partial<AuthentikEvent> = {}): AuthentikEvent {
    this.clock += 1000;
    const iso = new Date(this.clock).toISOString(); // …:01.000Z
    const event: AuthentikEvent = {
      pk: randomUUID(),
      created: `${iso.slice(0, 19)}.123456Z`,
      action,
      app: 'authentik.events.signals',
      user: {},
      client_ip: '192.0.2.10',
      context: {},
      brand: { pk: 'b1', domain: 'authentik-default', app: 'authentik_brands' },
      ...extra,
    };
    this.events.push(event);
    return event;
  }

  addBy(action: string, user: FakeUser, extra: Partial<AuthentikEvent> = {}) {
    return this.add(action, {
      user: { pk: user.pk, username: user.username, email: user.email },
      ...extra,
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse) {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      send(403, { detail: 'Authentication credentials were not provided.' });
      return;
    }
    if (this.failWith) {
      send(this.failWith, { detail: 'Internal server error' });
      return;
    }
    const url = new URL(req.url!, 'http://authentik');
    if (url.pathname === '/api/v3/events/events/') {
      this.eventRequests.push(url.searchParams);
      const ordering = url.searchParams.get('ordering') ?? '-created';
      const sign = ordering === 'created' ? 1 : -1;
      const list = [...this.events].sort(
        (a, b) => sign * (Date.parse(a.created) - Date.parse(b.created)),
      );
      const size = Number(url.searchParams.get('page_size') ?? 20);
      const page = Number(url.searchParams.get('page') ?? 1);
      const totalPages = Math.max(1, Math.ceil(list.length / size));
      if (page > totalPages) {
        send(404, { detail: 'Invalid page.' });
        return;
      }
      const results = list.slice((page - 1) * size, page * size);
      send(200, {
        pagination: {
          next: page < totalPages ? page + 1 : 0,
          previous: page > 1 ? page - 1 : 0,
          count: list.length,
          current: page,
          total_pages: totalPages,
          start_index: (page - 1) * size + 1,
          end_index: (page - 1) * size + results.length,
        },
        results,
        autocomplete: {},
      });
      return;
    }
    const userPath = url.pathname.match(/^\/api\/v3\/core\/users\/(\d+)\/$/);
    const user = userPath && this.users.get(userPath[1]);
    if (user) {
      send(200, {
        pk: user.pk,
        username: user.username,
        email: user.email,
        groups_obj: user.groups.map(name => ({ pk: randomUUID(), name })),
      });
      return;
    }
    send(404, { detail: 'Not found.' });
  }
}

describe.each(databases.eachSupportedId())(
  'AuthentikPoller on %p',
  databaseId => {
    let knex: Knex;
    let store: AuditStore;
    let ctx: IngestContext;
    let fake: FakeAuthentik;

    const poller = (options: { pageSize?: number; maxPages?: number } = {}) =>
      new AuthentikPoller({ ctx, baseUrl: fake.url, token: TOKEN, ...options });
    const rows = () => knex('audit_events').orderBy('seq');
    const cursor = async () =>
      JSON.parse((await store.getCursor('authentik')) ?? 'null');

    beforeEach(async () => {
      knex = await databases.init(databaseId);
      store = await AuditStore.create({
        database: mockServices.database({ knex }),
      });
      ctx = {
        record: inputs => store.append(inputs),
        cursors: {
          get: source => store.getCursor(source),
          set: (source, value) => store.setCursor(source, value),
        },
        tenants,
        logger: mockServices.logger.mock(),
      };
      fake = new FakeAuthentik();
      await fake.start();
    });

    afterEach(async () => {
      await fake.stop();
    });

    it('records events mapped, oldest first, and saves the cursor', async () => {
      const login = fake.addBy('login', anna, {
        context: { auth_method: 'password' },
      });
      const failed = fake.add('login_failed', {
        user: { pk: 1, username: 'AnonymousUser', is_anonymous: true },
        client_ip: '198.51.100.7',
        context: { username: 'eve@acme.example', stage: 'default-password' },
      });
      fake.addBy('password_set', bob);
      fake.addBy('model_updated', ops, {
        context: {
          model: {
            app: 'authentik_core',
            model_name: 'user',
            pk: 9,
            name: 'bob',
          },
        },
      });
      const custom = fake.addBy('custom_export', anna);

      await expect(poller({ pageSize: 2 }).tick()).resolves.toEqual({
        fetched: 5,
        recorded: 5,
      });

      const stored = await rows();
      expect(stored.map(r => r.action)).toEqual([
        'authentik.login',
        'authentik.login_failed',
        'authentik.password_changed',
        'authentik.model_updated',
        'authentik.custom_export',
      ]);
      expect(stored[0]).toMatchObject({
        at: `${login.created.slice(0, 23)}Z`,
        source: 'authentik',
        external_id: login.pk,
        outcome: 'success',
        actor_type: 'user',
        actor_email: 'anna@acme.example',
        actor_ip: '192.0.2.10',
        tenant_ref: 'tenant:default/acme',
        partner_ref: 'partner:default/nordlicht-it',
        resource_type: 'user',
        resource_ref: '7',
      });
      expect(JSON.parse(stored[0].metadata)).toMatchObject({
        authentikAction: 'login',
        user: { pk: 7, username: 'anna' },
        context: { auth_method: 'password' },
      });
      expect(stored[1]).toMatchObject({
        external_id: failed.pk,
        outcome: 'failure',
        actor_type: 'external',
        actor_email: 'eve@acme.example',
        actor_ip: '198.51.100.7',
        tenant_ref: null,
      });
      expect(stored[2]).toMatchObject({
        tenant_ref: 'tenant:default/globex',
        partner_ref: null,
      });
      expect(stored[3]).toMatchObject({
        actor_email: 'ops@dezky.example',
        tenant_ref: null, // platform admins belong to no tenant
        resource_type: 'user',
        resource_ref: '9',
        resource_name: 'bob',
      });
      expect(await cursor()).toEqual({
        lastEventAt: `${custom.created.slice(0, 23)}Z`,
        lastEventId: custom.pk,
      });
      expect(
        fake.eventRequests.map(p => [p.get('ordering'), p.get('page_size')]),
      ).toEqual([
        ['-created', '2'],
        ['-created', '2'],
        ['-created', '2'],
      ]);
      await expect(verifyChain(store)).resolves.toMatchObject({
        ok: true,
        verified: 5,
      });
    });

    it('appends only new events on the next tick, and a restarted poller resumes from the cursor', async () => {
      for (let i = 0; i < 3; i++) fake.addBy('login', anna);
      const first = poller({ pageSize: 2 });
      await first.tick();

      fake.addBy('logout', anna);
      fake.addBy('login', bob);
      const second = await first.tick();
      expect(second.recorded).toBe(2);
      // the event at the cursor's time is read again and deduplicated
      expect(second.fetched).toBe(3);
      expect(await rows()).toHaveLength(5);

      await expect(first.tick()).resolves.toEqual({
        fetched: 1,
        recorded: 0,
      });

      const restarted = poller({ pageSize: 5 });
      const latest = fake.addBy('logout', bob);
      fake.eventRequests.length = 0;
      await expect(restarted.tick()).resolves.toEqual({
        fetched: 2,
        recorded: 1,
      });
      expect(fake.eventRequests).toHaveLength(1); // stopped at the cursor on page 1
      const stored = await rows();
      expect(stored).toHaveLength(6);
      expect(new Set(stored.map(r => r.external_id)).size).toBe(6);
      expect(stored[5].external_id).toBe(latest.pk);
      expect((await cursor()).lastEventId).toBe(latest.pk);
    });

    it('reads at most maxPages × pageSize per tick and completes the walk on later ticks', async () => {
      const original = Array.from({ length: 25 }, () =>
        fake.addBy('login', anna),
      );
      const capped = poller({ pageSize: 5, maxPages: 2 });

      await expect(capped.tick()).resolves.toEqual({
        fetched: 10,
        recorded: 10,
      });
      expect(fake.eventRequests.map(p => p.get('page'))).toEqual(['1', '2']);
      expect(await cursor()).toEqual({
        pending: {
          page: 3,
          newestAt: `${original[24].created.slice(0, 23)}Z`,
          newestId: original[24].pk,
        },
      });

      // new events push the older ones to later pages: read twice, never skipped
      fake.addBy('logout', anna);
      fake.addBy('logout', bob);
      fake.eventRequests.length = 0;
      await expect(capped.tick()).resolves.toEqual({
        fetched: 10,
        recorded: 8,
      });
      expect(fake.eventRequests.map(p => p.get('page'))).toEqual(['3', '4']);

      await expect(capped.tick()).resolves.toEqual({
        fetched: 7,
        recorded: 7,
      });
      expect(await cursor()).toEqual({
        lastEventAt: `${original[24].created.slice(0, 23)}Z`,
        lastEventId: original[24].pk,
      });

      await expect(capped.tick()).resolves.toEqual({
        fetched: 3,
        recorded: 2,
      });
      const stored = await rows();
      expect(stored).toHaveLength(27);
      expect(new Set(stored.map(r => r.external_id)).size).toBe(27);
      await expect(verifyChain(store)).resolves.toMatchObject({ ok: true });
    });

    it('throws on an HTTP error and leaves the cursor where it was', async () => {
      fake.addBy('login', anna);
      const p = poller();
      await p.tick();
      const before = await store.getCursor('authentik');

      fake.addBy('login', bob);
      fake.failWith = 500;
      await expect(p.tick()).rejects.toThrow(
        /Authentik request GET \/api\/v3\/events\/events\/.* failed: HTTP 500/,
      );
      expect(await store.getCursor('authentik')).toBe(before);
      expect(await rows()).toHaveLength(1);

      fake.failWith = undefined;
      await expect(
        new AuthentikPoller({ ctx, baseUrl: fake.url, token: 'wrong' }).tick(),
      ).rejects.toThrow(/HTTP 403/);
      expect(await store.getCursor('authentik')).toBe(before);

      await expect(p.tick()).resolves.toMatchObject({ recorded: 1 });
      expect(await rows()).toHaveLength(2);
    });

    it('does not start a tick while one is running', async () => {
      fake.addBy('login', anna);
      const p = poller();
      const [a, b] = await Promise.all([p.tick(), p.tick()]);
      expect(a).toEqual({ fetched: 1, recorded: 1 });
      expect(b).toEqual({ fetched: 0, recorded: 0, skipped: true });
    });
  },
);
