/*
 * The audit trail, end to end, on the real backend (packages/backend) and the
 * real development IdP: sign-ins and catalog mutations land in the chain
 * before their responses return, and partner staff never see another
 * partner's events — checked over 1,200 random filtered requests, JSON and CSV;
 * on SQLite and on PostgreSQL (portalDatabases()).
 */
import { DatabaseManager } from '@backstage/backend-defaults/database';
import { mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { AuditEventInput } from '@internal/plugin-audit-common';
import { AuditStore } from '@internal/plugin-audit-backend';
import { createHmac } from 'crypto';
import fs from 'fs';
import http from 'http';
import { AddressInfo } from 'net';
import os from 'os';
import path from 'path';
import { pseudoRandom, refOf, seededCatalog } from './testing/catalogFiles';
import { signInAll, signInThroughOidc } from './testing/oidcSignIn';
import {
  PortalDatabaseConfig,
  PortalServers,
  portalDatabaseConfig,
  portalDatabases,
  startPortal,
  waitForCatalog,
} from './testing/servers';

jest.setTimeout(300_000);

const { users, partners, tenants, operators, email, staffOf } = seededCatalog();
const partnerRefOf = (t: Entity) =>
  t.spec!.partner ? `partner:default/${t.spec!.partner}` : undefined;
const random = pseudoRandom;

const actions = [
  'tenant.suspended',
  'tenant.resumed',
  'tenant.updated',
  'partner.updated',
  'authentik.login',
  'authentik.login_failed',
  'stalwart.auth.failed',
  'stalwart.domain.created',
  'ocis.file_created',
  'ocis.share_created',
  'flag.updated',
];
const sources = ['portal', 'authentik', 'stalwart', 'ocis', 'stripe'];
const actorEmails = [
  'max@acme.example',
  'eva@bergblick-hotels.example',
  'ops@dezky.example',
  'Admin@Donau-Steuer.example',
];
const T0 = Date.parse('2026-11-01T00:00:00.000Z');

/** 1,500 events: tenants' (with their partner), partners' own, and platform-wide. */
function seedEvents(): AuditEventInput[] {
  const r = random(4711);
  return Array.from({ length: 1_500 }, (_, i) => {
    const kind = r.next();
    const tenant = kind < 0.7 ? r.pick(tenants) : undefined;
    const partner = kind >= 0.7 && kind < 0.85 ? r.pick(partners) : undefined;
    return {
      at: new Date(T0 + i * 9 * 60_000).toISOString(),
      actor: { type: 'user', email: r.pick(actorEmails) },
      action: r.pick(actions),
      outcome: r.next() < 0.2 ? 'failure' : 'success',
      resource: tenant
        ? { type: 'tenant', ref: refOf(tenant), name: tenant.metadata.title }
        : undefined,
      tenant: tenant ? refOf(tenant) : undefined,
      partner: tenant ? partnerRefOf(tenant) : partner && refOf(partner),
      source: r.pick(sources),
      externalId: `seed-${i}`,
      metadata: { n: i, note: 'a, "quoted"\nvalue' },
    } as AuditEventInput;
  });
}

/** RFC 4180 CSV (quoted fields with "" escapes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}

let portal: PortalServers;
let dir: string;
let authentik: http.Server;
const STALWART_SECRET = 'stalwart-webhook-test-secret';
const AUTHENTIK_TOKEN = 'authentik-test-token';

/** A local server speaking Authentik's events and users API (what the poller reads). */
function startFakeAuthentik(): Promise<string> {
  const events = [
    {
      pk: 'a1b2c3d4-0000-4000-8000-000000000001',
      created: '2026-11-25T08:00:00.123456Z',
      action: 'login',
      app: 'authentik.events.signals',
      user: { pk: 7, username: 'max', email: 'max@acme.example' },
      client_ip: '198.51.100.7',
      context: {},
    },
  ];
  authentik = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://localhost');
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${AUTHENTIK_TOKEN}`) {
      send(403, { detail: 'Authentication credentials were not provided.' });
    } else if (url.pathname === '/api/v3/events/events/') {
      send(200, { pagination: { next: 0 }, results: events });
    } else if (url.pathname === '/api/v3/core/users/7/') {
      send(200, { pk: 7, groups_obj: [{ name: 'acme' }] });
    } else send(404, { detail: 'Not found.' });
  });
  return new Promise(resolve =>
    authentik.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(authentik.address() as AddressInfo).port}`),
    ),
  );
}
const tokens = new Map<string, string>(); // email -> token
const seed = seedEvents();

async function audit(token: string, pathAndQuery: string, init?: RequestInit) {
  const res = await fetch(`${portal.backendUrl}/api/audit${pathAndQuery}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, ...init?.headers },
  });
  const type = res.headers.get('content-type') ?? '';
  return {
    status: res.status,
    type,
    body: type.includes('json') ? await res.json() : await res.text(),
  };
}

// The whole file once per engine: production's SQL is PostgreSQL's, the
// development default is SQLite. One backend per engine, stopped before the
// next one starts.
describe.each(portalDatabases())('on $name', ({ database: engine }) => {
  beforeAll(async () => {
    tokens.clear();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezky-audit-'));
    const ocisFile = path.join(dir, 'ocis-audit.log');
    fs.writeFileSync(ocisFile, '');
    const config = {
      audit: {
        ingest: {
          authentik: {
            baseUrl: await startFakeAuthentik(),
            token: AUTHENTIK_TOKEN,
          },
          stalwart: { webhookSecret: STALWART_SECRET },
          ocis: { file: ocisFile },
        },
      },
    };
    // The audit database must outlive this process's connection to it: on
    // SQLite a file (in memory, the backend could not see the seeded chain),
    // on PostgreSQL the backend's own `<prefix>audit` database.
    const database: PortalDatabaseConfig =
      engine === 'sqlite'
        ? {
            ...portalDatabaseConfig('sqlite'),
            // directory + file name: Backstage joins them (an absolute filename
            // alone would be taken as relative to the working directory)
            plugin: {
              audit: {
                connection: { directory: dir, filename: 'audit.sqlite' },
              },
            },
          }
        : portalDatabaseConfig('postgres');
    // seed the chain the portal will open, through the store's own append
    const rootLifecycle = mockServices.rootLifecycle.mock();
    const manager = DatabaseManager.fromConfig(
      new ConfigReader({ backend: { database } }),
      { rootLifecycle },
    );
    const store = await AuditStore.create({
      database: manager.forPlugin('audit', {
        logger: mockServices.logger.mock(),
        lifecycle: mockServices.lifecycle.mock(),
      }),
    });
    await store.append(seed);
    // close the seeding connections (the manager's shutdown hook)
    for (const [hook] of rootLifecycle.addShutdownHook.mock.calls) await hook();
    const configFile = path.join(dir, 'app-config.audit.yaml');
    fs.writeFileSync(configFile, JSON.stringify(config));

    portal = await startPortal({}, { configFiles: [configFile], database });
    await waitForCatalog(
      portal.backendUrl,
      ['user', 'tenant', 'partner'],
      users.length + tenants.length + partners.length,
    );
    for (const [mail, token] of await signInAll(
      portal,
      [...operators, ...partners.flatMap(staffOf)].map(email),
    )) {
      tokens.set(mail, token);
    }
  });

  afterAll(async () => {
    try {
      await portal?.stop();
      authentik?.close();
    } finally {
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  const operatorToken = () => tokens.get(email(operators[0]))!;

  describe('recording', () => {
    it('records every sign-in, and each refusal, in the chain', async () => {
      const refused = await signInThroughOidc({
        backendUrl: portal.backendUrl,
        appOrigin: portal.appOrigin,
        email: 'nobody@unknown.example',
      });
      expect(refused.ok).toBe(false);
      const signIns = await audit(
        operatorToken(),
        '/events?action=portal.user.*&limit=500',
      );
      expect(signIns.status).toBe(200);
      const signedIn = signIns.body.items
        .filter((e: any) => e.action === 'portal.user.signed-in')
        .map((e: any) => e.actor.email);
      expect(signedIn.sort()).toEqual([...tokens.keys()].sort());
      expect(signIns.body.items).toContainEqual(
        expect.objectContaining({
          action: 'portal.user.sign-in-refused',
          outcome: 'failure',
          actor: { type: 'external', email: 'nobody@unknown.example' },
        }),
      );
    });

    it("lands the catalog's own mutations, allowed and refused, before the response returns", async () => {
      const acme = 'tenant:default/acme';
      const refresh = (token: string) =>
        fetch(`${portal.backendUrl}/api/catalog/refresh`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ entityRef: acme }),
        });
      expect((await refresh(operatorToken())).status).toBe(200);
      const staff = staffOf(partners[0])[0];
      expect((await refresh(tokens.get(email(staff))!)).status).toBe(403);

      // no waiting: each event was committed before its response
      const events = await audit(
        operatorToken(),
        '/events?action=catalog.entity-mutate.refresh',
      );
      expect(events.body.items).toEqual([
        expect.objectContaining({
          outcome: 'failure',
          actor: expect.objectContaining({ ref: refOf(staff) }),
          resource: { type: 'entity', ref: acme },
          tenant: acme,
          partner: 'partner:default/nordlicht-it',
          source: 'catalog',
        }),
        expect.objectContaining({
          outcome: 'success',
          actor: expect.objectContaining({
            type: 'user',
            ref: refOf(operators[0]),
          }),
        }),
      ]);
      const verify = await audit(operatorToken(), '/verify');
      expect(verify.body).toMatchObject({ ok: true });
      expect(verify.body.verified).toBeGreaterThan(seed.length);
    });
  });

  describe('ingest, wired as in production', () => {
    /** Polls the operator's view until `query` finds something. */
    async function eventually(query: string): Promise<any[]> {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const res = await audit(operatorToken(), `/events?${query}`);
        if (res.body.items?.length) return res.body.items;
        if (Date.now() > deadline) throw new Error(`nothing for ${query}`);
        await new Promise(r => setTimeout(r, 500));
      }
    }

    it('takes signed Stalwart webhooks, refuses unsigned ones, attributes the tenant and partner', async () => {
      const body = JSON.stringify({
        events: [
          {
            id: 'e2e-1',
            createdAt: '2026-11-25T09:00:00Z',
            type: 'auth.failed',
            data: { accountName: 'max@acme.example', remoteIp: '203.0.113.5' },
          },
        ],
      });
      const post = (signature?: string) =>
        fetch(`${portal.backendUrl}/api/audit/ingest/stalwart`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(signature ? { 'x-signature': signature } : {}),
          },
          body,
        });
      const good = createHmac('sha256', STALWART_SECRET)
        .update(body)
        .digest('base64');
      expect((await post()).status).toBe(401);
      expect(
        (await post(good.replace(/^./, c => (c === 'A' ? 'B' : 'A')))).status,
      ).toBe(401);
      const before = await audit(
        operatorToken(),
        '/events?source=stalwart&since=2026-11-20T00:00:00Z',
      );
      expect(before.body.items).toEqual([]);
      expect((await post(good)).status).toBe(200);
      expect((await post(good)).status).toBe(200); // a replay
      const after = await audit(
        operatorToken(),
        '/events?source=stalwart&since=2026-11-20T00:00:00Z',
      );
      expect(after.body.items).toEqual([
        expect.objectContaining({
          externalId: 'e2e-1',
          outcome: 'failure',
          tenant: 'tenant:default/acme',
          partner: 'partner:default/nordlicht-it',
        }),
      ]);
    });

    it('tails the OCIS audit file and polls Authentik on their schedules', async () => {
      const { ingest } = {
        ingest: (
          JSON.parse(
            fs.readFileSync(path.join(dir, 'app-config.audit.yaml'), 'utf8'),
          ) as any
        ).audit.ingest,
      };
      fs.appendFileSync(
        ingest.ocis.file,
        `${JSON.stringify({
          Action: 'space_created',
          Name: 'bergblick-hotels',
          User: 'u-1',
          Executant: 'u-1',
          Time: '2026-11-25T10:00:00Z',
          Message: 'space created',
        })}\n`,
      );
      const [space] = await eventually(
        'source=ocis&since=2026-11-20T00:00:00Z',
      );
      expect(space).toMatchObject({
        action: 'ocis.space_created',
        tenant: 'tenant:default/bergblick-hotels',
        partner: 'partner:default/alpenwerk-systems',
      });
      const [login] = await eventually(
        'source=authentik&since=2026-11-20T00:00:00Z',
      );
      expect(login).toMatchObject({
        action: 'authentik.login',
        actor: expect.objectContaining({ email: 'max@acme.example' }),
        tenant: 'tenant:default/acme',
        partner: 'partner:default/nordlicht-it',
      });
    });
  });

  describe('partner staff see only their partner', () => {
    it("shows each staff user exactly their partner's events, and operators everything", async () => {
      const all = await audit(operatorToken(), '/events.csv');
      expect(parseCsv(all.body).length - 1).toBeGreaterThan(seed.length);
      for (const partner of partners) {
        const expected = seed.filter(e => e.partner === refOf(partner)).length;
        for (const staff of staffOf(partner)) {
          const csv = await audit(tokens.get(email(staff))!, '/events.csv');
          const rows = parseCsv(csv.body).slice(1);
          // seeded events of the partner (+ the refused catalog refresh for nordlicht-it)
          const extra = rows.filter(r => !r[14]?.startsWith('seed-')).length;
          expect(rows.length - extra).toBe(expected);
          expect(rows.every(r => r[12] === refOf(partner))).toBe(true);
        }
      }
    });

    it('finds no event of another partner in 1,200 random filtered requests, JSON and CSV', async () => {
      const r = random(20261125);
      const staffUsers = partners.flatMap(p =>
        staffOf(p).map(u => ({
          token: tokens.get(email(u))!,
          partner: refOf(p),
        })),
      );
      const allTenantRefs = tenants.map(refOf);
      const allPartnerRefs = partners.map(refOf);
      const prefixes = [
        'tenant.*',
        'authentik.*',
        'stalwart.*',
        'ocis.*',
        'catalog.*',
        'portal.*',
        'partner.*',
        't*',
      ];
      const statuses: number[] = [];
      let violations = 0;
      let seen = 0;
      let nonEmpty = 0;
      for (let i = 0; i < 1_200; i++) {
        const user = r.pick(staffUsers);
        const params = new URLSearchParams();
        if (r.next() < 0.3)
          params.set(
            'since',
            new Date(T0 + r.next() * 14 * 864e5).toISOString(),
          );
        if (r.next() < 0.3)
          params.set(
            'until',
            new Date(T0 + r.next() * 14 * 864e5).toISOString(),
          );
        if (r.next() < 0.3)
          params.set(
            'action',
            r.next() < 0.5 ? r.pick(actions) : r.pick(prefixes),
          );
        if (r.next() < 0.3) params.set('tenant', r.pick(allTenantRefs));
        if (r.next() < 0.3) params.set('partner', r.pick(allPartnerRefs));
        if (r.next() < 0.2) params.set('actor', r.pick(actorEmails));
        if (r.next() < 0.2)
          params.set('outcome', r.pick(['success', 'failure']));
        if (r.next() < 0.2) params.set('source', r.pick(sources));
        if (r.next() < 0.2)
          params.set(
            'q',
            r.pick(['acme', 'login', 'example', '%', 'gmbh', 'quoted']),
          );
        const csv = r.next() < 0.35;
        let partnersSeen: (string | undefined)[] = [];
        if (csv) {
          const res = await audit(user.token, `/events.csv?${params}`);
          statuses.push(res.status);
          partnersSeen = parseCsv(res.body)
            .slice(1)
            .map(row => row[12]);
        } else {
          params.set('limit', String(1 + Math.floor(r.next() * 60)));
          let cursor: string | undefined;
          let pages = 0;
          do {
            if (cursor) params.set('cursor', cursor);
            const res = await audit(user.token, `/events?${params}`);
            statuses.push(res.status);
            partnersSeen.push(...res.body.items.map((e: any) => e.partner));
            cursor = res.body.nextCursor;
            pages++;
          } while (cursor && pages < 3);
        }
        seen += partnersSeen.length;
        if (partnersSeen.length) nonEmpty++;
        violations += partnersSeen.filter(p => p !== user.partner).length;
      }
      expect(statuses.filter(status => status !== 200)).toEqual([]);
      expect(violations).toBe(0);
      // the requests did return events: the check above was not vacuous
      expect(seen).toBeGreaterThan(2_000);
      expect(nonEmpty).toBeGreaterThan(300);
    });

    it('refuses staff the chain itself: verify, status, checkpoints', async () => {
      const staff = tokens.get(email(staffOf(partners[0])[0]))!;
      expect((await audit(staff, '/verify')).status).toBe(403);
      expect((await audit(staff, '/status')).status).toBe(403);
      expect(
        (await audit(staff, '/checkpoints', { method: 'POST' })).status,
      ).toBe(403);
    });
  });
});
