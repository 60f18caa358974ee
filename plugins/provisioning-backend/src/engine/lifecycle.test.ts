import { LifecycleEventType } from '@internal/plugin-provisioning-common';
import {
  lifecycleMode,
  LifecycleState,
  publicLifecycle,
  transition,
} from './lifecycle';

const NOW = '2026-12-07T10:00:00.000Z';
const DAY = 86_400_000;
const hold = (kind: 'suspended' | 'terminating') => ({
  kind,
  reason: 'unpaid invoices',
  by: 'user:default/anna.schmidt',
  byName: 'anna.schmidt@dezky.example',
  at: NOW,
});

const base: LifecycleState = {
  tenantRef: 'tenant:default/acme',
  partnerRef: 'partner:default/nord',
  gitStatus: 'active',
  plan: 'business',
  seats: 10,
  phase: 'active',
  activatedAt: '2026-12-01T00:00:00.000Z',
  announced: { status: 'active', plan: 'business', seats: 10 },
};

let n = 0;
const newId = () => `e${++n}`;
const types = (s: LifecycleState) =>
  transition(s, NOW, 30 * DAY, newId).events.map(e => e.type);

describe('the lifecycle', () => {
  it.each<[string, Partial<LifecycleState>, string, LifecycleEventType[]]>([
    // name, change from an active announced tenant, status after, events
    ['nothing changed', {}, 'active', []],
    [
      'suspended in git',
      { gitStatus: 'suspended' },
      'suspended',
      ['suspended'],
    ],
    [
      'suspended in the portal',
      { hold: hold('suspended') },
      'suspended',
      ['suspended'],
    ],
    [
      'cancelled in git',
      { gitStatus: 'cancelled' },
      'terminating',
      ['terminating'],
    ],
    [
      'terminated in the portal',
      { hold: hold('terminating') },
      'terminating',
      ['terminating'],
    ],
    [
      'a portal hold is stricter than git active',
      { gitStatus: 'active', hold: hold('suspended') },
      'suspended',
      ['suspended'],
    ],
    [
      'terminating beats suspended',
      { gitStatus: 'suspended', hold: hold('terminating') },
      'terminating',
      ['terminating'],
    ],
    [
      'torn down',
      { hold: hold('terminating'), terminatedAt: NOW },
      'terminated',
      ['terminated'],
    ],
    ['seats changed', { seats: 12 }, 'active', ['seatsChanged']],
    ['plan changed', { plan: 'enterprise' }, 'active', ['planChanged']],
    [
      'suspended and seats changed in one edit',
      { gitStatus: 'suspended', seats: 3 },
      'suspended',
      ['suspended', 'seatsChanged'],
    ],
  ])('%s', (_name, change, status, events) => {
    const t = transition({ ...base, ...change }, NOW, 30 * DAY, newId);
    expect(t.status).toBe(status);
    expect(t.events.map(e => e.type)).toEqual(events);
    expect(t.state.announced).toEqual({
      status,
      plan: change.plan ?? 'business',
      seats: change.seats ?? 10,
    });
  });

  it('announces activation once, when first active and provisioned; nothing before', () => {
    const fresh: LifecycleState = {
      ...base,
      phase: 'pending',
      activatedAt: undefined,
      announced: undefined,
    };
    expect(types(fresh)).toEqual([]);
    expect(
      types({ ...fresh, phase: 'active', gitStatus: 'suspended' }),
    ).toEqual([]);
    expect(types({ ...fresh, seats: 99 })).toEqual([]);
    const activated = transition(
      { ...fresh, phase: 'active' },
      NOW,
      30 * DAY,
      newId,
    );
    expect(activated.events).toEqual([
      expect.objectContaining({
        type: 'activated',
        tenantRef: 'tenant:default/acme',
        partnerRef: 'partner:default/nord',
        status: 'active',
        plan: 'business',
        seats: 10,
        at: NOW,
      }),
    ]);
    // and never again, even when the phase goes back and forth
    expect(types({ ...activated.state, phase: 'degraded' })).toEqual([]);
    expect(types({ ...activated.state, phase: 'active' })).toEqual([]);
  });

  it('starts the grace period when terminating begins, keeps it, and ends it on resume', () => {
    const started = transition(
      { ...base, hold: hold('terminating') },
      NOW,
      7 * DAY,
      newId,
    );
    expect(started.state.terminationStartedAt).toBe(NOW);
    expect(started.state.graceUntil).toBe('2026-12-14T10:00:00.000Z');
    expect(started.events[0]).toMatchObject({
      type: 'terminating',
      source: 'portal',
      reason: 'unpaid invoices',
      actor: 'user:default/anna.schmidt',
      graceEndsAt: '2026-12-14T10:00:00.000Z',
      previous: { status: 'active' },
    });
    // git cancelling too changes nothing: the first one started the clock
    const later = transition(
      { ...started.state, gitStatus: 'cancelled' },
      '2026-12-09T00:00:00.000Z',
      7 * DAY,
      newId,
    );
    expect(later.state.graceUntil).toBe('2026-12-14T10:00:00.000Z');
    expect(later.events).toEqual([]);
    // resume: the portal hold goes, git still cancels → still terminating
    const resumedInPortal = transition(
      { ...later.state, hold: undefined },
      NOW,
      7 * DAY,
      newId,
    );
    expect(resumedInPortal.status).toBe('terminating');
    expect(resumedInPortal.state.graceUntil).toBe('2026-12-14T10:00:00.000Z');
    // and the YAML no longer cancelled → active, the clock gone
    const back = transition(
      { ...resumedInPortal.state, gitStatus: 'active' },
      NOW,
      7 * DAY,
      newId,
    );
    expect(back.status).toBe('active');
    expect(back.state.graceUntil).toBeUndefined();
    expect(back.events.map(e => e.type)).toEqual(['resumed']);
  });

  it('works in the mode of its status, tearing down only after the grace period', () => {
    const terminating = transition(
      { ...base, hold: hold('terminating') },
      NOW,
      DAY,
      newId,
    ).state;
    expect(lifecycleMode(base, Date.parse(NOW))).toBe('active');
    expect(lifecycleMode({ ...base, gitStatus: 'suspended' }, 0)).toBe(
      'suspended',
    );
    expect(lifecycleMode(terminating, Date.parse(NOW) + DAY - 1)).toBe(
      'suspended',
    );
    expect(lifecycleMode(terminating, Date.parse(NOW) + DAY)).toBe('teardown');
    expect(
      lifecycleMode({ ...terminating, terminatedAt: NOW }, Date.parse(NOW)),
    ).toBe('terminated');
  });

  it('says where the status comes from', () => {
    expect(publicLifecycle({ ...base, hold: hold('suspended') })).toMatchObject(
      {
        status: 'suspended',
        source: 'portal',
        description:
          'suspended in the portal by anna.schmidt@dezky.example on 2026-12-07: unpaid invoices',
      },
    );
    expect(
      publicLifecycle({ ...base, gitStatus: 'suspended' }).description,
    ).toBe('suspended in git (spec.status: suspended)');
    const cancelled = transition(
      { ...base, gitStatus: 'cancelled' },
      NOW,
      30 * DAY,
      newId,
    ).state;
    expect(publicLifecycle(cancelled)).toMatchObject({
      status: 'terminating',
      source: 'git',
      graceEndsAt: '2027-01-06T10:00:00.000Z',
      description:
        'cancelled in git (spec.status: cancelled); torn down on 2027-01-06 unless resumed',
    });
    expect(
      publicLifecycle({
        ...cancelled,
        terminatedAt: '2027-01-06T10:00:05.000Z',
      }).description,
    ).toBe('terminated on 2027-01-06 (cancelled in git)');
  });
});
