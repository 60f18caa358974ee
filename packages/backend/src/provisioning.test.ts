/*
 * Provisioning end to end: the real backend (packages/backend, the Dezky
 * policy) against the development stand-ins of Authentik, Stalwart and OCIS
 * (@internal/dev-platform), on a copy of the seeded catalog, on SQLite and on
 * PostgreSQL. Every seeded tenant converges; the stand-ins hold exactly one
 * group, one space and one domain object per domain — still after forced
 * reconciles and two restarts; a YAML edit converges within the catalog's
 * processing interval + 10 s; partner staff list and reconcile only their
 * own tenants (random requests, 0 leaks); members (#18) through the real
 * policy: an operator adds one anywhere, partner staff only to their own
 * tenants, nobody suspends or forces out themselves.
 */
import { Entity } from '@backstage/catalog-model';
import { DevPlatform, startDevPlatform } from '@internal/dev-platform';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { pseudoRandom, seededCatalog } from './testing/catalogFiles';
import { signInAll } from './testing/oidcSignIn';
import {
  restartableDatabase,
  startProvisioningPortal,
  writeProvisioningConfig,
} from './testing/provisioningPortal';
import {
  PortalDatabaseConfig,
  PortalServers,
  dropPortalDatabases,
  portalDatabases,
} from './testing/servers';

jest.setTimeout(600_000);

const { partners, tenants, operators, email, staffOf } = seededCatalog();
const catalogDir = path.resolve(__dirname, '../../../catalog');
/** The catalog's processing interval in app-config.yaml (seconds). */
const PROCESSING_INTERVAL_S = 10;
/** The tenant whose YAML the edit test changes (ocis left out of its copy at first). */
const EDITED = 'werkbank-coop';

const spec = (t: Entity) =>
  t.spec as {
    partner?: string;
    status?: string;
    domains: string[];
    integrations?: string[];
  };
const provisioned = tenants.filter(t => spec(t).status !== 'cancelled');

function copyCatalog(dir: string) {
  fs.cpSync(catalogDir, dir, { recursive: true });
  const file = path.join(dir, 'tenants', `${EDITED}.yaml`);
  const text = fs.readFileSync(file, 'utf8');
  const edited = text.replace(
    /integrations: \[authentik, stalwart, ocis\]/,
    'integrations: [authentik, stalwart]',
  );
  if (edited === text) throw new Error(`${file}: integrations not as expected`);
  fs.writeFileSync(file, edited);
}

async function api(
  portal: PortalServers,
  auth: string,
  method: string,
  url: string,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${portal.backendUrl}/api/provisioning${url}`, {
    method,
    headers: { authorization: auth },
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Polls the list (as an operator) until `done` holds for it. */
async function until(
  portal: PortalServers,
  auth: string,
  done: (items: any[]) => boolean,
  timeoutMs: number,
): Promise<any[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await api(
      portal,
      auth,
      'GET',
      '/tenants?limit=200',
    );
    if (status !== 200)
      throw new Error(`GET /tenants: ${status} ${JSON.stringify(body)}`);
    if (done(body.items)) return body.items;
    if (Date.now() > deadline) {
      throw new Error(
        `not reached within ${timeoutMs} ms: ${JSON.stringify(
          body.items.map((i: any) => [
            i.tenant,
            i.phase,
            i.steps.map((s: any) => [s.step, s.status, s.message]),
          ]),
        ).slice(0, 3000)}`,
      );
    }
    await new Promise(r => setTimeout(r, 250));
  }
}

/** Exactly one group and space per provisioned tenant, one domain object per domain. */
function expectExactlyOneEach(
  platform: DevPlatform,
  expectOcis: (t: Entity) => boolean,
) {
  const s = platform.state();
  const names = (list: object[]) =>
    (list as Array<{ name: string }>).map(x => x.name).sort();
  expect(names(s.authentik.groups)).toEqual(
    provisioned.map(t => t.metadata.name).sort(),
  );
  expect(
    names(
      (s.ocis.drives as Array<{ driveType: string }>).filter(
        d => d.driveType === 'project',
      ),
    ),
  ).toEqual(
    provisioned
      .filter(expectOcis)
      .map(t => t.metadata.name)
      .sort(),
  );
  expect(names(s.stalwart.domains)).toEqual(
    provisioned.flatMap(t => spec(t).domains).sort(),
  );
}

describe.each(portalDatabases())(
  'provisioning end to end on $name',
  ({ database: engine }) => {
    let platform: DevPlatform;
    let portal: PortalServers | undefined;
    let dir: string;
    let configFile: string;
    let database: PortalDatabaseConfig;
    /** An operator's sign-in, renewed on every start. */
    let operator: string;

    const start = async () => {
      const started = await startProvisioningPortal(configFile, database, [
        email(operators[0]),
      ]);
      portal = started.portal;
      operator = started.auth.get(email(operators[0]))!;
      return portal;
    };

    beforeAll(async () => {
      platform = await startDevPlatform({ dkimDelayMs: 300 });
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezky-provisioning-'));
      copyCatalog(path.join(dir, 'catalog'));
      configFile = writeProvisioningConfig(dir, platform);
      database = restartableDatabase(engine, dir);
      await start();
    });

    afterAll(async () => {
      try {
        await portal?.stop();
      } finally {
        await platform?.stop();
        // what the restarts kept
        await dropPortalDatabases(database);
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('provisions every seeded tenant within a minute, once each, also after forced reconciles and two restarts', async () => {
      const started = Date.now();
      const items = await until(
        portal!,
        operator,
        list =>
          list.length === tenants.length &&
          list.every(
            i =>
              i.phase === 'active' ||
              i.steps.every((s: any) => s.status === 'skipped'),
          ),
        60_000,
      );
      expect(Date.now() - started).toBeLessThan(60_000);
      const cancelled = items.find(i => i.tenant === 'riga-design');
      expect(cancelled.steps.map((s: any) => [s.status, s.reason])).toEqual(
        Array(3).fill(['skipped', 'Terminating']),
      );
      expectExactlyOneEach(platform, t => t.metadata.name !== EDITED);
      const detail = await api(portal!, operator, 'GET', '/tenants/acme');
      expect(detail.body.dnsRecords.map((d: any) => d.domain)).toEqual(
        spec(tenants.find(t => t.metadata.name === 'acme')!).domains.sort(),
      );
      expect(detail.body.steps.map((s: any) => s.differences)).toEqual([
        [],
        [],
        [],
      ]);

      for (let round = 0; round < 3; round++) {
        for (const t of provisioned) {
          const res = await api(
            portal!,
            operator,
            'POST',
            `/tenants/${t.metadata.name}/reconcile`,
          );
          expect([t.metadata.name, res.status, res.body.outcome]).toEqual([
            t.metadata.name,
            200,
            'done',
          ]);
        }
      }
      for (let restart = 0; restart < 2; restart++) {
        await portal!.stop();
        portal = undefined;
        await start();
        for (const t of provisioned) {
          await api(
            portal!,
            operator,
            'POST',
            `/tenants/${t.metadata.name}/reconcile`,
          );
        }
        await until(
          portal!,
          operator,
          list =>
            provisioned.every(
              t =>
                list.find(i => i.tenant === t.metadata.name)?.phase ===
                'active',
            ),
          60_000,
        );
      }
      expectExactlyOneEach(platform, t => t.metadata.name !== EDITED);
    });

    it('converges a YAML edit (a domain added, ocis added to integrations) within the catalog round + 10 s', async () => {
      const file = path.join(dir, 'catalog/tenants', `${EDITED}.yaml`);
      const text = fs.readFileSync(file, 'utf8');
      const edited = text
        .replace(
          'integrations: [authentik, stalwart]',
          'integrations: [authentik, stalwart, ocis]',
        )
        .replace(
          /domains:\n(\s+)- (\S+)/,
          (_m, indent, d) => `domains:\n${indent}- ${d}\n${indent}- extra.${d}`,
        );
      expect(edited).toContain('- extra.');
      const written = Date.now();
      fs.writeFileSync(file, edited);
      // Backstage draws each round's interval between 1 and 1.5 times the
      // configured one (10-15 s here): the bound is the longest round + 10 s,
      // and provisioning's own part — from the catalog showing the edit to
      // the tenant converged — at most 10 s
      const bound = (PROCESSING_INTERVAL_S * 1.5 + 10) * 1000;
      let inCatalogAt: number | undefined;
      let convergedAt: number | undefined;
      while (convergedAt === undefined && Date.now() - written < bound) {
        if (inCatalogAt === undefined) {
          const res = await fetch(
            `${
              portal!.backendUrl
            }/api/catalog/entities/by-name/tenant/default/${EDITED}`,
            { headers: { authorization: operator } },
          );
          const entity = (await res.json()) as Entity;
          if (spec(entity).domains.some(d => d.startsWith('extra.'))) {
            inCatalogAt = Date.now();
          }
        }
        const { body } = await api(
          portal!,
          operator,
          'GET',
          `/tenants/${EDITED}`,
        );
        if (
          body.phase === 'active' &&
          body.steps.every((s: any) => s.status === 'ok') &&
          platform
            .state()
            .stalwart.domains.some(
              (d: any) => d.name === `extra.${EDITED}.example`,
            )
        ) {
          convergedAt = Date.now();
        }
        await new Promise(r => setTimeout(r, 250));
      }
      expect(inCatalogAt).toBeDefined();
      expect(convergedAt).toBeDefined();
      expect(convergedAt! - written).toBeLessThanOrEqual(bound);
      expect(convergedAt! - inCatalogAt!).toBeLessThanOrEqual(10_000);
    });

    it('lets partner staff list, read and reconcile only their own tenants (random requests, 0 leaks)', async () => {
      const staff = partners.flatMap(p =>
        staffOf(p).map(u => ({ partner: p, user: u })),
      );
      const tokens = await signInAll(
        portal!,
        staff.map(s => email(s.user)),
      );
      const r = pseudoRandom(2026);
      const leaks: string[] = [];
      /** Answers other than expected (a status, a total). */
      const wrong: string[] = [];
      const tried = {
        list: 0,
        readOwn: 0,
        readOther: 0,
        reconcileOwn: 0,
        reconcileOther: 0,
        summary: 0,
      };
      const phases = ['pending', 'active', 'degraded'];
      const statuses = ['pending', 'ok', 'error', 'skipped', 'paused'];
      const lifecycles = ['active', 'suspended', 'terminating', 'terminated'];
      for (let i = 0; i < 240; i++) {
        const { partner, user } = r.pick(staff);
        const auth = `Bearer ${tokens.get(email(user))}`;
        const own = tenants.filter(
          t => spec(t).partner === partner.metadata.name,
        );
        const ownNames = new Set(own.map(t => t.metadata.name));
        const target = r.pick(tenants);
        const mine = ownNames.has(target.metadata.name);
        const kind = r.next();
        const who = `${email(user)} #${i}`;
        if (kind < 0.35) {
          const q = [
            r.next() < 0.5 ? `phase=${r.pick(phases)}` : '',
            r.next() < 0.5 ? `status=${r.pick(statuses)}` : '',
            r.next() < 0.3 ? `lifecycle=${r.pick(lifecycles)}` : '',
            r.next() < 0.3
              ? `tenants=${target.metadata.name},${
                  r.pick(tenants).metadata.name
                }`
              : '',
          ]
            .filter(Boolean)
            .join('&');
          const res = await api(
            portal!,
            auth,
            'GET',
            `/tenants?limit=200&${q}`,
          );
          tried.list += 1;
          if (res.status !== 200) wrong.push(`${who} list: ${res.status}`);
          for (const item of res.body.items ?? []) {
            if (!ownNames.has(item.tenant))
              leaks.push(`${who} listed ${item.tenant}`);
          }
        } else if (kind < 0.65) {
          const res = await api(
            portal!,
            auth,
            'GET',
            `/tenants/${target.metadata.name}`,
          );
          tried[mine ? 'readOwn' : 'readOther'] += 1;
          if (res.status !== (mine ? 200 : 404)) {
            wrong.push(`${who} read ${target.metadata.name}: ${res.status}`);
          }
          if (
            !mine &&
            JSON.stringify(res.body).includes(`"${target.metadata.name}"`)
          ) {
            leaks.push(`${who} read ${target.metadata.name}`);
          }
        } else if (kind < 0.85) {
          const res = await api(
            portal!,
            auth,
            'POST',
            `/tenants/${target.metadata.name}/reconcile`,
          );
          tried[mine ? 'reconcileOwn' : 'reconcileOther'] += 1;
          if (mine ? res.status >= 300 : res.status !== 404) {
            wrong.push(
              `${who} reconcile ${target.metadata.name}: ${res.status}`,
            );
          }
        } else {
          const res = await api(portal!, auth, 'GET', '/summary');
          const total = Object.values(
            res.body.phases as Record<string, number>,
          ).reduce((a, b) => a + b, 0);
          tried.summary += 1;
          if (total !== own.length) {
            wrong.push(`${who} summary: ${total} tenants, owns ${own.length}`);
          }
        }
      }
      expect(leaks).toEqual([]);
      expect(wrong).toEqual([]);
      // every kind of request was tried, on own and other tenants
      for (const [kind, n] of Object.entries(tried)) {
        expect([kind, n > 0]).toEqual([kind, true]);
      }
      // an operator sees every tenant
      const all = await api(portal!, operator, 'GET', '/tenants?limit=200');
      expect(all.body.total).toBe(tenants.length);
    });

    it("lets an operator add a member to any tenant and partner staff only to their own tenants' (random requests, 0 leaks); nobody suspends or forces out themselves", async () => {
      const send = async (
        auth: string,
        method: string,
        url: string,
        body?: unknown,
      ) => {
        const res = await fetch(
          `${portal!.backendUrl}/api/provisioning${url}`,
          {
            method,
            headers: {
              authorization: auth,
              ...(body ? { 'content-type': 'application/json' } : {}),
            },
            ...(body ? { body: JSON.stringify(body) } : {}),
          },
        );
        const text = await res.text();
        return {
          status: res.status,
          body: text ? JSON.parse(text) : undefined,
        };
      };
      const active = provisioned.filter(t => spec(t).status !== 'suspended');
      const made = await send(operator, 'POST', '/tenants/acme/members', {
        name: 'Mia Muster',
        email: 'mia@people.example',
        role: 'admin',
      });
      expect([made.status, made.body.steps?.map((x: any) => x.status)]).toEqual(
        [201, ['ok', 'ok', 'ok']],
      );
      expect(made.body.oneTimePassword).toHaveLength(16);
      const listed = await send(operator, 'GET', '/tenants/acme/members');
      expect(listed.body.items.map((m: any) => [m.email, m.role])).toEqual([
        ['mia@people.example', 'admin'],
      ]);
      expect(JSON.stringify(listed.body)).not.toContain(
        made.body.oneTimePassword,
      );

      const staff = partners.flatMap(p =>
        staffOf(p).map(u => ({ partner: p, user: u })),
      );
      const tokens = await signInAll(
        portal!,
        staff.map(x => email(x.user)),
      );
      const r = pseudoRandom(18);
      const leaks: string[] = [];
      const wrong: string[] = [];
      let own = 0;
      let other = 0;
      /** The tenant each person partner staff created was created in. */
      const createdIn = new Map<string, string>();
      for (let i = 0; i < 60; i++) {
        const { partner, user } = r.pick(staff);
        const auth = `Bearer ${tokens.get(email(user))}`;
        const target = r.pick(active);
        const mine = spec(target).partner === partner.metadata.name;
        const name = target.metadata.name;
        const who = `${email(user)} #${i} ${name}`;
        const create = r.next() < 0.5;
        const res = create
          ? await send(auth, 'POST', `/tenants/${name}/members`, {
              name: `Person ${i}`,
              email: `person.${i}@people.example`,
              role: 'member',
            })
          : await send(auth, 'GET', `/tenants/${name}/members`);
        if (create && res.status < 300) {
          createdIn.set(`person.${i}@people.example`, name);
        }
        if (mine) {
          own++;
          if (res.status >= 300) wrong.push(`${who}: ${res.status}`);
        } else {
          other++;
          if (res.status !== 404) leaks.push(`${who}: ${res.status}`);
        }
      }
      expect(leaks).toEqual([]);
      expect(wrong).toEqual([]);
      expect(own).toBeGreaterThan(0);
      expect(other).toBeGreaterThan(0);
      // what partner staff created is in the group of the tenant they named, only
      const groups = new Map(
        (
          platform.state().authentik.groups as Array<{
            pk: string;
            name: string;
          }>
        ).map(g => [g.pk, g.name]),
      );
      const people = (
        platform.state().authentik.users as Array<{
          email: string;
          groups: string[];
        }>
      ).filter(u => u.email.startsWith('person.'));
      expect(people.length).toBe(createdIn.size);
      for (const u of people) {
        expect([u.email, u.groups.map(g => groups.get(g))]).toEqual([
          u.email,
          [createdIn.get(u.email)],
        ]);
      }

      // oneself: a partner's staff member made a member of their own tenant
      const self = staff.find(x =>
        active.some(t => spec(t).partner === x.partner.metadata.name),
      )!;
      const ownTenant = active.find(
        t => spec(t).partner === self.partner.metadata.name,
      )!;
      const added = await send(
        operator,
        'POST',
        `/tenants/${ownTenant.metadata.name}/members`,
        { name: 'Self', email: email(self.user), role: 'admin' },
      );
      expect(added.status).toBe(201);
      const selfAuth = `Bearer ${tokens.get(email(self.user))}`;
      for (const action of ['suspend', 'logout']) {
        const res = await send(
          selfAuth,
          'POST',
          `/tenants/${ownTenant.metadata.name}/members/${added.body.member.id}/${action}`,
        );
        expect([action, res.status]).toEqual([action, 403]);
      }
      const removeSelf = await send(
        selfAuth,
        'DELETE',
        `/tenants/${ownTenant.metadata.name}/members/${added.body.member.id}`,
      );
      expect(removeSelf.status).toBe(403);
    });

    it('pauses a tenant whose tenant_provisioning flag is off (the Flags API): its steps paused, nothing called', async () => {
      const paused = 'hafenkontor';
      const setFlag = async (body: object) => {
        const res = await fetch(
          `${portal!.backendUrl}/api/flags/flags/tenant_provisioning`,
          {
            method: 'PATCH',
            headers: {
              authorization: operator,
              'content-type': 'application/json',
            },
            body: JSON.stringify(body),
          },
        );
        expect([res.status, await res.text()]).toEqual([
          200,
          expect.stringContaining('tenant_provisioning'),
        ]);
      };
      // on for every tenant but one
      await setFlag({
        state: 'targeted',
        scope: {
          plans: [],
          tenants: tenants.map(t => t.metadata.name).filter(n => n !== paused),
          partners: [],
          environments: [],
        },
      });
      try {
        const before = platform.calls().length;
        const res = await api(
          portal!,
          operator,
          'POST',
          `/tenants/${paused}/reconcile`,
        );
        expect([res.status, res.body.outcome]).toEqual([200, 'done']);
        const detail = await api(
          portal!,
          operator,
          'GET',
          `/tenants/${paused}`,
        );
        expect(
          detail.body.steps.map((s: any) => [s.step, s.status, s.reason]),
        ).toEqual([
          ['authentik', 'paused', 'ProvisioningOff'],
          ['stalwart', 'paused', 'ProvisioningOff'],
          ['ocis', 'paused', 'ProvisioningOff'],
        ]);
        expect(platform.calls().slice(before)).toEqual([]);
        // another tenant is still worked
        const other = await api(
          portal!,
          operator,
          'POST',
          '/tenants/acme/reconcile',
        );
        expect(other.body.tenant.steps.map((s: any) => s.status)).toEqual([
          'ok',
          'ok',
          'ok',
        ]);
        expect(platform.calls().length).toBeGreaterThan(before);
      } finally {
        await setFlag({
          state: 'on',
          scope: { plans: [], tenants: [], partners: [], environments: [] },
        });
      }
      const back = await api(
        portal!,
        operator,
        'POST',
        `/tenants/${paused}/reconcile`,
      );
      expect(back.body.tenant.steps.map((s: any) => s.status)).toEqual([
        'ok',
        'ok',
        'ok',
      ]);
    });
  },
);
