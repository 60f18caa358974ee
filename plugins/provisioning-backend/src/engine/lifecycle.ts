import {
  describeLifecycle,
  effectiveStatus,
  GitTenantStatus,
  LifecycleEvent,
  LifecycleEventType,
  TenantHold,
  TenantLifecycle,
  TenantPhase,
  TenantStatus,
} from '@internal/plugin-provisioning-common';

/** The default grace period between Terminate and the teardown (config `provisioning.lifecycle.gracePeriod`). */
export const DEFAULT_GRACE_MS = 30 * 86_400_000;

/** What the store keeps of a tenant's lifecycle. */
export interface LifecycleState {
  tenantRef: string;
  partnerRef?: string;
  gitStatus: GitTenantStatus;
  plan: string;
  seats: number;
  phase: TenantPhase;
  hold?: TenantHold;
  terminationStartedAt?: string;
  graceUntil?: string;
  terminatedAt?: string;
  /** When the tenant was first provisioned and active (the `activated` event). */
  activatedAt?: string;
  /** What the events last said. */
  announced?: { status: TenantStatus; plan: string; seats: number };
}

/** An event before the outbox gives it its place (`seq`). */
export type NewLifecycleEvent = Omit<LifecycleEvent, 'seq'>;

/** The state after a change of its inputs, and the events the change makes. */
export interface Transition {
  state: LifecycleState;
  status: TenantStatus;
  events: NewLifecycleEvent[];
}

/** The event a status change is announced as. */
function statusEvent(to: TenantStatus): LifecycleEventType {
  switch (to) {
    case 'active':
      return 'resumed';
    case 'suspended':
      return 'suspended';
    case 'terminating':
      return 'terminating';
    default:
      return 'terminated';
  }
}

/**
 * Brings a tenant's lifecycle up to date after one of its inputs changed
 * (the catalog's status, plan or seats; a portal hold; the phase; a
 * finished teardown), and says which events that makes:
 * - entering `terminating` starts the grace period; leaving it (Resume,
 *   the YAML no longer cancelled) ends it;
 * - `activated` once, when the tenant is first active and provisioned;
 *   before that nothing is announced (there is nothing to follow yet);
 * - after it, every change of status (`suspended`, `resumed`,
 *   `terminating`, `terminated`), plan (`planChanged`) and seats
 *   (`seatsChanged`).
 * `newId` gives each event its stable id.
 */
export function transition(
  before: LifecycleState,
  now: string,
  graceMs: number,
  newId: () => string,
): Transition {
  const state: LifecycleState = { ...before };
  const { status, source } = effectiveStatus(state);
  if (status === 'terminating' && !state.terminationStartedAt) {
    state.terminationStartedAt = now;
    state.graceUntil = new Date(Date.parse(now) + graceMs).toISOString();
  } else if (status === 'active' || status === 'suspended') {
    delete state.terminationStartedAt;
    delete state.graceUntil;
  }

  const events: NewLifecycleEvent[] = [];
  const event = (
    type: LifecycleEventType,
    previous?: LifecycleEvent['previous'],
  ) =>
    events.push({
      id: newId(),
      type,
      tenantRef: state.tenantRef,
      ...(state.partnerRef ? { partnerRef: state.partnerRef } : {}),
      at: now,
      status,
      plan: state.plan,
      seats: state.seats,
      ...(previous ? { previous } : {}),
      ...(source ? { source } : {}),
      ...(source === 'portal' && state.hold
        ? { reason: state.hold.reason, actor: state.hold.by }
        : {}),
      ...(status === 'terminating' && state.graceUntil
        ? { graceEndsAt: state.graceUntil }
        : {}),
    });

  if (!state.activatedAt) {
    if (status === 'active' && state.phase === 'active') {
      state.activatedAt = now;
      state.announced = { status, plan: state.plan, seats: state.seats };
      event('activated');
    }
    return { state, status, events };
  }
  const announced = state.announced ?? {
    status,
    plan: state.plan,
    seats: state.seats,
  };
  if (announced.status !== status) {
    event(statusEvent(status), { status: announced.status });
  }
  if (announced.plan !== state.plan) {
    event('planChanged', { plan: announced.plan });
  }
  if (announced.seats !== state.seats) {
    event('seatsChanged', { seats: announced.seats });
  }
  state.announced = { status, plan: state.plan, seats: state.seats };
  return { state, status, events };
}

/** The lifecycle as the API shows it. */
export function publicLifecycle(state: LifecycleState): TenantLifecycle {
  const { status, source } = effectiveStatus(state);
  const lifecycle: Omit<TenantLifecycle, 'description'> = {
    status,
    ...(source ? { source } : {}),
    gitStatus: state.gitStatus,
    ...(state.hold ? { hold: state.hold } : {}),
    ...(state.terminationStartedAt
      ? { terminationStartedAt: state.terminationStartedAt }
      : {}),
    ...(state.graceUntil ? { graceEndsAt: state.graceUntil } : {}),
    ...(state.terminatedAt ? { terminatedAt: state.terminatedAt } : {}),
  };
  return { ...lifecycle, description: describeLifecycle(lifecycle) };
}

/**
 * What the steps do for a tenant in its status: converge (`active`), keep
 * it suspended (`suspended`, and `terminating` inside the grace period),
 * tear it down (`teardown`, after it), or nothing (`terminated`).
 */
export type LifecycleMode = 'active' | 'suspended' | 'teardown' | 'terminated';

export function lifecycleMode(
  state: LifecycleState,
  now: number,
): LifecycleMode {
  const { status } = effectiveStatus(state);
  if (status === 'terminated') return 'terminated';
  if (status === 'terminating') {
    return state.graceUntil && Date.parse(state.graceUntil) <= now
      ? 'teardown'
      : 'suspended';
  }
  return status;
}
