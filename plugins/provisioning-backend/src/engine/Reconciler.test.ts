import { mockServices } from '@backstage/backend-test-utils';
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import { AuditEventInput } from '@internal/plugin-audit-common';
import { ProvisioningStep } from '@internal/plugin-provisioning-common';
import { SystemError } from '../clients/SystemHttp';
import { ProvisioningStore } from '../database/ProvisioningStore';
import { StepDriver, StepResult, StepWork, TeardownWork } from '../steps/types';
import { DesiredTenant } from './desired';
import { ProvisioningEngine } from './ProvisioningEngine';
import { Reconciler } from './Reconciler';

jest.setTimeout(120_000);

const databases = dezkyTestDatabases();

/** A system whose answers the test sets, counting the calls it gets. */
class FakeStep implements StepDriver {
  calls = 0;
  fail?: () => Error;
  /** The ids of what exists in the fake system. */
  readonly existing = new Set<string>();
  constructor(readonly step: ProvisioningStep) {}
  async converge(work: StepWork): Promise<StepResult> {
    this.calls += 1;
    if (this.fail) throw this.fail();
    const id = `${this.step}-${work.tenant.name}`;
    const created = !this.existing.has(id);
    if (created) {
      await work.beforeCreate();
      this.existing.add(id);
    }
    return {
      status: 'ok',
      external: { id },
      observed: work.desired,
      changes: created
        ? [{ verb: 'created', object: 'group', id, name: work.tenant.name }]
        : [],
    };
  }
  async drift(converged: Parameters<StepDriver['drift']>[0]) {
    return converged
      .filter(c => !this.existing.has(c.condition.external?.id ?? ''))
      .map(c => ({ tenantRef: c.tenant.tenantRef, message: 'gone' }));
  }
  async teardownMembers() {}
  async teardownResources(work: TeardownWork) {
    const id = `${this.step}-${work.tenant.name}`;
    if (this.fail) throw this.fail();
    if (this.existing.delete(id)) {
      work.changes.push({
        verb: 'deleted',
        object: 'group',
        id,
        name: work.tenant.name,
      });
    }
  }
}

const desired = (
  name: string,
  extra: Partial<DesiredTenant> = {},
): DesiredTenant => ({
  tenantRef: `tenant:default/${name}`,
  name,
  partnerRef: 'partner:default/nord',
  status: 'active',
  plan: 'business',
  seats: 10,
  domains: [`${name}.example`],
  integrations: ['authentik', 'stalwart', 'ocis'],
  planned: [],
  ...extra,
});

describe.each(databases.eachSupportedId())('the reconcile engine on %p', id => {
  let now: number;
  let steps: Record<ProvisioningStep, FakeStep>;
  let enabled: Set<string>;
  let audited: AuditEventInput[];
  let store: ProvisioningStore;
  let engine: ProvisioningEngine;

  beforeEach(async () => {
    now = Date.parse('2026-12-07T10:00:00.000Z');
    steps = {
      authentik: new FakeStep('authentik'),
      stalwart: new FakeStep('stalwart'),
      ocis: new FakeStep('ocis'),
    };
    enabled = new Set(['tenant:default/acme', 'tenant:default/beta']);
    audited = [];
    store = await ProvisioningStore.create({
      database: mockServices.database({ knex: await databases.init(id) }),
    });
    const drivers = Object.values(steps);
    const clock = () => now;
    engine = new ProvisioningEngine({
      store,
      drivers,
      logger: mockServices.logger.mock(),
      now: clock,
      reconciler: new Reconciler({
        store,
        drivers,
        logger: mockServices.logger.mock(),
        enabled: async ref => enabled.has(ref),
        trail: {
          record: async events => {
            audited.push(...events);
            return [];
          },
        },
        now: clock,
        random: () => 0.5,
      }),
    });
  });

  const conditions = async (name: string) =>
    (await store.conditions([`tenant:default/${name}`])).get(
      `tenant:default/${name}`,
    ) ?? [];
  const status = async (name: string) =>
    Object.fromEntries((await conditions(name)).map(c => [c.step, c.status]));

  it('converges a new tenant, audits what it created, and then calls nothing while nothing changes', async () => {
    await engine.sync([desired('acme')]);
    await engine.drain();
    expect(await status('acme')).toEqual({
      authentik: 'ok',
      stalwart: 'ok',
      ocis: 'ok',
    });
    expect((await store.tenant('tenant:default/acme'))?.phase).toBe('active');
    expect(
      audited.map(e => [e.action, e.tenant, e.partner, e.metadata?.step]),
    ).toEqual(
      expect.arrayContaining([
        [
          'provisioning.group.created',
          'tenant:default/acme',
          'partner:default/nord',
          'authentik',
        ],
        [
          'provisioning.group.created',
          'tenant:default/acme',
          'partner:default/nord',
          'ocis',
        ],
      ]),
    );
    const calls = steps.authentik.calls;
    now += 60_000;
    await engine.sync([desired('acme')]);
    await engine.drain();
    expect(steps.authentik.calls).toBe(calls);
    expect(await store.attempts('tenant:default/acme')).toHaveLength(3);
  });

  it('keeps steps independent: one failing leaves the others ok and is retried with growing waits, not before', async () => {
    steps.stalwart.fail = () =>
      new SystemError(
        'stalwart',
        'create domain acme.example',
        'cannot reach http://127.0.0.1:1 (ECONNREFUSED)',
      );
    await engine.sync([desired('acme')]);
    await engine.drain();
    expect(await status('acme')).toEqual({
      authentik: 'ok',
      stalwart: 'error',
      ocis: 'ok',
    });
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      const c = (await conditions('acme')).find(x => x.step === 'stalwart')!;
      expect(c.message).toBe(
        'stalwart: create domain acme.example: cannot reach http://127.0.0.1:1 (ECONNREFUSED)',
      );
      expect(c.reason).toBe('SystemUnavailable');
      waits.push(Date.parse(c.nextAttemptAt!) - now);
      const calls = steps.stalwart.calls;
      now = Date.parse(c.nextAttemptAt!) - 1;
      await engine.drain();
      expect(steps.stalwart.calls).toBe(calls); // not before its time
      now += 1;
      await engine.drain();
      expect(steps.stalwart.calls).toBe(calls + 1);
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000]);
    expect(steps.authentik.calls).toBe(1);
    // back up: converges with no action
    steps.stalwart.fail = undefined;
    const c = (await conditions('acme')).find(x => x.step === 'stalwart')!;
    now = Date.parse(c.nextAttemptAt!);
    await engine.drain();
    expect(await status('acme')).toMatchObject({ stalwart: 'ok' });
    expect((await store.tenant('tenant:default/acme'))?.phase).toBe('active');
  });

  it('shows a tenant degraded when a step fails after having been ok; a reconcile on demand resets the backoff', async () => {
    await engine.sync([desired('acme')]);
    await engine.drain();
    steps.ocis.fail = () =>
      new SystemError('ocis', 'read space x', 'HTTP 500', 500);
    expect(
      await engine.reconcileNow('tenant:default/acme', {
        userRef: 'user:default/anna.schmidt',
      }),
    ).toBe('done');
    expect((await store.tenant('tenant:default/acme'))?.phase).toBe('degraded');
    for (let i = 0; i < 3; i++) {
      await engine.reconcileNow('tenant:default/acme', {});
    }
    const c = (await conditions('acme')).find(x => x.step === 'ocis')!;
    expect(c.attempts).toBe(1);
    expect(Date.parse(c.nextAttemptAt!) - now).toBe(1000);
    expect(
      await engine.reconcileNow('tenant:default/nope', {}),
    ).toBeUndefined();
  });

  it('pauses every step of a tenant whose tenant_provisioning flag is off, calling nothing', async () => {
    await engine.sync([desired('gamma')]);
    await engine.drain();
    expect(await status('gamma')).toEqual({
      authentik: 'paused',
      stalwart: 'paused',
      ocis: 'paused',
    });
    expect((await conditions('gamma')).map(c => c.message)).toEqual(
      Array(3).fill(
        'the tenant_provisioning flag is off for this tenant: nothing is called',
      ),
    );
    expect(
      steps.authentik.calls + steps.stalwart.calls + steps.ocis.calls,
    ).toBe(0);
    expect((await store.tenant('tenant:default/gamma'))?.phase).toBe('pending');
    enabled.add('tenant:default/gamma');
    await engine.reconcileNow('tenant:default/gamma', {});
    expect(await status('gamma')).toEqual({
      authentik: 'ok',
      stalwart: 'ok',
      ocis: 'ok',
    });
  });

  it('skips what the tenant does not need, saying why, and works a step again when its part of the catalog changes', async () => {
    await engine.sync([
      desired('acme', {
        integrations: ['authentik', 'ocis'],
        planned: ['ocis'],
      }),
    ]);
    await engine.drain();
    const cs = await conditions('acme');
    expect(cs.map(c => [c.step, c.status, c.message])).toEqual([
      ['authentik', 'ok', undefined],
      ['stalwart', 'skipped', 'not in spec.integrations'],
      ['ocis', 'skipped', 'planned'],
    ]);
    expect((await store.tenant('tenant:default/acme'))?.phase).toBe('active');
    now += 1000;
    await engine.sync([
      desired('acme', { integrations: ['authentik', 'stalwart'] }),
    ]);
    await engine.drain();
    expect(await status('acme')).toEqual({
      authentik: 'ok',
      stalwart: 'ok',
      ocis: 'skipped',
    });
    expect(steps.authentik.calls).toBe(1); // its part did not change
  });

  it('works a terminated tenant queued again (the catalog missed it for a round, as after a restart) once, and leaves it: its past grace period makes it due no more', async () => {
    const ref = 'tenant:default/acme';
    await engine.sync([desired('acme')]);
    await engine.drain();
    await engine.sync([desired('acme', { status: 'cancelled' })]);
    await engine.drain();
    now += 31 * 24 * 3600_000;
    await engine.drain();
    expect((await store.tenant(ref))?.status).toBe('terminated');
    expect((await store.tenant(ref))?.dueAt).toBeUndefined();

    await engine.sync([]);
    now += 5_000;
    const calls = steps.authentik.calls;
    // every claim takes a second: a drain that never runs out of work ends
    // at its deadline (50 s) instead of spinning for ever
    const claim = store.claim.bind(store);
    jest.spyOn(store, 'claim').mockImplementation(async options => {
      now += 1_000;
      return claim(options);
    });
    // back in the catalog: queued, and a drain is kicked
    await engine.sync([desired('acme', { status: 'cancelled' })]);
    expect(await engine.drain()).toBe(1);
    const after = await store.tenant(ref);
    expect([after?.status, after?.dueAt]).toEqual(['terminated', undefined]);
    // nothing is due, now or later: no instance claims it again
    now += 60_000;
    expect(
      await store.claim({
        owner: 'another-instance',
        limit: 10,
        now: new Date(now).toISOString(),
        leaseUntil: new Date(now + 60_000).toISOString(),
      }),
    ).toEqual([]);
    expect(steps.authentik.calls).toBe(calls);
  });

  it('queues tenants whose objects drifted, and audits their repair as drift', async () => {
    await engine.sync([desired('acme'), desired('beta')]);
    await engine.drain();
    steps.authentik.existing.delete('authentik-beta');
    audited = [];
    const report = await engine.resync();
    expect(report.drifted).toEqual([
      { tenantRef: 'tenant:default/beta', step: 'authentik', message: 'gone' },
    ]);
    await engine.drain();
    expect(await status('beta')).toMatchObject({ authentik: 'ok' });
    expect(audited.map(e => [e.action, e.tenant, e.metadata?.drift])).toEqual([
      ['provisioning.drift.repaired', 'tenant:default/beta', 'gone'],
    ]);
  });
});
