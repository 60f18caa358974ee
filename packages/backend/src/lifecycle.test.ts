/*
 * The tenant lifecycle end to end: the real backend (the Dezky policy, the
 * provisioning plugin) against the development stand-ins, on the seeded
 * catalog, on SQLite and PostgreSQL. Partner staff suspend and resume their
 * own tenants only (another partner's answers 404, terminate 403 under the
 * default config); a terminate needs the tenant's name; every action is
 * audited, refused ones too; the lifecycle events reach a subscriber (the
 * provisioning-node client) once each after de-duplication, in order, also
 * when the backend was stopped between recording and delivery; after the
 * grace period the stand-ins hold nothing of a terminated tenant.
 */
import { mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { DevPlatform, startDevPlatform } from '@internal/dev-platform';
import { LifecycleEvent } from '@internal/plugin-provisioning-common';
import {
  deliverLifecycleEvents,
  ProvisioningClient,
} from '@internal/plugin-provisioning-node';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { pseudoRandom, seededCatalog } from './testing/catalogFiles';
import {
  restartableDatabase,
  startProvisioningPortal,
  writeProvisioningConfig,
} from './testing/provisioningPortal';
import {
  dropPortalDatabases,
  PortalDatabaseConfig,
  portalDatabases,
  PortalServers,
} from './testing/servers';

jest.setTimeout(600_000);

const { partners, tenants, operators, email, staffOf } = seededCatalog();
const catalogDir = path.resolve(__dirname, '../../../catalog');
const GRACE_SECONDS = 15;
/** A service token for the test subscriber, limited to provisioning (its config below). */
const SERVICE_TOKEN = 'lifecycle-test-subscriber-token';

const partnerOf = (t: Entity) =>
  (t.spec as { partner?: string }).partner?.replace(
    /^partner:(default\/)?/,
    '',
  );
const statusOf = (t: Entity) => (t.spec as { status?: string }).status;

describe.each(portalDatabases())(
  'the tenant lifecycle end to end on $name',
  ({ database: engine }) => {
    let platform: DevPlatform;
    let portal: PortalServers | undefined;
    let dir: string;
    let configFile: string;
    let database: PortalDatabaseConfig;
    const auth: Record<'operator' | 'staff', string> = {
      operator: '',
      staff: '',
    };
    // a partner with two active tenants of its own, and another partner's tenant
    const partner = partners.find(
      p =>
        staffOf(p).length > 0 &&
        tenants.filter(t => partnerOf(t) === p.metadata.name && !statusOf(t))
          .length >= 2,
    )!;
    const own = tenants.filter(
      t => partnerOf(t) === partner.metadata.name && !statusOf(t),
    );
    const others = tenants.filter(
      t => partnerOf(t) && partnerOf(t) !== partner.metadata.name,
    );
    const staffUser = staffOf(partner)[0];

    const start = async () => {
      const started = await startProvisioningPortal(configFile, database, [
        email(operators[0]),
        email(staffUser),
      ]);
      portal = started.portal;
      auth.operator = started.auth.get(email(operators[0]))!;
      auth.staff = started.auth.get(email(staffUser))!;
    };

    const api = async (
      who: keyof typeof auth,
      method: string,
      url: string,
      body?: unknown,
    ): Promise<{ status: number; body: any }> => {
      let res: Response;
      try {
        res = await fetch(`${portal!.backendUrl}/api${url}`, {
          method,
          headers: {
            authorization: auth[who],
            ...(body ? { 'content-type': 'application/json' } : {}),
          },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
      } catch (error) {
        // the backend is gone: say why, from its own output (its last
        // words and exit may still be on their way)
        const log = portal!.backendLog;
        for (
          let i = 0;
          i < 20 && !log.some(l => l.startsWith('[backend exited'));
          i++
        ) {
          await new Promise(r => setTimeout(r, 100));
        }
        throw new Error(
          `${method} ${url}: ${error}; the backend's last output:\n${portal!.backendLog
            .slice(-40)
            .join('')}`,
        );
      }
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    };

    /** Polls a tenant (as an operator) until `done` holds for its detail. */
    const until = async (
      name: string,
      done: (detail: any) => boolean,
      timeoutMs = 60_000,
    ) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { status, body } = await api(
          'operator',
          'GET',
          `/provisioning/tenants/${name}`,
        );
        if (status === 200 && done(body)) return body;
        if (Date.now() > deadline) {
          throw new Error(
            `${name} not reached: ${status} ${JSON.stringify(body).slice(
              0,
              1500,
            )}`,
          );
        }
        await new Promise(r => setTimeout(r, 250));
      }
    };

    /** The subscriber: the provisioning-node client with a service token. */
    const subscriber = () =>
      new ProvisioningClient({
        discovery: {
          getBaseUrl: async id => `${portal!.backendUrl}/api/${id}`,
          getExternalBaseUrl: async id => `${portal!.backendUrl}/api/${id}`,
        },
        auth: {
          ...mockServices.auth(),
          getOwnServiceCredentials: async () => ({} as any),
          getPluginRequestToken: async () => ({ token: SERVICE_TOKEN }),
        } as any,
      });

    beforeAll(async () => {
      platform = await startDevPlatform({ dkimDelayMs: 100 });
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezky-lifecycle-'));
      fs.cpSync(catalogDir, path.join(dir, 'catalog'), { recursive: true });
      // arrays replace: app-config.yaml's read-only token (the helpers read
      // the catalog with it), and the subscriber's
      configFile = writeProvisioningConfig(dir, platform, {
        backend: {
          auth: {
            externalAccess: [
              {
                type: 'static',
                options: {
                  token: 'dezky-development-external-token',
                  subject: 'dev-external-caller',
                },
                accessRestrictions: [
                  {
                    plugin: 'catalog',
                    permissionAttribute: { action: ['read'] },
                  },
                ],
              },
              {
                type: 'static',
                options: { token: SERVICE_TOKEN, subject: 'lifecycle-test' },
                accessRestrictions: [{ plugin: 'provisioning' }],
              },
            ],
          },
        },
        provisioning: {
          lifecycle: { gracePeriod: { seconds: GRACE_SECONDS } },
        },
      });
      database = restartableDatabase(engine, dir);
      await start();
    });

    afterAll(async () => {
      try {
        await portal?.stop();
      } finally {
        await platform?.stop();
        await dropPortalDatabases(database);
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('bills the seeded catalog locally once it is provisioned: one record per tenant, the right MRR per currency', async () => {
      const prices = await api('operator', 'GET', '/billing/prices');
      expect(prices.status).toBe(200);
      const perSeat = new Map<string, number>(
        prices.body.items
          .filter((p: any) => p.cycle === 'monthly')
          .map((p: any) => [`${p.plan}/${p.currency}`, p.perSeatAmount]),
      );
      const currencyOf = (t: Entity) => {
        const owner = partnerOf(t)
          ? partners.find(p => p.metadata.name === partnerOf(t))
          : t;
        return (owner?.spec as { billing?: { currency?: string } }).billing
          ?.currency;
      };
      // billing hears of a tenant once it is activated (active and
      // provisioned): not the ones suspended or cancelled in git from the start
      const billed = tenants.filter(t => !statusOf(t));
      const expected = billed
        .map(t => {
          const spec = t.spec as { plan: string; seats: number };
          const currency = currencyOf(t);
          const amount = currency
            ? perSeat.get(`${spec.plan}/${currency}`)
            : undefined;
          return [
            t.metadata.name,
            currency ?? null,
            amount !== undefined && spec.seats > 0 ? amount * spec.seats : 0,
          ];
        })
        .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
      const deadline = Date.now() + 90_000;
      let items: any[] = [];
      while (Date.now() < deadline) {
        const res = await api('operator', 'GET', '/billing/tenants?limit=200');
        items = res.body.items;
        if (items.length === billed.length) break;
        await new Promise(r => setTimeout(r, 500));
      }
      expect(items.map(i => [i.tenant, i.currency ?? null, i.mrr])).toEqual(
        expected,
      );
      expect(items.find(i => i.tenant === 'werkbank-coop').condition.kind).toBe(
        'missing-billing-details',
      );
      const mrr = await api('operator', 'GET', '/billing/mrr');
      const sums = new Map<string, number>();
      for (const [, currency, amount] of expected) {
        if (currency) {
          sums.set(
            String(currency),
            (sums.get(String(currency)) ?? 0) + Number(amount),
          );
        }
      }
      expect(
        mrr.body.total.map((t: any) => [t.currency, t.mrr, t.pausedMrr]),
      ).toEqual([...sums].sort().map(([c, m]) => [c, m, 0]));
    });

    it('lets partner staff suspend and resume their own tenants only; terminate needs an operator and the tenant name; refused actions are audited', async () => {
      const [mine] = own;
      await until(mine.metadata.name, d => d.phase === 'active');
      // another partner's tenant: 404 for every action, nothing changes
      const random = pseudoRandom(15);
      for (let i = 0; i < 12; i++) {
        const other = random.pick(others);
        const action = ['suspend', 'resume', 'terminate'][i % 3];
        const res = await api(
          'staff',
          'POST',
          `/provisioning/tenants/${other.metadata.name}/${action}`,
          { reason: 'probe', confirm: other.metadata.name },
        );
        expect([other.metadata.name, action, res.status]).toEqual([
          other.metadata.name,
          action,
          404,
        ]);
      }
      const terminate = await api(
        'staff',
        'POST',
        `/provisioning/tenants/${mine.metadata.name}/terminate`,
        { reason: 'moving away', confirm: mine.metadata.name },
      );
      expect(terminate.status).toBe(403);

      const suspended = await api(
        'staff',
        'POST',
        `/provisioning/tenants/${mine.metadata.name}/suspend`,
        { reason: 'unpaid invoices' },
      );
      expect(suspended.status).toBe(200);
      expect(suspended.body.tenant.lifecycle).toMatchObject({
        status: 'suspended',
        source: 'portal',
        description: expect.stringContaining(
          `by ${email(staffUser)} on ${new Date()
            .toISOString()
            .slice(0, 10)}: unpaid invoices`,
        ),
      });
      expect(
        (
          await api(
            'staff',
            'POST',
            `/provisioning/tenants/${mine.metadata.name}/suspend`,
            {
              reason: 'again',
            },
          )
        ).status,
      ).toBe(409);
      // the effect: its space disabled in OCIS
      await until(mine.metadata.name, d =>
        d.steps.every((s: any) => s.status === 'ok' && s.observed?.suspended),
      );
      const drive = (platform.state().ocis.drives as any[]).find(
        d => d.name === mine.metadata.name,
      );
      expect(drive.root.deleted.state).toBe('trashed');

      const resumed = await api(
        'staff',
        'POST',
        `/provisioning/tenants/${mine.metadata.name}/resume`,
        {},
      );
      expect(resumed.status).toBe(200);
      expect(resumed.body.tenant.lifecycle.status).toBe('active');
      await until(mine.metadata.name, d =>
        d.steps.every((s: any) => s.status === 'ok' && !s.observed?.suspended),
      );

      // an operator's terminate without the tenant's name changes nothing
      const wrong = await api(
        'operator',
        'POST',
        `/provisioning/tenants/${mine.metadata.name}/terminate`,
        { reason: 'closing', confirm: 'not-the-name' },
      );
      expect(wrong.status).toBe(400);
      expect(wrong.body.error.message).toContain('confirm');
      const still = await api(
        'operator',
        'GET',
        `/provisioning/tenants/${mine.metadata.name}`,
      );
      expect(still.body.lifecycle.status).toBe('active');

      const audited = await api(
        'operator',
        'GET',
        `/audit/events?action=provisioning.tenant.*&tenant=tenant:default/${mine.metadata.name}&limit=50`,
      );
      expect(audited.status).toBe(200);
      const rows = audited.body.items as any[];
      const seen = rows.map(e => [e.action, e.outcome]);
      expect(seen).toEqual(
        expect.arrayContaining([
          ['provisioning.tenant.suspend', 'success'],
          ['provisioning.tenant.suspend', 'failure'],
          ['provisioning.tenant.resume', 'success'],
          ['provisioning.tenant.terminate', 'failure'],
        ]),
      );
      expect(
        rows.filter(e => e.action === 'provisioning.tenant.terminate'),
      ).toHaveLength(2);
      expect(
        rows.find(
          e =>
            e.action === 'provisioning.tenant.suspend' &&
            e.outcome === 'success',
        ).metadata.reason,
      ).toBe('unpaid invoices');
    });

    it('delivers each lifecycle event once after de-duplication, in order, across a restart between recording and delivery; tears a terminated tenant down after the grace period', async () => {
      const target = own[1];
      await until(target.metadata.name, d => d.phase === 'active');
      expect(
        (
          await api(
            'operator',
            'POST',
            `/provisioning/tenants/${target.metadata.name}/terminate`,
            { reason: 'contract ended', confirm: target.metadata.name },
          )
        ).status,
      ).toBe(200);

      // the backend stops after recording, before any delivery
      await portal!.stop();
      await start();

      // a subscriber that crashes once, after handling but before acknowledging
      const received: LifecycleEvent[] = [];
      let crashAt = 2;
      const handle = async (e: LifecycleEvent) => {
        received.push(e);
        if (received.length === crashAt) {
          crashAt = -1;
          throw new Error('subscriber crashed');
        }
      };
      const client = subscriber();
      await expect(
        deliverLifecycleEvents({
          provisioning: client,
          subscriber: 'test-subscriber',
          handle,
          batchSize: 5,
        }),
      ).rejects.toThrow('subscriber crashed');
      await deliverLifecycleEvents({
        provisioning: client,
        subscriber: 'test-subscriber',
        handle,
        batchSize: 5,
      });
      const unique = [...new Map(received.map(e => [e.id, e])).values()];
      expect(received.length).toBe(unique.length + 1);
      expect(unique.map(e => e.seq)).toEqual(
        [...unique.map(e => e.seq)].sort((x, y) => x - y),
      );
      const ofTenant = (name: string) =>
        unique
          .filter(e => e.tenantRef === `tenant:default/${name}`)
          .map(e => e.type);
      expect(ofTenant(own[0].metadata.name)).toEqual([
        'activated',
        'suspended',
        'resumed',
      ]);
      // its teardown may already have run (a slow restart can outlast the
      // grace period): what arrived is the start of the full story
      const story = ['activated', 'terminating', 'terminated'];
      const told = ofTenant(target.metadata.name);
      expect(told.length).toBeGreaterThanOrEqual(2);
      expect(told).toEqual(story.slice(0, told.length));
      // every provisioned active tenant was announced once
      expect(unique.filter(e => e.type === 'activated').length).toBe(
        new Set(unique.map(e => e.tenantRef)).size,
      );
      // users — partner staff included — may not read or move the outbox
      for (const who of ['operator', 'staff'] as const) {
        expect(
          (
            await api(who, 'POST', '/provisioning/lifecycle/events/ack', {
              subscriber: 'test-subscriber',
              seq: 0,
            })
          ).status,
        ).toBe(403);
        expect(
          (
            await api(
              who,
              'GET',
              '/provisioning/lifecycle/events?subscriber=billing',
            )
          ).status,
        ).toBe(403);
      }
      expect(
        (
          await api(
            'operator',
            'GET',
            '/provisioning/lifecycle/events?subscriber=test-subscriber',
          )
        ).status,
      ).toBe(403);

      // after the grace period: torn down, terminated, and announced
      const done = await until(
        target.metadata.name,
        d => d.lifecycle.status === 'terminated',
        (GRACE_SECONDS + 60) * 1000,
      );
      expect(done.lifecycle.terminatedAt).toBeDefined();
      const s = platform.state();
      const domains = (target.spec as { domains: string[] }).domains;
      expect(
        (s.authentik.groups as any[]).filter(
          g => g.name === target.metadata.name,
        ),
      ).toEqual([]);
      expect(
        (s.ocis.drives as any[]).filter(d => d.name === target.metadata.name),
      ).toEqual([]);
      expect(
        (s.stalwart.domains as any[]).filter(d => domains.includes(d.name)),
      ).toEqual([]);
      // the audit chain holds each teardown step (made after the restart:
      // on SQLite the audit database is in memory)
      const chain = await api(
        'operator',
        'GET',
        `/audit/events?action=provisioning.*&tenant=tenant:default/${target.metadata.name}&limit=500`,
      );
      const actions = (chain.body.items as any[]).map(e => e.action);
      for (const action of [
        'provisioning.dkim-key.deleted',
        'provisioning.domain.deleted',
        'provisioning.space.deleted',
        'provisioning.group.deleted',
      ]) {
        expect([action, actions.includes(action)]).toEqual([action, true]);
      }
      await deliverLifecycleEvents({
        provisioning: client,
        subscriber: 'test-subscriber',
        handle,
      });
      const all = [...new Map(received.map(e => [e.id, e])).values()];
      expect(
        all
          .filter(e => e.tenantRef === `tenant:default/${target.metadata.name}`)
          .map(e => e.type),
      ).toEqual(['activated', 'terminating', 'terminated']);
    });
  },
);
