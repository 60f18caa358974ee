/*
 * The engine, the real clients and the development stand-ins
 * (@internal/dev-platform: Authentik, Stalwart and OCIS as their APIs are
 * documented), over real HTTP, on SQLite and PostgreSQL: convergence with
 * exactly one object per tenant (and per domain), faults, Retry-After,
 * drift, the kill switch, and two instances sharing one PostgreSQL.
 */
import {
  DEV_PLATFORM_CREDENTIALS,
  DevPlatform,
  startDevPlatform,
} from '@internal/dev-platform';
import {
  describeOnPostgres,
  dezkyTestDatabases,
} from '@internal/dezky-test-utils';
import { Knex } from 'knex';
import { DesiredTenant } from './engine/desired';
import { StepDriver } from './steps/types';
import {
  converge,
  holdings,
  instance,
  tenant,
} from './__testUtils__/devPlatformHarness';

jest.setTimeout(180_000);

const databases = dezkyTestDatabases();

function expectExactlyOneEach(platform: DevPlatform, tenants: DesiredTenant[]) {
  const h = holdings(platform);
  for (const t of tenants) {
    expect([t.name, h.groups.get(t.name)]).toEqual([t.name, 1]);
    expect([t.name, h.drives.get(t.name)]).toEqual([t.name, 1]);
    for (const d of t.domains) expect([d, h.domains.get(d)]).toEqual([d, 1]);
  }
  expect(h.groups.size).toBe(tenants.length);
  expect(h.drives.size).toBe(tenants.length);
  expect(h.domains.size).toBe(tenants.flatMap(t => t.domains).length);
}

describe.each(databases.eachSupportedId())(
  'provisioning against dev-platform on %p',
  id => {
    let platform: DevPlatform;
    let knex: Knex;

    beforeAll(async () => {
      platform = await startDevPlatform({ dkimDelayMs: 150 });
    });
    afterAll(async () => {
      await platform.stop();
    });
    beforeEach(async () => {
      platform.reset();
      knex = await databases.init(id);
    });

    it('converges, holds exactly one group, space and domain object each — after forced reconciles and restarts too', async () => {
      const tenants = [1, 2, 3, 4, 5].map(i => tenant(i));
      const refs = tenants.map(t => t.tenantRef);
      let p = await instance(knex, platform);
      await p.engine.sync(tenants);
      const conditions = await converge(p, refs);
      expectExactlyOneEach(platform, tenants);

      // what exists is stored, and the DNS records with the DKIM keys
      const one = conditions.get(refs[0])!;
      const state = platform.state();
      const group = (
        state.authentik.groups as Array<{
          pk: string;
          name: string;
          attributes: object;
        }>
      ).find(g => g.name === tenants[0].name)!;
      expect(one.find(c => c.step === 'authentik')!.external).toEqual({
        groupId: group.pk,
      });
      expect(group.attributes).toEqual({ dezkyTenant: tenants[0].tenantRef });
      const dns = await p.store.dnsRecords(refs[0]);
      expect(dns.map(d => d.domain).sort()).toEqual(
        [...tenants[0].domains].sort(),
      );
      for (const d of dns) {
        expect(d.records).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ type: 'MX', name: d.domain }),
            expect.objectContaining({
              type: 'TXT',
              name: expect.stringMatching(
                new RegExp(
                  `^v1-rsa-\\d{8}\\._domainkey\\.${d.domain.replace(
                    /\./g,
                    '\\.',
                  )}$`,
                ),
              ),
              value: expect.stringContaining('v=DKIM1; k=rsa'),
            }),
            expect.objectContaining({
              type: 'TXT',
              name: expect.stringMatching(/^v1-ed25519-\d{8}\._domainkey\./),
            }),
          ]),
        );
      }
      expect(
        p.audited.filter(e => e.action === 'provisioning.group.created'),
      ).toHaveLength(5);

      for (let round = 0; round < 3; round++) {
        for (const ref of refs) {
          expect(await p.engine.reconcileNow(ref, {})).toBe('done');
        }
      }
      // two restarts: a new engine and fresh clients on the same database
      for (let restart = 0; restart < 2; restart++) {
        await p.engine.stop();
        p = await instance(knex, platform);
        await p.engine.sync(tenants);
        for (const ref of refs) await p.engine.reconcileNow(ref, {});
        await converge(p, refs);
      }
      expectExactlyOneEach(platform, tenants);
      expect(p.audited.filter(e => /created|adopted/.test(e.action))).toEqual(
        [],
      );
      // the OCIS service token rotated on every refresh, none refused
      expect(platform.state().authentik.tokens.rejected).toBe(0);
    });

    it('keeps the others ok while Stalwart is down, retries it with growing waits, and converges when it is back', async () => {
      const t = tenant(7);
      const p = await instance(knex, platform);
      platform.setFault('stalwart', { down: true });
      await p.engine.sync([t]);
      await p.engine.drain();
      const stalwart = async () =>
        (await p.store.conditions([t.tenantRef]))
          .get(t.tenantRef)!
          .find(c => c.step === 'stalwart')!;
      const all = (await p.store.conditions([t.tenantRef])).get(t.tenantRef)!;
      expect(all.map(c => [c.step, c.status])).toEqual([
        ['authentik', 'ok'],
        ['stalwart', 'error'],
        ['ocis', 'ok'],
      ]);
      const first = await stalwart();
      // a new connection is refused; one kept alive from before the stand-in
      // went down is closed under the request instead (undici's
      // UND_ERR_SOCKET) — both are "cannot reach", named with the cause
      expect(first.message).toMatch(
        new RegExp(
          `^stalwart: read the JMAP session: cannot reach ${platform.urls.stalwart.replace(
            /[.]/g,
            '\\.',
          )} \\((ECONNREFUSED|UND_ERR_SOCKET)\\)$`,
        ),
      );
      const waits = [
        Date.parse(first.nextAttemptAt!) - Date.parse(first.lastAttemptAt!),
      ];
      for (let i = 0; i < 3; i++) {
        const c = await stalwart();
        p.clock.offset = Date.parse(c.nextAttemptAt!) - Date.now();
        await p.engine.drain();
        const next = await stalwart();
        expect(next.attempts).toBe(c.attempts + 1);
        waits.push(
          Date.parse(next.nextAttemptAt!) - Date.parse(next.lastAttemptAt!),
        );
      }
      for (let i = 1; i < waits.length; i++)
        expect(waits[i]).toBeGreaterThan(waits[i - 1]);
      expect((await p.store.tenant(t.tenantRef))?.phase).toBe('pending');

      platform.clearFaults('stalwart');
      const c = await stalwart();
      p.clock.offset = Date.parse(c.nextAttemptAt!) - Date.now();
      await converge(p, [t.tenantRef]);
      expect((await p.store.tenant(t.tenantRef))?.phase).toBe('active');
      expectExactlyOneEach(platform, [t]);
    });

    it('honours a 429 Retry-After: no request to that system before it', async () => {
      // Authentik only: the OCIS step's token refreshes go to the same server through their own client
      const t = tenant(8, { integrations: ['authentik'] });
      const p = await instance(knex, platform);
      platform.setFault('authentik', {
        tooManyRequests: { retryAfterSeconds: 1, count: 1 },
      });
      await p.engine.sync([t]);
      await converge(p, [t.tenantRef]);
      const calls = platform.calls('authentik');
      expect(calls[0].status).toBe(429);
      const refused = Date.parse(calls[0].at);
      expect(calls.length).toBeGreaterThan(1);
      for (const call of calls.slice(1)) {
        expect(Date.parse(call.at) - refused).toBeGreaterThanOrEqual(990);
      }
    });

    it('recreates a group deleted behind its back at the next drift resync, and audits it as drift', async () => {
      const tenants = [tenant(11), tenant(12)];
      const p = await instance(knex, platform);
      await p.engine.sync(tenants);
      await converge(
        p,
        tenants.map(t => t.tenantRef),
      );
      const gone = (
        platform.state().authentik.groups as Array<{ pk: string; name: string }>
      ).find(g => g.name === tenants[1].name)!;
      const res = await fetch(
        `${platform.urls.authentik}/api/v3/core/groups/${gone.pk}/`,
        {
          method: 'DELETE',
          headers: {
            authorization: `Bearer ${DEV_PLATFORM_CREDENTIALS.authentik.apiToken}`,
          },
        },
      );
      expect(res.status).toBe(204);
      const before = platform.calls().length;
      const report = await p.engine.resync();
      expect(report.drifted).toEqual([
        {
          tenantRef: tenants[1].tenantRef,
          step: 'authentik',
          message: `group ${tenants[1].name} (${gone.pk}) no longer exists`,
        },
      ]);
      // the resync listed in bulk: a handful of calls for every tenant
      expect(platform.calls().length - before).toBeLessThanOrEqual(5);
      await converge(
        p,
        tenants.map(t => t.tenantRef),
      );
      expectExactlyOneEach(platform, tenants);
      const repaired = p.audited.filter(
        e => e.action === 'provisioning.drift.repaired',
      );
      expect(repaired).toHaveLength(1);
      expect(repaired[0]).toMatchObject({
        tenant: tenants[1].tenantRef,
        partner: tenants[1].partnerRef,
        metadata: {
          step: 'authentik',
          drift: `group ${tenants[1].name} (${gone.pk}) no longer exists`,
        },
      });
    });

    it('calls nothing for a tenant whose tenant_provisioning flag is off', async () => {
      const t = tenant(21);
      const p = await instance(knex, platform, { enabled: () => false });
      await p.engine.sync([t]);
      await p.engine.drain();
      await p.engine.reconcileNow(t.tenantRef, {});
      const cs = (await p.store.conditions([t.tenantRef])).get(t.tenantRef)!;
      expect(cs.map(c => c.status)).toEqual(['paused', 'paused', 'paused']);
      expect(platform.calls()).toEqual([]);
    });
  },
);

describeOnPostgres(databases, 'two instances on one PostgreSQL', () => {
  it('share 200 tenants: both work, never the same tenant at once, no duplicate outside', async () => {
    const platform = await startDevPlatform({
      dkimDelayMs: 100,
      accessTokenTtlSeconds: 2,
    });
    try {
      const knex = await databases.init('POSTGRES_15');
      // who is working each tenant (its steps run side by side in one instance)
      const working = new Map<string, { who: string; steps: number }>();
      const overlaps: string[] = [];
      const workedBy = new Map<string, number>();
      const wrap =
        (who: string) =>
        (d: StepDriver): StepDriver => ({
          step: d.step,
          drift: x => d.drift(x),
          teardownMembers: w => d.teardownMembers(w),
          teardownResources: w => d.teardownResources(w),
          converge: async work => {
            const ref = work.tenant.tenantRef;
            const holder = working.get(ref);
            if (holder && holder.who !== who) overlaps.push(`${ref} ${d.step}`);
            working.set(ref, { who, steps: (holder?.steps ?? 0) + 1 });
            workedBy.set(who, (workedBy.get(who) ?? 0) + 1);
            try {
              return await d.converge(work);
            } finally {
              const h = working.get(ref)!;
              if (h.steps <= 1) working.delete(ref);
              else h.steps -= 1;
            }
          },
        });
      const a = await instance(knex, platform, { wrap: wrap('a') });
      const b = await instance(knex, platform, { wrap: wrap('b') });
      const tenants = Array.from({ length: 200 }, (_, i) => tenant(1000 + i));
      await a.engine.sync(tenants);
      await b.engine.sync(tenants);
      const refs = tenants.map(t => t.tenantRef);
      await Promise.all([
        converge(a, refs, 120_000),
        converge(b, refs, 120_000),
      ]);
      expect(overlaps).toEqual([]);
      expect(workedBy.get('a')).toBeGreaterThan(0);
      expect(workedBy.get('b')).toBeGreaterThan(0);
      expectExactlyOneEach(platform, tenants);
      // both refreshed the rotating OCIS token (2 s access tokens) without a refused grant
      expect(platform.state().authentik.tokens.rejected).toBe(0);
    } finally {
      await platform.stop();
    }
  });
});
