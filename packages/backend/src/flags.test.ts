/*
 * Feature flags and partner isolation, end to end: the real backend
 * (packages/backend, the Dezky policy), the real development IdP, every
 * seeded partner's staff. Flags are scoped across partners by an operator;
 * then 1,200 random requests as staff — flag definitions, lists, histories,
 * evaluations, previews, OFREP — must never name another partner's tenant or
 * partner, and a history must hold no audit event outside the staff member's
 * scope. Staff mutations are refused and land in the audit chain, visible to
 * the partner whose tenant they concerned. On SQLite and on PostgreSQL.
 */
import { Entity } from '@backstage/catalog-model';
import { pseudoRandom, refOf, seededCatalog } from './testing/catalogFiles';
import { signInAll } from './testing/oidcSignIn';
import {
  PortalServers,
  portalDatabases,
  startPortal,
  waitForCatalog,
} from './testing/servers';

jest.setTimeout(300_000);

const { users, partners, tenants, operators, email, staffOf } = seededCatalog();
const partnerOf = (t: Entity) => t.spec!.partner as string | undefined;
const operator = operators[0];
const random = pseudoRandom;

/**
 * The names a staff member of `partner` must never read: the other
 * partners' names and the names of every tenant that is not theirs (other
 * partners' and direct customers'). Matched as whole JSON strings or ref
 * tails, so `acme` never matches inside a longer name.
 */
function forbiddenFor(partner: Entity): string[] {
  return [
    ...partners
      .filter(p => p.metadata.name !== partner.metadata.name)
      .map(p => p.metadata.name),
    ...tenants
      .filter(t => partnerOf(t) !== partner.metadata.name)
      .map(t => t.metadata.name),
  ];
}

function leaks(text: string, names: string[]): string[] {
  return names.filter(
    n =>
      text.includes(`"${n}"`) ||
      text.includes(`/${n}"`) ||
      text.includes(`/${n}/`) ||
      text.includes(`"${n} `),
  );
}

describe.each(portalDatabases())(
  'feature flags for partner staff, on $name',
  ({ database }) => {
    let portal: PortalServers;
    const tokens = new Map<string, string>(); // email -> Backstage token

    const call = async (
      token: string,
      method: string,
      path: string,
      body?: unknown,
    ) => {
      const res = await fetch(`${portal.backendUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return {
        status: res.status,
        text,
        json: () => JSON.parse(text),
      };
    };
    const asOperator = (method: string, path: string, body?: unknown) =>
      call(tokens.get(email(operator))!, method, path, body);

    // flags scoped across partners: every staff member has something of
    // theirs in most of them, and something of others in all of them
    const scopedFlags = [
      {
        key: 'e2e_all_tenants',
        description: 'Every seeded tenant by name',
        state: 'targeted',
        scope: { tenants: tenants.map(t => t.metadata.name) },
      },
      {
        key: 'e2e_all_partners',
        description: 'Every partner',
        state: 'rollout',
        pct: 37.5,
        scope: { partners: partners.map(p => p.metadata.name) },
      },
      {
        key: 'e2e_two_partners',
        description: 'Two partners and a direct customer',
        state: 'targeted',
        scope: {
          partners: partners.slice(0, 2).map(p => p.metadata.name),
          tenants: tenants
            .filter(
              t => !partnerOf(t) || partnerOf(t) === partners[2].metadata.name,
            )
            .map(t => t.metadata.name),
        },
      },
    ];

    beforeAll(async () => {
      tokens.clear();
      portal = await startPortal({}, { database });
      await waitForCatalog(
        portal.backendUrl,
        ['user', 'tenant', 'partner'],
        users.length + tenants.length + partners.length,
      );
      for (const [mail, token] of await signInAll(
        portal,
        [operator, ...partners.flatMap(staffOf)].map(email),
      )) {
        tokens.set(mail, token);
      }
      // the flags plugin reads the catalog's tenants and partners (cached 30 s
      // from its first read, which may predate the ingest): wait until it
      // knows every one
      const deadline = Date.now() + 60_000;
      for (;;) {
        const res = await asOperator('POST', '/api/flags/preview', {
          state: 'on',
        });
        if (res.status === 200 && res.json().total === tenants.length) break;
        if (Date.now() > deadline) {
          throw new Error(`flags never saw every tenant: ${res.text}`);
        }
        await new Promise(r => setTimeout(r, 1000));
      }
      for (const flag of scopedFlags) {
        const res = await asOperator('POST', '/api/flags/flags', flag);
        if (res.status !== 201) {
          throw new Error(`creating ${flag.key}: ${res.status} ${res.text}`);
        }
        // a change, so the history has a diff naming tenants
        const patched = await asOperator(
          'PATCH',
          `/api/flags/flags/${flag.key}`,
          { description: `${flag.description}, changed` },
        );
        if (patched.status !== 200) {
          throw new Error(
            `changing ${flag.key}: ${patched.status} ${patched.text}`,
          );
        }
      }
    });

    afterAll(async () => {
      await portal?.stop();
    });

    it('shows operators every scope value, and staff their own with a count of the rest', async () => {
      const full = (
        await asOperator('GET', '/api/flags/flags/e2e_all_tenants')
      ).json();
      expect(full.scope.tenants).toHaveLength(tenants.length);
      expect(full.hidden).toBeUndefined();
      for (const partner of partners) {
        const own = tenants
          .filter(t => partnerOf(t) === partner.metadata.name)
          .map(t => t.metadata.name);
        const token = tokens.get(email(staffOf(partner)[0]))!;
        const view = (
          await call(token, 'GET', '/api/flags/flags/e2e_all_tenants')
        ).json();
        expect([...view.scope.tenants].sort()).toEqual([...own].sort());
        expect(view.hidden).toEqual({
          tenants: tenants.length - own.length,
          partners: 0,
        });
        const partnersView = (
          await call(token, 'GET', '/api/flags/flags/e2e_all_partners')
        ).json();
        expect(partnersView.scope.partners).toEqual([partner.metadata.name]);
        expect(partnersView.hidden).toEqual({
          tenants: 0,
          partners: partners.length - 1,
        });
      }
    });

    it('gives 1,200 random staff requests nothing of another partner', async () => {
      const r = random(20261207);
      const keys = [
        ...scopedFlags.map(f => f.key),
        'new_billing_engine',
        'maintenance_banner',
      ];
      const violations: string[] = [];
      let answered = 0;
      for (let i = 0; i < 1_200; i++) {
        const partner = r.pick(partners);
        const staff = r.pick(staffOf(partner));
        const token = tokens.get(email(staff))!;
        const someTenant = r.pick(tenants).metadata.name;
        const names = Array.from(
          { length: 1 + Math.floor(r.next() * 5) },
          () => r.pick(tenants).metadata.name,
        );
        const key = r.pick(keys);
        const [method, path, body] = r.pick<[string, string, unknown?]>([
          ['GET', '/api/flags/flags'],
          ['GET', `/api/flags/flags/${key}`],
          ['GET', `/api/flags/flags/${key}/history`],
          ['GET', `/api/flags/tenants/${someTenant}`],
          ['GET', `/api/flags/tenants/tenant:default/${someTenant}`],
          ['POST', '/api/flags/evaluate', { tenant: someTenant }],
          ['POST', '/api/flags/evaluate/bulk', { tenants: names }],
          [
            'POST',
            '/api/flags/preview',
            { key, state: 'rollout', pct: 50, scope: { tenants: names } },
          ],
          [
            'POST',
            '/api/flags/ofrep/v1/evaluate/flags',
            { context: { targetingKey: someTenant } },
          ],
          [
            'POST',
            `/api/flags/ofrep/v1/evaluate/flags/${key}`,
            { context: { targetingKey: someTenant } },
          ],
        ]);
        const res = await call(token, method, path, body);
        if (res.status >= 500) {
          violations.push(`${method} ${path}: ${res.status} ${res.text}`);
          continue;
        }
        if (res.status === 200) answered++;
        // a name the request itself gave may be echoed back (an error's
        // request url, "no tenant x"): only names it did not give count
        const asked = `${path} ${JSON.stringify(body ?? '')}`;
        const leaked = leaks(
          res.text,
          forbiddenFor(partner).filter(n => !asked.includes(n)),
        );
        if (leaked.length) {
          violations.push(
            `${email(staff)} ${method} ${path} ${JSON.stringify(
              body ?? '',
            )}: named ${leaked.join(', ')}`,
          );
        }
        if (path.endsWith('/history') && res.status === 200) {
          for (const event of res.json().items) {
            if (event.partner !== refOf(partner)) {
              violations.push(
                `${email(staff)} ${path}: event ${event.seq} of ${
                  event.partner ?? 'no partner'
                }`,
              );
            }
          }
        }
      }
      expect(violations.slice(0, 20)).toEqual([]);
      // most requests were answered, so the check had something to check
      expect(answered).toBeGreaterThan(600);
    });

    it('lets operators read a whole history, staff none of the platform’s flag changes', async () => {
      const opHistory = (
        await asOperator('GET', '/api/flags/flags/e2e_all_tenants/history')
      ).json();
      expect(opHistory.items.map((e: any) => e.action)).toEqual([
        'flag.updated',
        'flag.created',
      ]);
      const token = tokens.get(email(staffOf(partners[0])[0]))!;
      const staffHistory = await call(
        token,
        'GET',
        '/api/flags/flags/e2e_all_tenants/history',
      );
      expect(staffHistory.status).toBe(200);
      expect(staffHistory.json().items).toEqual([]);
    });

    it('refuses staff mutations, each in the audit chain, visible to the partner whose tenant it concerned', async () => {
      const [nordlicht, alpenwerk] = [
        partners.find(p => p.metadata.name === 'nordlicht-it')!,
        partners.find(p => p.metadata.name === 'alpenwerk-systems')!,
      ];
      const staff = staffOf(nordlicht)[0];
      const token = tokens.get(email(staff))!;
      const own = tenants.find(t => partnerOf(t) === 'nordlicht-it')!;
      const other = tenants.find(t => partnerOf(t) === 'alpenwerk-systems')!;
      const before = await call(token, 'GET', '/api/flags/flags');
      for (const res of [
        await call(token, 'PATCH', '/api/flags/flags/e2e_all_tenants', {
          scope: { tenants: [own.metadata.name] },
        }),
        await call(token, 'PATCH', '/api/flags/flags/e2e_all_tenants', {
          scope: { tenants: [other.metadata.name] },
        }),
        await call(token, 'POST', '/api/flags/flags', { key: 'x!' }),
        await call(token, 'DELETE', '/api/flags/flags/e2e_all_tenants'),
        await call(token, 'POST', '/api/flags/flags/e2e_all_tenants/kill'),
      ]) {
        expect(res.status).toBe(403);
      }
      const after = await call(token, 'GET', '/api/flags/flags');
      expect(after.text).toBe(before.text);

      const refusals = (
        await asOperator(
          'GET',
          '/api/audit/events?action=flags.flag.manage&limit=100',
        )
      ).json().items;
      expect(refusals).toHaveLength(5);
      const [kill, del, create, onOther, onOwn] = refusals;
      expect(onOwn).toMatchObject({
        outcome: 'failure',
        actor: { type: 'user', ref: refOf(staff) },
        tenant: refOf(own),
        partner: refOf(nordlicht),
      });
      expect(onOther).toMatchObject({
        tenant: refOf(other),
        partner: refOf(alpenwerk),
      });
      for (const e of [create, del, kill]) expect(e.partner).toBeUndefined();

      const seenBy = async (partner: Entity) =>
        (
          await call(
            tokens.get(email(staffOf(partner)[0]))!,
            'GET',
            '/api/audit/events?action=flags.flag.manage&limit=100',
          )
        )
          .json()
          .items.map((e: any) => e.seq);
      expect(await seenBy(nordlicht)).toEqual([onOwn.seq]);
      expect(await seenBy(alpenwerk)).toEqual([onOther.seq]);
    });

    it('answers POST /api/permission/authorize for a tenant of the flags-tenant type with a decision', async () => {
      const nordlicht = partners.find(p => p.metadata.name === 'nordlicht-it')!;
      const token = tokens.get(email(staffOf(nordlicht)[0]))!;
      const own = tenants.find(t => partnerOf(t) === 'nordlicht-it')!;
      const other = tenants.find(t => partnerOf(t) === 'alpenwerk-systems')!;
      const res = await call(token, 'POST', '/api/permission/authorize', {
        items: [own, other].map((t, i) => ({
          id: String(i),
          permission: {
            type: 'resource',
            name: 'flags.tenant.evaluate',
            attributes: { action: 'read' },
            resourceType: 'flags-tenant',
          },
          resourceRef: refOf(t),
        })),
      });
      expect(res.status).toBe(200);
      expect(res.json().items).toEqual([
        { id: '0', result: 'ALLOW' },
        { id: '1', result: 'DENY' },
      ]);
    });
  },
);
