/*
 * A tenant's members against the development stand-ins, over real HTTP, on
 * SQLite and PostgreSQL: create gives exactly one SSO user, one mailbox and
 * one OCIS account; the same email in a second tenant reuses the identity;
 * remove keeps what another tenant uses; suspend and resume keep the
 * password; force logout ends that person's sessions only; nobody acts on
 * themselves; partner staff only reach their own tenants; the one-time
 * password is in no log line, audit event, database row or later answer.
 */
import { mockCredentials } from '@backstage/backend-test-utils';
import {
  DEV_PLATFORM_CREDENTIALS,
  DevPlatform,
  startDevPlatform,
} from '@internal/dev-platform';
import { AuditEventInput } from '@internal/plugin-audit-common';
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import { Knex } from 'knex';
import { DesiredTenant } from './engine/desired';
import {
  MemberRefusal,
  MemberRights,
  MemberService,
} from './members/MemberService';
import { MemberActionResult } from '@internal/plugin-provisioning-common';
import {
  ProvisioningScope,
  ProvisioningService,
} from './service/ProvisioningService';
import {
  converge,
  instance,
  Instance,
  tenant,
} from './__testUtils__/devPlatformHarness';

jest.setTimeout(180_000);

const databases = dezkyTestDatabases();

const OPERATOR = mockCredentials.user('user:default/olga.operator');
const EMAILS: Record<string, string> = {
  'user:default/olga.operator': 'olga@dezky.example',
  'user:default/anna': 'anna@people.example',
};
const operator = { credentials: OPERATOR };
const all: MemberRights = () => true;

type AkUser = {
  pk: number;
  username: string;
  email: string;
  is_active: boolean;
  password_change_date: string;
  groups: string[];
};
type Account = {
  id: string;
  name: string;
  domainId: string;
  permissions: Record<string, unknown>;
};

function setup(p: Instance) {
  const audited: AuditEventInput[] = [];
  const provisioning = new ProvisioningService({
    store: p.store,
    engine: p.engine,
  });
  const members = new MemberService({
    store: p.store,
    find: (name, scope) => provisioning.find(name, scope),
    ...p.systems.clients,
    trail: {
      record: async events => {
        audited.push(...events);
        return [];
      },
    },
    userEmail: async ref => EMAILS[ref],
    retryDelayMs: () => 10,
  });
  return { members, audited };
}

async function provisioned(platform: DevPlatform, knex: Knex, n = 3) {
  const tenants = Array.from({ length: n }, (_, i) => tenant(i + 1));
  const p = await instance(knex, platform);
  await p.engine.sync(tenants);
  const conditions = await converge(
    p,
    tenants.map(t => t.tenantRef),
  );
  const groupOf = (t: DesiredTenant) =>
    conditions.get(t.tenantRef)!.find(c => c.step === 'authentik')!.external!
      .groupId;
  const domainIdOf = (t: DesiredTenant) =>
    conditions.get(t.tenantRef)!.find(c => c.step === 'stalwart')!.external![
      `domain:${t.domains[0]}`
    ];
  return { p, tenants, groupOf, domainIdOf, ...setup(p) };
}

function state(platform: DevPlatform) {
  const s = platform.state();
  return {
    users: s.authentik.users as AkUser[],
    sessions: s.authentik.sessions as Array<{ uuid: string; user: number }>,
    accounts: s.stalwart.accounts as Account[],
    ocisUsers: s.ocis.users as Array<{
      id: string;
      onPremisesSamAccountName: string;
    }>,
  };
}

/** Signs in to the Stalwart stand-in as the mailbox (it checks the password). */
async function mailSignIn(platform: DevPlatform, address: string, pw: string) {
  const res = await fetch(`${platform.urls.stalwart}/jmap/session`, {
    headers: {
      authorization: `Basic ${Buffer.from(`${address}:${pw}`).toString(
        'base64',
      )}`,
    },
  });
  return res.status;
}

async function refusal(p: Promise<unknown>): Promise<MemberRefusal> {
  const outcome = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(outcome instanceof MemberRefusal)) {
    throw new Error(`expected a refusal, got ${String(outcome)}`);
  }
  return outcome;
}

describe.each(databases.eachSupportedId())('members on %p', id => {
  let platform: DevPlatform;
  let knex: Knex;

  beforeAll(async () => {
    platform = await startDevPlatform({ dkimDelayMs: 100 });
  });
  afterAll(async () => {
    await platform.stop();
  });
  beforeEach(async () => {
    platform.reset();
    knex = await databases.init(id);
  });

  it('create gives exactly one SSO user, one mailbox and one OCIS account, and lists the member', async () => {
    const { tenants, members, groupOf, domainIdOf, audited } =
      await provisioned(platform, knex, 1);
    const [t] = tenants;
    const created = await members.create(
      t.name,
      undefined,
      all,
      operator,
      () => ({ name: 'Bob Brown', email: 'Bob@People.example', role: 'admin' }),
    );
    expect(
      created.steps.map(s => [
        s.step,
        s.status,
        s.status === 'failed' ? s.message : '',
      ]),
    ).toEqual([
      ['authentik', 'ok', ''],
      ['stalwart', 'ok', ''],
      ['ocis', 'ok', ''],
    ]);
    expect(created.passwordFor).toEqual(['sso', 'mailbox']);
    const pw = created.oneTimePassword!;
    expect(pw).toHaveLength(16);

    const s = state(platform);
    const users = s.users.filter(u => u.email === 'bob@people.example');
    expect(users).toHaveLength(1);
    expect(users[0].username).toBe('bob@people.example');
    expect(users[0].groups).toEqual([groupOf(t)]);
    const boxes = s.accounts.filter(a => a.name === 'bob');
    expect(boxes).toHaveLength(1);
    expect(boxes[0].domainId).toBe(domainIdOf(t));
    expect(
      s.ocisUsers.filter(
        u => u.onPremisesSamAccountName === 'bob@people.example',
      ),
    ).toHaveLength(1);
    expect(await mailSignIn(platform, `bob@${t.domains[0]}`, pw)).toBe(200);

    // the list: role in this tenant, SSO, mailbox, MFA (Authentik's authenticators)
    platform.seed.authentikDevice(users[0].pk, { confirmed: true });
    const list = await members.list(t.name, undefined);
    expect(list.items).toEqual([
      expect.objectContaining({
        id: String(users[0].pk),
        name: 'Bob Brown',
        email: 'bob@people.example',
        role: 'admin',
        ssoActive: true,
        suspended: false,
        mailbox: { address: `bob@${t.domains[0]}`, state: 'active' },
        lastSignIn: null,
        mfa: true,
        otherTenants: 0,
      }),
    ]);

    // a second create of the same person is refused, nothing duplicated
    const again = await refusal(
      members.create(t.name, undefined, all, operator, () => ({
        name: 'Bob',
        email: 'bob@people.example',
        role: 'member',
      })),
    );
    expect(again.kind).toBe('conflict');
    expect(state(platform).users).toHaveLength(1);
    expect(audited.map(e => [e.action, e.outcome])).toEqual([
      ['provisioning.member.create', 'success'],
      ['provisioning.member.create', 'failure'],
    ]);

    // bad input: 400 and nothing changed
    const bad = await refusal(
      members.create(t.name, undefined, all, operator, () => {
        throw new Error('email: must be an email address');
      }),
    );
    expect(bad.kind).toBe('invalid');
    expect(state(platform).users).toHaveLength(1);
  });

  it('the same email in a second tenant reuses the identity; removing it from one keeps what the other uses', async () => {
    const { tenants, members, groupOf } = await provisioned(platform, knex, 2);
    const [a, b] = tenants;
    const first = await members.create(
      a.name,
      undefined,
      all,
      operator,
      () => ({
        name: 'Cleo',
        email: 'cleo@people.example',
        role: 'member',
      }),
    );
    const second = await members.create(
      b.name,
      undefined,
      all,
      operator,
      () => ({
        name: 'Cleo',
        email: 'cleo@people.example',
        role: 'admin',
      }),
    );
    expect(second.steps.every(s => s.status === 'ok')).toBe(true);
    // the SSO password is not changed: the new one opens the new mailbox only
    expect(second.passwordFor).toEqual(['mailbox']);
    let s = state(platform);
    const cleo = s.users.filter(u => u.email === 'cleo@people.example');
    expect(cleo).toHaveLength(1);
    expect(new Set(cleo[0].groups)).toEqual(new Set([groupOf(a), groupOf(b)]));
    expect(s.accounts.filter(x => x.name === 'cleo')).toHaveLength(2);
    expect(s.ocisUsers).toHaveLength(1);
    expect(
      await mailSignIn(
        platform,
        `cleo@${b.domains[0]}`,
        second.oneTimePassword!,
      ),
    ).toBe(200);
    expect(
      await mailSignIn(
        platform,
        `cleo@${a.domains[0]}`,
        first.oneTimePassword!,
      ),
    ).toBe(200);

    // the role is the role in each tenant
    const roleIn = async (t: DesiredTenant) =>
      (await members.list(t.name, undefined)).items[0].role;
    expect(await roleIn(a)).toBe('member');
    expect(await roleIn(b)).toBe('admin');

    const pk = String(cleo[0].pk);
    const removed = await members.act(
      'remove',
      a.name,
      pk,
      undefined,
      all,
      operator,
    );
    expect(removed.steps.every(x => x.status === 'ok')).toBe(true);
    s = state(platform);
    expect(s.users.find(u => u.pk === cleo[0].pk)!.groups).toEqual([
      groupOf(b),
    ]);
    expect(s.accounts.filter(x => x.name === 'cleo')).toHaveLength(1);
    expect(s.ocisUsers).toHaveLength(1);
    expect(
      await mailSignIn(
        platform,
        `cleo@${b.domains[0]}`,
        second.oneTimePassword!,
      ),
    ).toBe(200);
    expect((await members.list(a.name, undefined)).items).toEqual([]);
    expect((await members.list(b.name, undefined)).items).toHaveLength(1);

    // the last tenant: everything goes
    await members.act('remove', b.name, pk, undefined, all, operator);
    s = state(platform);
    expect(s.users.filter(u => u.email === 'cleo@people.example')).toEqual([]);
    expect(s.accounts.filter(x => x.name === 'cleo')).toEqual([]);
    expect(s.ocisUsers).toEqual([]);
  });

  it('suspend and resume keep the password; force logout ends that person’s sessions only', async () => {
    const { tenants, members } = await provisioned(platform, knex, 1);
    const [t] = tenants;
    const made = await members.create(t.name, undefined, all, operator, () => ({
      name: 'Dora',
      email: 'dora@people.example',
      role: 'member',
    }));
    const other = await members.create(
      t.name,
      undefined,
      all,
      operator,
      () => ({
        name: 'Emil',
        email: 'emil@people.example',
        role: 'member',
      }),
    );
    const pw = made.oneTimePassword!;
    const address = `dora@${t.domains[0]}`;
    const dora = () =>
      state(platform).users.find(u => u.email === 'dora@people.example')!;
    const before = dora();
    const pk = String(before.pk);

    const suspended = await members.act(
      'suspend',
      t.name,
      pk,
      undefined,
      all,
      operator,
    );
    expect(suspended.member).toMatchObject({
      ssoActive: false,
      suspended: true,
      mailbox: { address, state: 'frozen' },
    });
    expect(dora().is_active).toBe(false);
    expect(await mailSignIn(platform, address, pw)).toBe(401);
    expect(
      (
        await refusal(
          members.act('suspend', t.name, pk, undefined, all, operator),
        )
      ).kind,
    ).toBe('conflict');

    await members.act('resume', t.name, pk, undefined, all, operator);
    expect(dora().is_active).toBe(true);
    // Authentik's stand-in cannot check a password: its stored credential is unchanged
    expect(dora().password_change_date).toBe(before.password_change_date);
    expect(await mailSignIn(platform, address, pw)).toBe(200);
    expect(
      (await members.list(t.name, undefined)).items.find(m => m.id === pk),
    ).toMatchObject({
      ssoActive: true,
      suspended: false,
      mailbox: { state: 'active' },
    });

    // sessions: two of Dora's, one of Emil's, one of an outsider
    platform.seed.authentikSession('dora@people.example');
    platform.seed.authentikSession('dora@people.example');
    platform.seed.authentikSession('emil@people.example');
    const emilPk = other.member!.id;
    const out = await members.act(
      'logout',
      t.name,
      pk,
      undefined,
      all,
      operator,
    );
    expect(out.sessionsEnded).toBe(2);
    const left = state(platform).sessions;
    expect(left.map(x => String(x.user))).toEqual([emilPk]);
  });

  it('retries a step after a transient failure; a step that keeps failing is reported, and creating again completes it', async () => {
    const { tenants, members, audited } = await provisioned(platform, knex, 1);
    const [t] = tenants;
    platform.setFault('ocis', { failNext: 1 });
    const first = await members.create(
      t.name,
      undefined,
      all,
      operator,
      () => ({
        name: 'Hugo',
        email: 'hugo@people.example',
        role: 'member',
      }),
    );
    expect(first.steps.find(x => x.step === 'ocis')).toMatchObject({
      status: 'ok',
      attempts: 2,
    });
    platform.clearFaults();

    platform.setFault('stalwart', { down: true });
    const partial = await members.create(
      t.name,
      undefined,
      all,
      operator,
      () => ({
        name: 'Ida',
        email: 'ida@people.example',
        role: 'member',
      }),
    );
    platform.clearFaults();
    expect(partial.steps.map(x => [x.step, x.status, x.attempts])).toEqual([
      ['authentik', 'ok', 1],
      ['stalwart', 'failed', 3],
      ['ocis', 'ok', 1],
    ]);
    // the password opens what got it: the SSO user
    expect(partial.passwordFor).toEqual(['sso']);
    expect(audited.at(-1)).toMatchObject({
      action: 'provisioning.member.create',
      outcome: 'failure',
    });
    const listed = (await members.list(t.name, undefined)).items.find(
      m => m.email === 'ida@people.example',
    );
    expect(listed!.mailbox).toEqual({
      address: `ida@${t.domains[0]}`,
      state: 'missing',
    });

    const completed = await members.create(
      t.name,
      undefined,
      all,
      operator,
      () => ({ name: 'Ida', email: 'ida@people.example', role: 'member' }),
    );
    expect(completed.steps.map(x => x.status)).toEqual(['ok', 'ok', 'ok']);
    expect(completed.passwordFor).toEqual(['mailbox']);
    expect(
      await mailSignIn(
        platform,
        `ida@${t.domains[0]}`,
        completed.oneTimePassword!,
      ),
    ).toBe(200);
    const s = state(platform);
    expect(s.users.filter(u => u.email === 'ida@people.example')).toHaveLength(
      1,
    );
    expect(s.accounts.filter(a => a.name === 'ida')).toHaveLength(1);
    expect(
      s.ocisUsers.filter(
        u => u.onPremisesSamAccountName === 'ida@people.example',
      ),
    ).toHaveLength(1);
  });

  it('refuses self-suspend, self-logout and self-remove, and changes nothing', async () => {
    const { tenants, members, audited } = await provisioned(platform, knex, 1);
    const [t] = tenants;
    const made = await members.create(t.name, undefined, all, operator, () => ({
      name: 'Anna',
      email: 'ANNA@people.example',
      role: 'admin',
    }));
    const pk = made.member!.id;
    platform.seed.authentikSession('anna@people.example');
    const anna = { credentials: mockCredentials.user('user:default/anna') };
    for (const action of ['suspend', 'logout', 'remove'] as const) {
      const r = await refusal(
        members.act(action, t.name, pk, undefined, all, anna),
      );
      expect([action, r.kind]).toEqual([action, 'forbidden']);
    }
    const s = state(platform);
    expect(s.users.find(u => String(u.pk) === pk)!.is_active).toBe(true);
    expect(s.sessions).toHaveLength(1);
    expect(s.accounts.filter(a => a.name === 'anna')).toHaveLength(1);
    expect(audited.slice(-3).map(e => [e.action, e.outcome])).toEqual([
      ['provisioning.member.suspend', 'failure'],
      ['provisioning.member.logout', 'failure'],
      ['provisioning.member.remove', 'failure'],
    ]);
    // someone else may
    await members.act('logout', t.name, pk, undefined, all, operator);
    expect(state(platform).sessions).toHaveLength(0);
  });

  it('partner staff reach only their own tenants’ members (randomized, 0 leaks)', async () => {
    const { tenants, members } = await provisioned(platform, knex, 6);
    const ids = new Map<string, string>();
    for (const t of tenants) {
      const r = await members.create(t.name, undefined, all, operator, () => ({
        name: `Member of ${t.name}`,
        email: `m.${t.name}@people.example`,
        role: 'member',
      }));
      ids.set(t.name, r.member!.id);
    }
    let leaks = 0;
    let allowed = 0;
    let refused = 0;
    for (let i = 0; i < 60; i++) {
      const partner = `partner:default/p${Math.floor(Math.random() * 4)}`;
      const scope: ProvisioningScope = {
        column: 'partnerRef',
        values: [partner],
      } as ProvisioningScope;
      const rights: MemberRights = x => x.partnerRef === partner;
      const t = tenants[Math.floor(Math.random() * tenants.length)];
      const theirs = t.partnerRef === partner;
      const memberId = ids.get(t.name)!;
      const attempts: Array<Promise<unknown>> = [
        members.list(t.name, scope),
        members.act('logout', t.name, memberId, scope, rights, operator),
      ];
      for (const attempt of attempts) {
        const outcome = await attempt.then(
          () => 'ok',
          (e: unknown) => (e instanceof MemberRefusal ? e.kind : String(e)),
        );
        if (theirs) {
          if (outcome === 'ok') allowed++;
          else leaks++;
        } else if (outcome === 'notFound') refused++;
        else leaks++;
      }
    }
    expect(leaks).toBe(0);
    expect(allowed + refused).toBe(120);

    // read but not manage: 403 on an action
    const [t1] = tenants;
    const scope = {
      column: 'partnerRef',
      values: [t1.partnerRef],
    } as ProvisioningScope;
    const denied = await refusal(
      members.act(
        'suspend',
        t1.name,
        ids.get(t1.name)!,
        scope,
        () => false,
        operator,
      ),
    );
    expect(denied.kind).toBe('forbidden');
  });

  it('a person in a tenant of another partner: partner staff cannot reset their SSO password', async () => {
    const { tenants, members } = await provisioned(platform, knex, 2);
    const [a, b] = tenants; // partners p1 and p2
    const made = await members.create(a.name, undefined, all, operator, () => ({
      name: 'Finn',
      email: 'finn@people.example',
      role: 'member',
    }));
    await members.create(b.name, undefined, all, operator, () => ({
      name: 'Finn',
      email: 'finn@people.example',
      role: 'member',
    }));
    const scope = {
      column: 'partnerRef',
      values: [a.partnerRef],
    } as ProvisioningScope;
    const r = await refusal(
      members.act(
        'reset-password',
        a.name,
        made.member!.id,
        scope,
        x => x.partnerRef === a.partnerRef,
        operator,
      ),
    );
    expect(r.kind).toBe('forbidden');
    // an operator may; the new password opens the SSO and this tenant's mailbox
    const reset = await members.act(
      'reset-password',
      a.name,
      made.member!.id,
      undefined,
      all,
      operator,
    );
    expect(reset.passwordFor).toEqual(['sso', 'mailbox']);
    expect(
      await mailSignIn(
        platform,
        `finn@${a.domains[0]}`,
        reset.oneTimePassword!,
      ),
    ).toBe(200);
    expect(
      await mailSignIn(platform, `finn@${a.domains[0]}`, made.oneTimePassword!),
    ).toBe(401);
  });

  it('an identity also in a group that is no tenant’s (e.g. the operators’) is never deleted, deactivated or given a password from a tenant', async () => {
    const { tenants, members } = await provisioned(platform, knex, 1);
    const [t] = tenants;
    const made = await members.create(t.name, undefined, all, operator, () => ({
      name: 'Olga',
      email: 'olga@dezky.example',
      role: 'admin',
    }));
    const ak = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${platform.urls.authentik}/api/v3${path}`, {
        method,
        headers: {
          authorization: `Bearer ${DEV_PLATFORM_CREDENTIALS.authentik.apiToken}`,
          'content-type': 'application/json',
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return res.status === 204 ? undefined : res.json();
    };
    const operators = (await ak('POST', '/core/groups/', {
      name: 'dezky-operators',
    })) as { pk: string };
    await ak('POST', `/core/groups/${operators.pk}/add_user/`, {
      pk: Number(made.member!.id),
    });
    const someone = { credentials: mockCredentials.user('user:default/anna') };
    const reset = await refusal(
      members.act(
        'reset-password',
        t.name,
        made.member!.id,
        undefined,
        all,
        someone,
      ),
    );
    expect(reset.kind).toBe('forbidden');
    expect(reset.message).toContain('dezky-operators');

    const suspended = await members.act(
      'suspend',
      t.name,
      made.member!.id,
      undefined,
      all,
      someone,
    );
    expect(suspended.member).toMatchObject({
      ssoActive: true,
      suspended: true,
    });

    await members.act(
      'remove',
      t.name,
      made.member!.id,
      undefined,
      all,
      someone,
    );
    const s = state(platform);
    const olga = s.users.find(u => u.email === 'olga@dezky.example');
    expect(olga!.groups).toEqual([operators.pk]);
    expect(olga!.is_active).toBe(true);
    expect(s.ocisUsers).toHaveLength(1);
    expect(s.accounts.filter(a => a.name === 'olga')).toEqual([]);
  });

  it('the one-time passwords appear in no log line, audit event, database row or later answer', async () => {
    const consoleLines: string[] = [];
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map(
      level =>
        jest.spyOn(console, level).mockImplementation((...args: unknown[]) => {
          consoleLines.push(args.map(String).join(' '));
        }),
    );
    try {
      const { p, tenants, members, audited } = await provisioned(
        platform,
        knex,
        2,
      );
      const [t, u] = tenants;
      const secrets: string[] = [];
      const later: MemberActionResult[] = [];
      const made = await members.create(
        t.name,
        undefined,
        all,
        operator,
        () => ({
          name: 'Gina',
          email: 'gina@people.example',
          role: 'member',
        }),
      );
      secrets.push(made.oneTimePassword!);
      const also = await members.create(
        u.name,
        undefined,
        all,
        operator,
        () => ({
          name: 'Gina',
          email: 'gina@people.example',
          role: 'member',
        }),
      );
      secrets.push(also.oneTimePassword!);
      const reset = await members.act(
        'reset-password',
        t.name,
        made.member!.id,
        undefined,
        all,
        operator,
      );
      secrets.push(reset.oneTimePassword!);
      expect(new Set(secrets).size).toBe(3);
      for (const action of ['suspend', 'resume', 'logout'] as const) {
        later.push(
          await members.act(
            action,
            t.name,
            made.member!.id,
            undefined,
            all,
            operator,
          ),
        );
      }
      const lists = [
        await members.list(t.name, undefined),
        await members.list(u.name, undefined),
      ];
      later.push(
        await members.act(
          'remove',
          u.name,
          made.member!.id,
          undefined,
          all,
          operator,
        ),
      );
      await p.engine.drain();

      // every row of every table
      const client = String(knex.client.config.client);
      const tables: string[] = client.includes('sqlite')
        ? (
            await knex.raw(
              "select name from sqlite_master where type = 'table'",
            )
          ).map((r: { name: string }) => r.name)
        : (
            await knex.raw(
              'select table_name from information_schema.tables where table_schema = current_schema()',
            )
          ).rows.map((r: { table_name: string }) => r.table_name);
      expect(tables.length).toBeGreaterThan(3);
      let rows = '';
      for (const table of tables) {
        rows += JSON.stringify(await knex(table).select());
      }
      const logLines = [
        ...consoleLines,
        ...Object.values(p.logger)
          .filter(f => jest.isMockFunction(f))
          .flatMap(f =>
            (f as jest.Mock).mock.calls.map(c => JSON.stringify(c)),
          ),
      ].join('\n');
      const haystacks = {
        logs: logLines,
        audit: JSON.stringify(audited),
        database: rows,
        laterAnswers: JSON.stringify([...later, ...lists]),
      };
      expect(audited.length).toBeGreaterThanOrEqual(7);
      for (const secret of secrets) {
        for (const [where, text] of Object.entries(haystacks)) {
          expect([where, text.includes(secret)]).toEqual([where, false]);
        }
      }
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});
