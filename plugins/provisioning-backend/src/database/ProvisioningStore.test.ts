import { mockServices } from '@backstage/backend-test-utils';
import {
  describeOnPostgres,
  dezkyTestDatabases,
} from '@internal/dezky-test-utils';
import { Knex } from 'knex';
import {
  ATTEMPTS_KEPT,
  ProvisioningStore,
  StoredCondition,
} from './ProvisioningStore';

jest.setTimeout(120_000);

const databases = dezkyTestDatabases();

const T0 = Date.parse('2026-12-07T10:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

const tenant = (name: string, partner?: string, hash = 'h1') => ({
  tenantRef: `tenant:default/${name}`,
  name,
  title: `${name} GmbH`,
  ...(partner ? { partnerRef: `partner:default/${partner}` } : {}),
  desired: { name },
  desiredHash: hash,
  gitStatus: 'active' as const,
  plan: 'business',
  seats: 10,
});

const condition = (
  step: StoredCondition['step'],
  status: StoredCondition['status'],
): StoredCondition => ({
  step,
  status,
  lastTransitionTime: at(0),
  attempts: 0,
});

async function createStore(knex: Knex) {
  return ProvisioningStore.create({
    database: mockServices.database({ knex }),
  });
}

describe.each(databases.eachSupportedId())('ProvisioningStore on %p', id => {
  let store: ProvisioningStore;

  beforeEach(async () => {
    store = await createStore(await databases.init(id));
  });

  it('takes the catalog in: new and changed tenants are due at once, removed ones are hidden and come back with what they had', async () => {
    let result = await store.syncTenants(
      [tenant('acme', 'nord'), tenant('beta')],
      at(0),
    );
    expect(result).toEqual({
      added: ['tenant:default/acme', 'tenant:default/beta'],
      changed: [],
      removed: [],
    });
    const claimed = await store.claim({
      owner: 'a',
      limit: 10,
      now: at(1),
      leaseUntil: at(60),
    });
    expect(claimed.map(c => [c.name, c.trigger])).toEqual([
      ['acme', 'catalog'],
      ['beta', 'catalog'],
    ]);
    for (const c of claimed) {
      await store.release({
        tenantRef: c.tenantRef,
        owner: 'a',
        requestSeq: c.requestSeq,
        phase: 'active',
        now: at(2),
      });
    }
    await store.saveCondition('tenant:default/beta', condition('ocis', 'ok'));

    result = await store.syncTenants(
      [tenant('acme', 'nord', 'h2'), tenant('gamma')],
      at(10),
    );
    expect(result).toEqual({
      added: ['tenant:default/gamma'],
      changed: ['tenant:default/acme'],
      removed: ['tenant:default/beta'],
    });
    expect(await store.tenant('tenant:default/beta')).toBeUndefined();
    expect((await store.list({ names: ['beta'] })).items).toEqual([]);
    expect(
      await store.enqueue('tenant:default/beta', 'reconcile', at(10)),
    ).toBe(false);
    const due = await store.claim({
      owner: 'a',
      limit: 10,
      now: at(11),
      leaseUntil: at(60),
    });
    expect(due.map(c => c.name).sort()).toEqual(['acme', 'gamma']);
    // an unchanged catalog queues nothing
    expect(
      await store.syncTenants(
        [tenant('acme', 'nord', 'h2'), tenant('gamma')],
        at(12),
      ),
    ).toEqual({ added: [], changed: [], removed: [] });

    // beta comes back (a catalog read had missed it): its condition is still there, queued again
    expect(
      await store.syncTenants(
        [tenant('acme', 'nord', 'h2'), tenant('gamma'), tenant('beta')],
        at(13),
      ),
    ).toEqual({ added: [], changed: ['tenant:default/beta'], removed: [] });
    expect(await store.tenant('tenant:default/beta')).toMatchObject({
      trigger: 'catalog',
    });
    expect(
      (await store.conditions(['tenant:default/beta']))
        .get('tenant:default/beta')!
        .map(c => [c.step, c.status]),
    ).toEqual([['ocis', 'ok']]);
  });

  it('lets one holder at a time refresh a rotating credential, without holding up other queries meanwhile', async () => {
    await store.syncTenants([tenant('acme')], at(0));
    const seen: string[] = [];
    let inside = 0;
    let overlapped = false;
    const during: number[] = [];
    const holder = (n: number) =>
      store.withCredential('ocis', async stored => {
        inside += 1;
        if (inside > 1) overlapped = true;
        seen.push(stored?.refreshToken ?? 'none');
        // the plugin's other queries go on while a holder waits on the issuer
        during.push((await store.list({})).total);
        await new Promise(r => setTimeout(r, 20));
        inside -= 1;
        return { result: n, store: { refreshToken: `r${n}` } };
      });
    expect(await Promise.all([1, 2, 3].map(holder))).toEqual([1, 2, 3]);
    expect(overlapped).toBe(false);
    // the first saw nothing, each later one a token another had stored
    // (the order of waiters is the database's on PostgreSQL)
    expect(seen[0]).toBe('none');
    expect(new Set(seen).size).toBe(3);
    expect(seen.slice(1).every(t => /^r[123]$/.test(t))).toBe(true);
    expect(during).toEqual([1, 1, 1]);
    // a holder that fails stores nothing and does not block the next
    await expect(
      store.withCredential('ocis', async () => {
        throw new Error('issuer down');
      }),
    ).rejects.toThrow('issuer down');
    expect(
      await store.withCredential('ocis', async stored => ({
        result: stored?.refreshToken,
      })),
    ).toMatch(/^r[123]$/);
  });

  it('keeps a portal hold through catalog edits and a catalog read that missed the tenant, and writes its events with the change', async () => {
    await store.syncTenants([tenant('acme', 'nord')], at(0));
    const [c] = await store.claim({
      owner: 'a',
      limit: 1,
      now: at(1),
      leaseUntil: at(60),
    });
    await store.release({
      tenantRef: c.tenantRef,
      owner: 'a',
      requestSeq: c.requestSeq,
      phase: 'active',
      now: at(2),
    });
    const hold = {
      kind: 'suspended' as const,
      reason: 'unpaid',
      by: 'user:default/anna',
      byName: 'anna@dezky.example',
      at: at(3),
    };
    const set = await store.updateHold(
      'tenant:default/acme',
      () => ({ hold }),
      at(3),
    );
    expect(set && 'status' in set && set.status).toBe('suspended');
    expect(
      await store.updateHold(
        'tenant:default/acme',
        () => ({ refused: 'no' }),
        at(4),
      ),
    ).toEqual({ refused: 'no' });
    await store.syncTenants([tenant('acme', 'nord', 'h2')], at(5));
    await store.syncTenants([], at(6));
    await store.syncTenants([tenant('acme', 'nord', 'h3')], at(7));
    const back = await store.tenant('tenant:default/acme');
    expect(back?.status).toBe('suspended');
    expect(back?.lifecycle.hold).toEqual(hold);
    expect(
      (await store.tenantEvents('tenant:default/acme')).map(e => [
        e.type,
        e.at,
      ]),
    ).toEqual([
      ['activated', at(2)],
      ['suspended', at(3)],
    ]);
  });

  it('hands the outbox to each subscriber after its acknowledged place, which only moves forward', async () => {
    await store.syncTenants([tenant('a'), tenant('b'), tenant('c')], at(0));
    // three tenants activated: three events
    for (const name of ['a', 'b', 'c']) {
      const [c] = await store.claim({
        owner: 'x',
        limit: 1,
        now: at(10),
        leaseUntil: at(60),
        tenantRef: `tenant:default/${name}`,
      });
      await store.release({
        tenantRef: c.tenantRef,
        owner: 'x',
        requestSeq: c.requestSeq,
        phase: 'active',
        now: at(11),
      });
    }
    const all = await store.lifecycleEvents('billing', 10);
    expect(all.map(e => e.tenantRef)).toEqual([
      'tenant:default/a',
      'tenant:default/b',
      'tenant:default/c',
    ]);
    expect(new Set(all.map(e => e.id)).size).toBe(3);
    expect(await store.lifecycleEvents('billing', 2)).toHaveLength(2);
    expect(await store.ackLifecycleEvents('billing', all[1].seq, at(12))).toBe(
      all[1].seq,
    );
    expect(await store.lifecycleEvents('billing', 10)).toEqual([all[2]]);
    // backwards and beyond the newest are clamped
    expect(await store.ackLifecycleEvents('billing', 0, at(13))).toBe(
      all[1].seq,
    );
    expect(
      await store.ackLifecycleEvents('billing', all[2].seq + 100, at(14)),
    ).toBe(all[2].seq);
    expect(await store.lifecycleEvents('billing', 10)).toEqual([]);
    expect(await store.lifecycleEvents('reports', 10)).toEqual(all);
  });

  it('records what a suspension froze, first value kept, until it is forgotten', async () => {
    const frozen = (objectId: string, previous: unknown) => ({
      system: 'stalwart' as const,
      objectId,
      tenantRef: 'tenant:default/acme',
      objectName: `${objectId}@acme.example`,
      previous,
      frozenAt: at(0),
    });
    await store.recordFrozen([frozen('a1', { '@type': 'Inherit' })]);
    await store.recordFrozen([
      frozen('a1', { '@type': 'Merge' }),
      frozen('a2', { '@type': 'Inherit' }),
    ]);
    const found = await store.frozen('stalwart', ['a1', 'a2', 'a3']);
    expect([...found.keys()].sort()).toEqual(['a1', 'a2']);
    expect(found.get('a1')!.previous).toEqual({ '@type': 'Inherit' });
    expect(await store.hasFrozen('stalwart', 'tenant:default/acme')).toBe(true);
    expect(await store.hasFrozen('authentik', 'tenant:default/acme')).toBe(
      false,
    );
    await store.forgetFrozen('stalwart', ['a1', 'a2']);
    expect(await store.hasFrozen('stalwart', 'tenant:default/acme')).toBe(
      false,
    );
  });

  it('holds a claimed tenant until its lease ends, and frees it when its instance dies', async () => {
    await store.syncTenants([tenant('acme')], at(0));
    const [first] = await store.claim({
      owner: 'a',
      limit: 1,
      now: at(1),
      leaseUntil: at(61),
    });
    expect(first.name).toBe('acme');
    expect(
      await store.claim({
        owner: 'b',
        limit: 1,
        now: at(30),
        leaseUntil: at(90),
      }),
    ).toEqual([]);
    // on demand too: held
    expect(
      await store.claim({
        owner: 'b',
        limit: 1,
        now: at(30),
        leaseUntil: at(90),
        tenantRef: 'tenant:default/acme',
      }),
    ).toEqual([]);
    await store.renewLeases('a', ['tenant:default/acme'], at(100));
    expect(
      await store.claim({
        owner: 'b',
        limit: 1,
        now: at(70),
        leaseUntil: at(130),
      }),
    ).toEqual([]);
    const [taken] = await store.claim({
      owner: 'b',
      limit: 1,
      now: at(101),
      leaseUntil: at(160),
    });
    expect(taken.name).toBe('acme');
    // the dead owner's release changes nothing
    await store.release({
      tenantRef: taken.tenantRef,
      owner: 'a',
      requestSeq: first.requestSeq,
      phase: 'active',
      now: at(102),
    });
    expect((await store.tenant(taken.tenantRef))?.phase).toBe('pending');
    // given back unworked (by its holder only): due again at once, same trigger
    await store.unclaim('a', [taken.tenantRef]);
    expect(
      await store.claim({
        owner: 'c',
        limit: 1,
        now: at(103),
        leaseUntil: at(160),
      }),
    ).toEqual([]);
    const before = await store.tenant(taken.tenantRef);
    await store.unclaim('b', [taken.tenantRef]);
    expect(await store.tenant(taken.tenantRef)).toEqual(before);
    const [again] = await store.claim({
      owner: 'c',
      limit: 1,
      now: at(103),
      leaseUntil: at(160),
    });
    expect(again.tenantRef).toBe(taken.tenantRef);
  });

  it('claims work under way (retries, rechecks) before new work, then the longest due first', async () => {
    await store.syncTenants(
      [tenant('acme'), tenant('beta'), tenant('gamma')],
      at(0),
    );
    const [first] = await store.claim({
      owner: 'a',
      limit: 1,
      now: at(1),
      leaseUntil: at(60),
    });
    // the first one worked is due again for a recheck, after the others
    await store.release({
      tenantRef: first.tenantRef,
      owner: 'a',
      requestSeq: first.requestSeq,
      phase: 'pending',
      dueAt: at(2),
      now: at(1),
    });
    const order = await store.claim({
      owner: 'a',
      limit: 3,
      now: at(3),
      leaseUntil: at(60),
    });
    expect(order.map(c => [c.name, c.trigger])).toEqual([
      [first.name, 'retry'],
      ...['acme', 'beta', 'gamma']
        .filter(n => n !== first.name)
        .map(n => [n, 'catalog']),
    ]);
  });

  it('keeps a tenant due when it was asked for while being worked, else due at the retry time or never', async () => {
    await store.syncTenants([tenant('acme'), tenant('beta')], at(0));
    const claimed = await store.claim({
      owner: 'a',
      limit: 2,
      now: at(1),
      leaseUntil: at(60),
    });
    expect(await store.enqueue('tenant:default/acme', 'reconcile', at(2))).toBe(
      true,
    );
    expect(await store.enqueue('tenant:default/nope', 'reconcile', at(2))).toBe(
      false,
    );
    for (const c of claimed) {
      await store.release({
        tenantRef: c.tenantRef,
        owner: 'a',
        requestSeq: c.requestSeq,
        phase: 'pending',
        ...(c.name === 'beta' ? { dueAt: at(30) } : {}),
        now: at(3),
      });
    }
    const acme = await store.tenant('tenant:default/acme');
    expect([acme?.dueAt, acme?.trigger]).toEqual([at(3), 'reconcile']);
    const beta = await store.tenant('tenant:default/beta');
    expect([beta?.dueAt, beta?.trigger]).toEqual([at(30), 'retry']);
    const again = await store.claim({
      owner: 'a',
      limit: 5,
      now: at(4),
      leaseUntil: at(60),
    });
    expect(again.map(c => c.name)).toEqual(['acme']);
    await store.release({
      tenantRef: again[0].tenantRef,
      owner: 'a',
      requestSeq: again[0].requestSeq,
      phase: 'active',
      now: at(5),
    });
    expect((await store.tenant('tenant:default/acme'))?.dueAt).toBeUndefined();
    // nothing due before beta's retry time, then beta
    const claimAt = async (t: number) =>
      (
        await store.claim({
          owner: 'a',
          limit: 5,
          now: at(t),
          leaseUntil: at(90),
        })
      ).map(c => c.name);
    expect(await claimAt(6)).toEqual([]);
    expect(await claimAt(31)).toEqual(['beta']);
  });

  it('lists with filters and the partner scope in SQL, and counts by phase and step status', async () => {
    await store.syncTenants(
      [tenant('acme', 'nord'), tenant('beta', 'alp'), tenant('delta')],
      at(0),
    );
    await store.setPhase('tenant:default/acme', 'active');
    await store.setPhase('tenant:default/beta', 'degraded');
    await store.saveCondition(
      'tenant:default/acme',
      condition('stalwart', 'ok'),
    );
    await store.saveCondition(
      'tenant:default/beta',
      condition('stalwart', 'error'),
    );
    await store.saveCondition(
      'tenant:default/delta',
      condition('ocis', 'error'),
    );

    const names = async (filter: Parameters<ProvisioningStore['list']>[0]) =>
      (await store.list(filter)).items.map(t => t.name);
    expect(await names({})).toEqual(['acme', 'beta', 'delta']);
    expect(await names({ phase: 'degraded' })).toEqual(['beta']);
    expect(await names({ status: 'error' })).toEqual(['beta', 'delta']);
    expect(await names({ step: 'stalwart', status: 'error' })).toEqual([
      'beta',
    ]);
    expect(await names({ names: ['ACME', 'delta'] })).toEqual([
      'acme',
      'delta',
    ]);
    expect(await store.list({ limit: 1, offset: 1 })).toMatchObject({
      items: [{ name: 'beta' }],
      total: 3,
    });
    // IS_TENANT_OF_PARTNER as the permission framework hands it to queries
    const nord = {
      column: 'partnerRef' as const,
      values: ['partner:default/nord'],
    };
    expect(await names({ scope: nord })).toEqual(['acme']);
    expect(await names({ scope: nord, status: 'error' })).toEqual([]);

    const all = await store.summary();
    expect(all.phases).toEqual({ pending: 1, active: 1, degraded: 1 });
    expect(all.steps.stalwart).toMatchObject({ ok: 1, error: 1, pending: 0 });
    expect(all.steps.ocis).toMatchObject({ error: 1 });
    const scoped = await store.summary(nord);
    expect(scoped.phases).toEqual({ pending: 0, active: 1, degraded: 0 });
    expect(scoped.steps.stalwart).toMatchObject({ ok: 1, error: 0 });
    expect(scoped.steps.ocis.error).toBe(0);
  });

  it('stores conditions whole and keeps the newest attempts per step', async () => {
    await store.syncTenants([tenant('acme')], at(0));
    const ref = 'tenant:default/acme';
    const full: StoredCondition = {
      step: 'authentik',
      status: 'error',
      reason: 'SystemUnavailable',
      message: 'authentik: create group acme: HTTP 503',
      lastTransitionTime: at(1),
      lastOkAt: at(0),
      lastAttemptAt: at(1),
      attempts: 3,
      nextAttemptAt: at(9),
      observedGeneration: 'g1',
      external: { groupId: 'abc' },
      observed: { group: 'acme' },
      createStartedAt: at(1),
    };
    for (let i = 0; i < ATTEMPTS_KEPT + 5; i++) {
      await store.saveCondition(ref, full, {
        step: 'authentik',
        trigger: 'retry',
        startedAt: at(i),
        finishedAt: at(i),
        status: 'error',
        message: `try ${i}`,
        changes: [],
      });
    }
    expect((await store.conditions([ref])).get(ref)).toEqual([full]);
    const attempts = await store.attempts(ref);
    expect(attempts).toHaveLength(ATTEMPTS_KEPT);
    expect(attempts[0].message).toBe(`try ${ATTEMPTS_KEPT + 4}`);
    await store.markCreateStarted(ref, 'authentik', null);
    expect(
      (await store.conditions([ref])).get(ref)![0].createStartedAt,
    ).toBeUndefined();
  });

  it('replaces the DNS records of a tenant', async () => {
    const ref = 'tenant:default/acme';
    const mx = {
      name: 'acme.example',
      type: 'MX',
      value: '10 mail.acme.example.',
    };
    await store.saveDnsRecords(
      ref,
      [
        { domain: 'b.example', records: [mx], zoneFile: 'b' },
        { domain: 'a.example', records: [mx], zoneFile: 'a' },
      ],
      at(0),
    );
    await store.saveDnsRecords(
      ref,
      [{ domain: 'a.example', records: [mx, mx], zoneFile: 'a' }],
      at(1),
    );
    expect(await store.dnsRecords(ref)).toEqual([
      { domain: 'a.example', records: [mx, mx], readAt: at(1) },
    ]);
  });
});

describeOnPostgres(databases, 'ProvisioningStore across instances', () => {
  it('gives two instances claiming at once different tenants (FOR UPDATE SKIP LOCKED)', async () => {
    const knex = await databases.init('POSTGRES_15');
    const a = await createStore(knex);
    const b = new ProvisioningStore(knex);
    await a.syncTenants(
      Array.from({ length: 40 }, (_, i) =>
        tenant(`t${String(i).padStart(2, '0')}`),
      ),
      at(0),
    );
    const claims = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        (i % 2 ? a : b).claim({
          owner: `o${i}`,
          limit: 5,
          now: at(1),
          leaseUntil: at(60),
        }),
      ),
    );
    const all = claims.flat().map(c => c.name);
    expect(all).toHaveLength(40);
    expect(new Set(all).size).toBe(40);
  });

  it('lets one holder at a time refresh a rotating credential', async () => {
    const knex = await databases.init('POSTGRES_15');
    const store = await createStore(knex);
    const seen: string[] = [];
    let inside = 0;
    let overlapped = false;
    const holder = (n: number) =>
      store.withCredential('ocis', async stored => {
        inside += 1;
        if (inside > 1) overlapped = true;
        seen.push(stored?.refreshToken ?? 'none');
        await new Promise(r => setTimeout(r, 30));
        inside -= 1;
        return { result: n, store: { refreshToken: `r${n}` } };
      });
    await Promise.all([1, 2, 3, 4].map(holder));
    expect(overlapped).toBe(false);
    // each holder saw the token the one before it stored
    expect(seen[0]).toBe('none');
    expect(new Set(seen).size).toBe(4);
  });
});
