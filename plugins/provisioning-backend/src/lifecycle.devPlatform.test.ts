/*
 * The tenant lifecycle against the development stand-ins, over real HTTP,
 * on SQLite and PostgreSQL: suspend and resume with their effects in every
 * system (users, sessions, mailboxes, space) and nothing else touched;
 * terminate with a grace period, resume inside it, teardown after it with
 * every step audited; git and portal holds together; the events.
 */
import {
  DEV_PLATFORM_CREDENTIALS,
  DevPlatform,
  startDevPlatform,
} from '@internal/dev-platform';
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import { TenantHold } from '@internal/plugin-provisioning-common';
import { Knex } from 'knex';
import { DesiredTenant } from './engine/desired';
import {
  converge,
  instance,
  Instance,
  tenant,
} from './__testUtils__/devPlatformHarness';

jest.setTimeout(180_000);

const databases = dezkyTestDatabases();
const PASSWORD = 'Vq7#mLp2!xRt9zKw';
const GRACE_MS = 60_000;

const hold = (kind: TenantHold['kind']): TenantHold => ({
  kind,
  reason: 'unpaid invoices',
  by: 'user:default/anna.schmidt',
  byName: 'anna.schmidt@dezky.example',
  at: new Date().toISOString(),
});

/** The stand-ins over their HTTP APIs, as an administrator would see them. */
function admin(platform: DevPlatform) {
  const ak = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${platform.urls.authentik}/api/v3${path}`, {
      method,
      headers: {
        authorization: `Bearer ${DEV_PLATFORM_CREDENTIALS.authentik.apiToken}`,
        'content-type': 'application/json',
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status}`);
    return res.status === 204 ? undefined : res.json();
  };
  const basic = `Basic ${Buffer.from(
    `${DEV_PLATFORM_CREDENTIALS.stalwart.username}:${DEV_PLATFORM_CREDENTIALS.stalwart.password}`,
  ).toString('base64')}`;
  const jmap = async (calls: unknown[]) => {
    const res = await fetch(`${platform.urls.stalwart}/jmap`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/json' },
      body: JSON.stringify({
        using: ['urn:ietf:params:jmap:core', 'urn:stalwart:jmap'],
        methodCalls: calls,
      }),
    });
    return (await res.json()).methodResponses as Array<[string, any, string]>;
  };
  return {
    /** A person in these tenants' groups, with a password and an open session. */
    async person(username: string, groupPks: string[]) {
      const user = (await ak('POST', '/core/users/', {
        username,
        name: username,
        email: `${username}@people.example`,
        groups: groupPks,
      })) as { pk: number };
      await ak('POST', `/core/users/${user.pk}/set_password/`, {
        password: PASSWORD,
      });
      platform.seed.authentikSession(username);
      return user.pk;
    },
    /** A mailbox on a domain (by its Stalwart id). */
    async mailbox(name: string, domainId: string) {
      const [[, set]] = await jmap([
        [
          'x:Account/set',
          {
            create: {
              a: {
                '@type': 'User',
                name,
                domainId,
                credentials: { '0': { '@type': 'Password', secret: PASSWORD } },
                roles: { '@type': 'User' },
                permissions: { '@type': 'Inherit' },
                quotas: {},
                aliases: {},
                memberGroupIds: {},
                encryptionAtRest: { '@type': 'Disabled' },
              },
            },
          },
          'c',
        ],
      ]);
      if (!set.created?.a) throw new Error(JSON.stringify(set));
      return set.created.a.id as string;
    },
    /** A mailing list on a domain. */
    async mailingList(name: string, domainId: string) {
      const [[, set]] = await jmap([
        [
          'x:MailingList/set',
          {
            create: {
              l: { name, domainId, recipients: { 'ann@people.example': true } },
            },
          },
          'c',
        ],
      ]);
      if (!set.created?.l) throw new Error(JSON.stringify(set));
    },
    /** Whether a mailbox can sign in with its password (HTTP status of the JMAP session). */
    async signIn(address: string) {
      const res = await fetch(`${platform.urls.stalwart}/jmap/session`, {
        headers: {
          authorization: `Basic ${Buffer.from(
            `${address}:${PASSWORD}`,
          ).toString('base64')}`,
        },
      });
      return res.status;
    },
    users() {
      return platform.state().authentik.users as Array<{
        pk: number;
        username: string;
        is_active: boolean;
        password_change_date: string;
      }>;
    },
    sessions(pk: number) {
      return (
        platform.state().authentik.sessions as Array<{ user: number }>
      ).filter(s => s.user === pk).length;
    },
    drive(name: string) {
      return (
        platform.state().ocis.drives as Array<{
          name: string;
          driveType: string;
          root?: { deleted?: { state?: string } };
        }>
      ).find(d => d.driveType === 'project' && d.name === name);
    },
  };
}

/** The Stalwart ids of a tenant's domains (taken before a teardown). */
function domainIdsOf(platform: DevPlatform, t: DesiredTenant) {
  return (
    platform.state().stalwart.domains as Array<{ id: string; name: string }>
  )
    .filter(d => t.domains.includes(d.name))
    .map(d => d.id);
}

/** What a tenant is left with in the stand-ins (its domains by the ids they had). */
function remains(
  platform: DevPlatform,
  t: DesiredTenant,
  usernames: string[],
  domainIds: string[],
) {
  const s = platform.state();
  const onDomains = (list: object[]) =>
    (list as Array<{ domainId: string }>).filter(x =>
      domainIds.includes(x.domainId),
    ).length;
  return {
    groups: (s.authentik.groups as Array<{ name: string }>).filter(
      g => g.name === t.name,
    ).length,
    users: (s.authentik.users as Array<{ username: string }>).filter(u =>
      usernames.includes(u.username),
    ).length,
    domains: (s.stalwart.domains as Array<{ id: string }>).filter(d =>
      domainIds.includes(d.id),
    ).length,
    accounts: onDomains(s.stalwart.accounts),
    dkim: onDomains(s.stalwart.dkimSignatures),
    lists: onDomains(s.stalwart.mailingLists),
    drives: (
      s.ocis.drives as Array<{ name: string; driveType: string }>
    ).filter(d => d.driveType === 'project' && d.name === t.name).length,
  };
}

describe.each(databases.eachSupportedId())(
  'the tenant lifecycle against dev-platform on %p',
  id => {
    let platform: DevPlatform;
    let knex: Knex;
    let p: Instance;
    let a: ReturnType<typeof admin>;
    const acme = tenant(1);
    const beta = tenant(2);
    const refs = [acme.tenantRef, beta.tenantRef];

    /** Both tenants provisioned, each with two people (one shared) and a mailbox per person. */
    async function provisioned() {
      await p.engine.sync([acme, beta]);
      const conditions = await converge(p, refs);
      const group = (ref: string) =>
        conditions.get(ref)!.find(c => c.step === 'authentik')!.external!
          .groupId;
      const domain = (ref: string, name: string) =>
        conditions.get(ref)!.find(c => c.step === 'stalwart')!.external![
          `domain:${name}`
        ];
      const people = {
        ann: await a.person('ann', [group(acme.tenantRef)]),
        bob: await a.person('bob', [group(acme.tenantRef)]),
        shared: await a.person('sam', [
          group(acme.tenantRef),
          group(beta.tenantRef),
        ]),
        cid: await a.person('cid', [group(beta.tenantRef)]),
      };
      await a.mailbox('ann', domain(acme.tenantRef, acme.domains[0]));
      await a.mailbox('bob', domain(acme.tenantRef, acme.domains[0]));
      await a.mailbox('cid', domain(beta.tenantRef, beta.domains[0]));
      await a.mailingList('team', domain(acme.tenantRef, acme.domains[0]));
      return people;
    }

    async function setHold(ref: string, h: TenantHold | null) {
      const out = await p.store.updateHold(
        ref,
        () => ({ hold: h }),
        new Date(Date.now() + p.clock.offset).toISOString(),
      );
      expect(out && 'state' in out).toBe(true);
      await converge(p, refs);
    }

    beforeAll(async () => {
      platform = await startDevPlatform({ dkimDelayMs: 100 });
      a = admin(platform);
    });
    afterAll(async () => {
      await platform.stop();
    });
    beforeEach(async () => {
      platform.reset();
      knex = await databases.init(id);
      p = await instance(knex, platform, { graceMs: GRACE_MS });
    });

    it('suspends: users inactive, sessions ended, mailboxes frozen, space disabled — nothing else touched; resume restores it all with the same passwords', async () => {
      const people = await provisioned();
      const passwordsSet = new Map(
        a.users().map(u => [u.pk, u.password_change_date]),
      );
      const acmeMail = `ann@${acme.domains[0]}`;
      const betaMail = `cid@${beta.domains[0]}`;
      expect(await a.signIn(acmeMail)).toBe(200);

      await setHold(acme.tenantRef, hold('suspended'));
      const active = new Map(a.users().map(u => [u.pk, u.is_active]));
      expect(active.get(people.ann)).toBe(false);
      expect(active.get(people.bob)).toBe(false);
      expect(a.sessions(people.ann)).toBe(0);
      expect(a.sessions(people.bob)).toBe(0);
      expect(await a.signIn(acmeMail)).toBe(401);
      expect(await a.signIn(`bob@${acme.domains[0]}`)).toBe(401);
      expect(a.drive(acme.name)?.root?.deleted?.state).toBe('trashed');
      // the person also in beta (active) keeps signing in; beta is untouched
      expect(active.get(people.shared)).toBe(true);
      expect(a.sessions(people.shared)).toBe(1);
      expect(active.get(people.cid)).toBe(true);
      expect(a.sessions(people.cid)).toBe(1);
      expect(await a.signIn(betaMail)).toBe(200);
      expect(a.drive(beta.name)?.root?.deleted).toBeUndefined();
      const acmeConditions = (await p.store.conditions([acme.tenantRef])).get(
        acme.tenantRef,
      )!;
      expect(acmeConditions.map(c => [c.step, c.status])).toEqual([
        ['authentik', 'ok'],
        ['stalwart', 'ok'],
        ['ocis', 'ok'],
      ]);
      expect(acmeConditions[0].observed).toMatchObject({
        suspended: true,
        keptActive: ['sam'],
      });
      expect(
        p.audited
          .filter(e => e.tenant === acme.tenantRef)
          .map(e => e.action)
          .sort(),
      ).toEqual(
        expect.arrayContaining([
          'provisioning.user.deactivated',
          'provisioning.mailbox.frozen',
          'provisioning.space.disabled',
        ]),
      );
      // Authentik ends an inactive user's sessions itself; one that shows up
      // anyway is ended at the next look, selected by user on the server
      platform.seed.authentikSession('ann');
      await p.engine.reconcileNow(acme.tenantRef, {});
      expect(a.sessions(people.ann)).toBe(0);
      expect(a.sessions(people.shared)).toBe(1);
      expect(
        p.audited.filter(e => e.action === 'provisioning.session.ended'),
      ).toEqual([expect.objectContaining({ tenant: acme.tenantRef })]);

      await setHold(acme.tenantRef, null);
      const after = new Map(a.users().map(u => [u.pk, u]));
      for (const pk of Object.values(people)) {
        expect(after.get(pk)!.is_active).toBe(true);
        expect(after.get(pk)!.password_change_date).toBe(passwordsSet.get(pk));
      }
      expect(await a.signIn(acmeMail)).toBe(200);
      expect(await a.signIn(`bob@${acme.domains[0]}`)).toBe(200);
      expect(a.drive(acme.name)?.root?.deleted).toBeUndefined();
      for (const step of ['authentik', 'stalwart', 'ocis'] as const) {
        expect(await p.store.hasFrozen(step, acme.tenantRef)).toBe(false);
      }
      expect(
        (await p.store.tenantEvents(acme.tenantRef)).map(e => e.type),
      ).toEqual(['activated', 'suspended', 'resumed']);
    });

    it('does not make active again a user an administrator deactivated', async () => {
      const people = await provisioned();
      // bob was deactivated by hand before the suspension
      await fetch(
        `${platform.urls.authentik}/api/v3/core/users/${people.bob}/`,
        {
          method: 'PATCH',
          headers: {
            authorization: `Bearer ${DEV_PLATFORM_CREDENTIALS.authentik.apiToken}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ is_active: false }),
        },
      );
      await setHold(acme.tenantRef, hold('suspended'));
      await setHold(acme.tenantRef, null);
      const active = new Map(a.users().map(u => [u.pk, u.is_active]));
      expect(active.get(people.ann)).toBe(true);
      expect(active.get(people.bob)).toBe(false);
    });

    it('terminates after the grace period only: resume inside it restores the tenant; after it nothing of the tenant is left, each teardown step audited', async () => {
      await provisioned();
      const acmeDomains = domainIdsOf(platform, acme);
      expect(acmeDomains).toHaveLength(acme.domains.length);
      // inside the grace period: suspended, nothing torn down; resume restores
      await setHold(acme.tenantRef, hold('terminating'));
      expect(remains(platform, acme, ['ann', 'bob'], acmeDomains)).toEqual({
        groups: 1,
        users: 2,
        domains: acme.domains.length,
        accounts: 2,
        dkim: acme.domains.length * 2,
        lists: 1,
        drives: 1,
      });
      expect(await a.signIn(`ann@${acme.domains[0]}`)).toBe(401);
      await setHold(acme.tenantRef, null);
      expect(await a.signIn(`ann@${acme.domains[0]}`)).toBe(200);
      p.clock.offset += GRACE_MS + 1000;
      await converge(p, refs);
      expect(remains(platform, acme, ['ann', 'bob'], acmeDomains).users).toBe(
        2,
      );

      // terminate again, and let the grace period pass
      await setHold(acme.tenantRef, hold('terminating'));
      p.clock.offset += GRACE_MS + 1000;
      await converge(p, refs);
      expect(remains(platform, acme, ['ann', 'bob'], acmeDomains)).toEqual({
        groups: 0,
        users: 0,
        domains: 0,
        accounts: 0,
        dkim: 0,
        lists: 0,
        drives: 0,
      });
      // the shared person is kept (still in beta), out of acme's group; beta untouched
      const sam = a.users().find(u => u.username === 'sam')!;
      expect(sam.is_active).toBe(true);
      expect(
        remains(platform, beta, ['cid'], domainIdsOf(platform, beta)),
      ).toMatchObject({
        groups: 1,
        users: 1,
        accounts: 1,
        drives: 1,
      });
      expect(await a.signIn(`cid@${beta.domains[0]}`)).toBe(200);

      const stored = await p.store.tenant(acme.tenantRef);
      expect(stored?.status).toBe('terminated');
      expect(stored?.lifecycle.terminatedAt).toBeDefined();
      const teardown = p.audited
        .filter(
          e =>
            e.tenant === acme.tenantRef &&
            /\.(deleted|removed)$/.test(e.action),
        )
        .map(e => e.action);
      const last = (action: string) => teardown.lastIndexOf(action);
      const first = (action: string) => teardown.indexOf(action);
      for (const action of [
        'provisioning.user.deleted',
        'provisioning.user.removed',
        'provisioning.mailbox.deleted',
        'provisioning.mailing-list.deleted',
        'provisioning.dkim-key.deleted',
        'provisioning.domain.deleted',
        'provisioning.space.deleted',
        'provisioning.group.deleted',
      ]) {
        expect([action, first(action) >= 0]).toEqual([action, true]);
      }
      // members first, then domains, then the space, then the group
      expect(last('provisioning.mailbox.deleted')).toBeLessThan(
        first('provisioning.domain.deleted'),
      );
      expect(last('provisioning.user.deleted')).toBeLessThan(
        first('provisioning.domain.deleted'),
      );
      expect(last('provisioning.domain.deleted')).toBeLessThan(
        first('provisioning.space.deleted'),
      );
      expect(first('provisioning.space.deleted')).toBeLessThan(
        first('provisioning.group.deleted'),
      );
      expect(
        (await p.store.tenantEvents(acme.tenantRef)).map(e => e.type),
      ).toEqual([
        'activated',
        'terminating',
        'resumed',
        'terminating',
        'terminated',
      ]);
      // a terminated tenant stays so: its steps need nothing, nothing is called
      const calls = platform.calls().length;
      await p.engine.reconcileNow(acme.tenantRef, {});
      expect(platform.calls().length).toBe(calls);
    });

    it('takes git and the portal together: spec.status suspended suspends, removing it resumes, a portal hold stays through catalog edits', async () => {
      const people = await provisioned();
      const isActive = (pk: number) =>
        a.users().find(u => u.pk === pk)!.is_active;

      await p.engine.sync([{ ...acme, status: 'suspended' }, beta]);
      await converge(p, refs);
      expect(isActive(people.ann)).toBe(false);
      expect((await p.store.tenant(acme.tenantRef))?.lifecycle).toMatchObject({
        gitStatus: 'suspended',
      });
      await p.engine.sync([acme, beta]);
      await converge(p, refs);
      expect(isActive(people.ann)).toBe(true);

      await setHold(acme.tenantRef, hold('suspended'));
      // catalog edits (a new title, spec.status active) do not lift it
      await p.engine.sync([{ ...acme, title: 'Acme Renamed' }, beta]);
      await converge(p, refs);
      expect(isActive(people.ann)).toBe(false);
      expect((await p.store.tenant(acme.tenantRef))?.status).toBe('suspended');
      await setHold(acme.tenantRef, null);
      expect(isActive(people.ann)).toBe(true);
      expect(
        (await p.store.tenantEvents(acme.tenantRef)).map(e => e.type),
      ).toEqual(['activated', 'suspended', 'resumed', 'suspended', 'resumed']);
    });
  },
);
