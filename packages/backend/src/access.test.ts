/*
 * Identity and access, end to end: the real development IdP and the real
 * backend, the whole OIDC authorization-code flow over HTTP for operators
 * and every partner's staff, then what each token may see of the catalog —
 * on SQLite and on PostgreSQL (portalDatabases()).
 */
import { Entity } from '@backstage/catalog-model';
import { refOf, seededCatalog } from './testing/catalogFiles';
import { signInThroughOidc } from './testing/oidcSignIn';
import {
  PortalServers,
  portalDatabases,
  startPortal,
  waitForCatalog,
} from './testing/servers';

jest.setTimeout(300_000);

const {
  entities: seeded,
  users,
  partners,
  tenants,
  integrations,
  email,
  memberOf,
  groupName,
} = seededCatalog();

/** Everything that belongs to one partner: itself, its tenants, its staff group and users. */
function partnerScope(partner: Entity): Set<string> {
  const group = groupName(partner.spec!.owner as string);
  return new Set([
    refOf(partner),
    ...tenants
      .filter(t => t.spec!.partner === partner.metadata.name)
      .map(refOf),
    `group:default/${group}`,
    ...users.filter(u => memberOf(u, group)).map(refOf),
  ]);
}

let portal: PortalServers;
const tokens = new Map<string, string>(); // user ref -> Backstage token

async function api(token: string, path: string, init: RequestInit = {}) {
  const res = await fetch(`${portal.backendUrl}/api/catalog${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      ...init.headers,
    },
  });
  const body = res.headers.get('content-type')?.includes('json')
    ? await res.json()
    : await res.text();
  return { status: res.status, body };
}

// The whole file once per engine: production's SQL is PostgreSQL's, the
// development default is SQLite. One backend per engine, stopped before the
// next one starts.
describe.each(portalDatabases())('on $name', ({ database }) => {
  beforeAll(async () => {
    tokens.clear();
    portal = await startPortal({}, { database });
    await waitForCatalog(
      portal.backendUrl,
      ['user', 'tenant', 'partner'],
      users.length + tenants.length + partners.length,
    );
  });

  afterAll(async () => {
    await portal?.stop();
  });

  describe('sign-in through the development IdP (OIDC authorization code flow)', () => {
    it.each(users.map(u => [email(u), u] as const))(
      'signs in %s and ends with a Backstage token',
      async (mail, user) => {
        const result = await signInThroughOidc({
          backendUrl: portal.backendUrl,
          appOrigin: portal.appOrigin,
          email: mail,
        });
        if (!result.ok) throw new Error(result.error);
        expect(result.userEntityRef).toBe(refOf(user));
        const groups = ((user.spec as any).memberOf as string[]).map(
          g => `group:default/${g}`,
        );
        expect(result.ownershipEntityRefs.sort()).toEqual(
          [refOf(user), ...groups].sort(),
        );
        // the token is a real Backstage token: the catalog accepts it
        const res = await api(
          result.token,
          `/entities/by-name/user/default/${user.metadata.name}`,
        );
        expect(res.status).toBe(200);
        tokens.set(refOf(user), result.token);
      },
    );

    it('refuses someone the IdP knows but the catalog does not, and says why', async () => {
      const result = await signInThroughOidc({
        backendUrl: portal.backendUrl,
        appOrigin: portal.appOrigin,
        email: 'stranger@elsewhere.example',
      });
      expect(result).toEqual({
        ok: false,
        error:
          'Sign-in refused: stranger@elsewhere.example is not a user of the Dezky portal. ' +
          'Ask a platform operator to add you to catalog/org.yaml.',
      });
    });
  });

  describe('what each token may see', () => {
    const operators = users.filter(u => memberOf(u, 'dezky-platform-admins'));

    beforeAll(async () => {
      // wait until the catalog has processed every seeded tenant
      const token = tokens.get(refOf(operators[0]))!;
      const deadline = Date.now() + 60_000;
      for (;;) {
        const res = await api(
          token,
          '/entities?filter=kind=tenant&fields=metadata.name',
        );
        if (res.status === 200 && res.body.length === tenants.length) break;
        if (Date.now() > deadline)
          throw new Error(
            `catalog not ready: ${JSON.stringify(res.body).slice(0, 200)}`,
          );
        await new Promise(r => setTimeout(r, 500));
      }
    });

    it('lets operators list every tenant and partner', async () => {
      for (const op of operators) {
        const token = tokens.get(refOf(op))!;
        const t = await api(token, '/entities?filter=kind=tenant');
        expect(t.body.map(refOf).sort()).toEqual(tenants.map(refOf).sort());
        const p = await api(token, '/entities?filter=kind=partner');
        expect(p.body.map(refOf).sort()).toEqual(partners.map(refOf).sort());
      }
    });

    describe.each(partners.map(p => [p.metadata.name, p] as const))(
      'staff of %s',
      (_name, partner) => {
        const group = groupName(partner.spec!.owner as string);
        const staff = users.filter(u => memberOf(u, group));
        const own = partnerScope(partner);
        const others = partners.filter(p => p !== partner);

        it('has two staff users in the seeded catalog', () => {
          expect(staff).toHaveLength(2);
        });

        it.each(staff.map(u => [u.metadata.name, u] as const))(
          "%s lists exactly the partner's tenants",
          async (_n, user) => {
            const token = tokens.get(refOf(user))!;
            const res = await api(token, '/entities?filter=kind=tenant');
            expect(res.status).toBe(200);
            const expected = tenants
              .filter(t => t.spec!.partner === partner.metadata.name)
              .map(refOf)
              .sort();
            expect(expected.length).toBeGreaterThan(0);
            expect(res.body.map(refOf).sort()).toEqual(expected);
            const p = await api(token, '/entities?filter=kind=partner');
            expect(p.body.map(refOf)).toEqual([refOf(partner)]);
            const i = await api(token, '/entities?filter=kind=integration');
            expect(i.body.map(refOf).sort()).toEqual(
              integrations.map(refOf).sort(),
            );
          },
        );

        it.each(staff.map(u => [u.metadata.name, u] as const))(
          '%s gets 404 for any other partner, its tenants, group and staff by ref',
          async (_n, user) => {
            const token = tokens.get(refOf(user))!;
            for (const other of others) {
              for (const ref of partnerScope(other)) {
                const [kind, rest] = ref.split(':');
                const res = await api(
                  token,
                  `/entities/by-name/${kind}/${rest}`,
                );
                expect({ ref, status: res.status }).toEqual({
                  ref,
                  status: 404,
                });
              }
            }
            // and direct tenants are not theirs either
            for (const t of tenants.filter(x => !x.spec!.partner)) {
              const res = await api(
                token,
                `/entities/by-name/tenant/default/${t.metadata.name}`,
              );
              expect(res.status).toBe(404);
            }
          },
        );

        it.each(staff.map(u => [u.metadata.name, u] as const))(
          "%s sees their own staff and no other partner's",
          async (_n, user) => {
            const token = tokens.get(refOf(user))!;
            const res = await api(token, '/entities?filter=kind=user');
            expect(res.body.map(refOf).sort()).toEqual(staff.map(refOf).sort());
            const groups = await api(token, '/entities?filter=kind=group');
            expect(groups.body.map(refOf)).toEqual([`group:default/${group}`]);
            for (const e of [...res.body, ...groups.body])
              expect(own.has(refOf(e))).toBe(true);
          },
        );

        it.each(staff.map(u => [u.metadata.name, u] as const))(
          '%s may not change the catalog',
          async (_n, user) => {
            const token = tokens.get(refOf(user))!;
            const ownTenant = tenants.find(
              t => t.spec!.partner === partner.metadata.name,
            )!;
            const refresh = await api(token, '/refresh', {
              method: 'POST',
              body: JSON.stringify({ entityRef: refOf(ownTenant) }),
            });
            expect(refresh.status).toBe(403);
            const location = await api(token, '/locations', {
              method: 'POST',
              body: JSON.stringify({ type: 'file', target: '/etc/passwd' }),
            });
            expect(location.status).toBe(403);
            const entity = await api(
              token,
              `/entities/by-name/tenant/default/${ownTenant.metadata.name}`,
            );
            const remove = await api(
              token,
              `/entities/by-uid/${entity.body.metadata.uid}`,
              { method: 'DELETE' },
            );
            expect(remove.status).toBe(403);
            const still = await api(
              tokens.get(refOf(operators[0]))!,
              `/entities/by-name/tenant/default/${ownTenant.metadata.name}`,
            );
            expect(still.status).toBe(200);
          },
        );
      },
    );

    it('finds no entity of another partner in 1,200 random catalog requests by random staff users', async () => {
      let seed = 20261125;
      const random = () => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed / 2147483648;
      };
      const pick = <T>(list: T[]): T =>
        list[Math.floor(random() * list.length)];
      const staffUsers = users.filter(u =>
        partners.some(p => memberOf(u, groupName(p.spec!.owner as string))),
      );
      const allRefs = seeded.map(refOf);
      const kinds = [
        'tenant',
        'partner',
        'group',
        'user',
        'integration',
        'location',
      ];
      const plans = [...new Set(tenants.map(t => t.spec!.plan as string))];
      const facets = [
        'metadata.name',
        'spec.partner',
        'spec.plan',
        'kind',
        'relations.resoldBy',
        'spec.owner',
        'spec.profile.email',
      ];
      let checkedEntities = 0;
      const violations: string[] = [];
      let requests = 0;

      for (let i = 0; i < 1200; i++) {
        const user = pick(staffUsers);
        const partner = partners.find(p =>
          memberOf(user, groupName(p.spec!.owner as string)),
        )!;
        const allowed = new Set([
          ...partnerScope(partner),
          ...integrations.map(refOf),
          refOf(user),
        ]);
        const forbidden = new Set(
          partners
            .filter(p => p !== partner)
            .flatMap(p => [...partnerScope(p)]),
        );
        const token = tokens.get(refOf(user))!;
        const where = `${user.metadata.name} request ${i}`;
        const check = (entities: Entity[]) => {
          for (const e of entities) {
            const ref = refOf(e);
            if (forbidden.has(ref))
              violations.push(`${where}: another partner's ${ref}`);
            else if (!allowed.has(ref))
              violations.push(`${where}: not theirs: ${ref}`);
          }
          return entities.length;
        };
        // names and emails of what must stay hidden, to recognise them in facet values
        const namesOf = (refs: Set<string>) => {
          const found = seeded.filter(e => refs.has(refOf(e)));
          return new Set([
            ...found.map(e => e.metadata.name.toLocaleLowerCase('en-US')),
            ...found
              .filter(e => e.kind === 'User')
              .map(e => email(e).toLocaleLowerCase('en-US')),
          ]);
        };
        const otherNames = namesOf(forbidden);
        const ownNames = namesOf(allowed);
        requests++;
        switch (Math.floor(random() * 7)) {
          case 0: {
            const res = await api(
              user && token,
              `/entities?filter=kind=${pick(kinds)}`,
            );
            checkedEntities += check(res.body);
            break;
          }
          case 1: {
            const filter = pick([
              `kind=tenant,spec.plan=${pick(plans)}`,
              `kind=tenant,spec.partner=${pick(partners).metadata.name}`,
              `kind=${pick(kinds)}`,
              `relations.resoldBy=partner:default/${
                pick(partners).metadata.name
              }`,
              `spec.owner=${pick(partners).spec!.owner}`,
            ]);
            const res = await api(
              token,
              `/entities/by-query?filter=${encodeURIComponent(filter)}&limit=${
                1 + Math.floor(random() * 50)
              }`,
            );
            checkedEntities += check(res.body.items);
            break;
          }
          case 2: {
            const entityRefs = Array.from(
              { length: 1 + Math.floor(random() * 20) },
              () => pick(allRefs),
            );
            const res = await api(token, '/entities/by-refs', {
              method: 'POST',
              body: JSON.stringify({ entityRefs }),
            });
            checkedEntities += check(res.body.items.filter(Boolean));
            break;
          }
          case 3: {
            const ref = pick(allRefs);
            const [kind, rest] = ref.split(':');
            const res = await api(token, `/entities/by-name/${kind}/${rest}`);
            const expected = allowed.has(ref) ? 200 : 404;
            if (res.status !== expected) {
              violations.push(
                `${where}: ${ref} answered ${res.status}, expected ${expected}`,
              );
            }
            checkedEntities += check(res.status === 200 ? [res.body] : []);
            break;
          }
          case 4: {
            const facet = pick(facets);
            const res = await api(
              token,
              `/entity-facets?facet=${facet}&filter=kind=${pick(kinds)}`,
            );
            for (const { value } of res.body.facets[facet]) {
              const last = String(value)
                .toLocaleLowerCase('en-US')
                .split('/')
                .pop()!;
              if (otherNames.has(last) && !ownNames.has(last)) {
                violations.push(`${where}: facet ${facet} shows ${value}`);
              }
            }
            break;
          }
          case 5: {
            const term = pick([...otherNames, ...ownNames]).slice(0, 4);
            const res = await api(
              token,
              `/entities/by-query?fullTextFilterTerm=${encodeURIComponent(
                term,
              )}&limit=100`,
            );
            checkedEntities += check(res.body.items);
            break;
          }
          default: {
            const res = await api(
              token,
              `/entities/by-query?filter=kind=tenant&orderField=metadata.name,asc&limit=${
                1 + Math.floor(random() * 5)
              }`,
            );
            checkedEntities += check(res.body.items);
            let cursor = res.body.pageInfo?.nextCursor;
            while (cursor) {
              requests++;
              const page = await api(
                token,
                `/entities/by-query?cursor=${encodeURIComponent(cursor)}`,
              );
              checkedEntities += check(page.body.items);
              cursor = page.body.pageInfo?.nextCursor;
            }
          }
        }
      }
      expect(violations).toEqual([]);
      expect(requests).toBeGreaterThanOrEqual(1200);
      expect(checkedEntities).toBeGreaterThan(1000); // the test looked at real results
    });
  });
});
