/**
 * A tenant's effective status, the stricter of `spec.status` in git and a
 * hold set in the portal (terminated > terminating > suspended > active):
 * - `active`: provisioned as the catalog asks;
 * - `suspended`: nobody of the tenant can sign in (Authentik users
 *   inactive, sessions ended), its mailboxes are frozen (mail kept), its
 *   OCIS space is disabled (data kept);
 * - `terminating`: suspended, and torn down when the grace period ends
 *   (Resume inside it cancels);
 * - `terminated`: torn down; the records and the audit trail are kept.
 */
export type TenantStatus =
  | 'active'
  | 'suspended'
  | 'terminating'
  | 'terminated';

export const TENANT_STATUSES: readonly TenantStatus[] = [
  'active',
  'suspended',
  'terminating',
  'terminated',
];

/** `spec.status` in the Tenant's YAML (absent means active). */
export type GitTenantStatus = 'active' | 'suspended' | 'cancelled';

/** A hold set in the portal: survives catalog edits until Resume lifts it. */
export interface TenantHold {
  kind: 'suspended' | 'terminating';
  reason: string;
  /** The user's entity ref (`user:default/anna.schmidt`). */
  by: string;
  /** How people know them: their email, else the ref's name. */
  byName: string;
  /** ISO 8601. */
  at: string;
}

/** A tenant's lifecycle, as every screen shows it. */
export interface TenantLifecycle {
  status: TenantStatus;
  /** Where the status comes from (absent when active). */
  source?: 'git' | 'portal';
  /** `spec.status` as the catalog has it now. */
  gitStatus: GitTenantStatus;
  hold?: TenantHold;
  /** terminating: when it began and when the teardown starts (ISO 8601). */
  terminationStartedAt?: string;
  graceEndsAt?: string;
  /** terminated: when the teardown finished (ISO 8601). */
  terminatedAt?: string;
  /** For people, e.g. `suspended in the portal by anna.schmidt@dezky.example on 2026-12-07: unpaid invoices`. */
  description: string;
}

/** The effective status from its two sources (and a finished teardown). */
export function effectiveStatus(input: {
  gitStatus: GitTenantStatus;
  hold?: Pick<TenantHold, 'kind'>;
  terminatedAt?: string;
}): { status: TenantStatus; source?: 'git' | 'portal' } {
  const { gitStatus, hold, terminatedAt } = input;
  const portalTerminates = hold?.kind === 'terminating';
  if (terminatedAt) {
    return {
      status: 'terminated',
      source: portalTerminates ? 'portal' : 'git',
    };
  }
  if (portalTerminates) return { status: 'terminating', source: 'portal' };
  if (gitStatus === 'cancelled')
    return { status: 'terminating', source: 'git' };
  if (hold?.kind === 'suspended')
    return { status: 'suspended', source: 'portal' };
  if (gitStatus === 'suspended') return { status: 'suspended', source: 'git' };
  return { status: 'active' };
}

const day = (iso: string) => iso.slice(0, 10);

/** The sentence a status chip's tooltip and the Danger zone show. */
export function describeLifecycle(
  l: Omit<TenantLifecycle, 'description'>,
): string {
  const portal = (verb: string) =>
    l.hold
      ? `${verb} in the portal by ${l.hold.byName} on ${day(l.hold.at)}: ${
          l.hold.reason
        }`
      : `${verb} in the portal`;
  switch (l.status) {
    case 'active':
      return 'active';
    case 'suspended':
      return l.source === 'portal'
        ? portal('suspended')
        : 'suspended in git (spec.status: suspended)';
    case 'terminating': {
      const why =
        l.source === 'portal'
          ? portal('terminated')
          : 'cancelled in git (spec.status: cancelled)';
      return l.graceEndsAt
        ? `${why}; torn down on ${day(l.graceEndsAt)} unless resumed`
        : why;
    }
    case 'terminated':
      return `terminated on ${day(l.terminatedAt ?? '')} (${
        l.source === 'portal' && l.hold
          ? `by ${l.hold.byName}: ${l.hold.reason}`
          : 'cancelled in git'
      })`;
    default:
      return l.status;
  }
}

/** What other plugins follow (billing pauses, resumes and cancels on them). */
export type LifecycleEventType =
  | 'activated'
  | 'suspended'
  | 'resumed'
  | 'terminating'
  | 'terminated'
  | 'seatsChanged'
  | 'planChanged';

export const LIFECYCLE_EVENT_TYPES: readonly LifecycleEventType[] = [
  'activated',
  'suspended',
  'resumed',
  'terminating',
  'terminated',
  'seatsChanged',
  'planChanged',
];

/**
 * One lifecycle transition, from the outbox: delivered at least once, in
 * order per tenant (`seq` orders all events); `id` is stable, so a
 * subscriber ignores a repeat.
 */
export interface LifecycleEvent {
  id: string;
  seq: number;
  type: LifecycleEventType;
  tenantRef: string;
  partnerRef?: string;
  /** ISO 8601. */
  at: string;
  /** The tenant after the transition. */
  status: TenantStatus;
  plan: string;
  seats: number;
  /** seatsChanged, planChanged and status changes: the value before. */
  previous?: { status?: TenantStatus; plan?: string; seats?: number };
  source?: 'git' | 'portal';
  reason?: string;
  /** Who set a portal hold (user entity ref). */
  actor?: string;
  /** terminating: when the teardown starts. */
  graceEndsAt?: string;
}

/** `GET /api/provisioning/lifecycle/events?subscriber=…`: the events after the subscriber's acknowledged one. */
export interface LifecycleEventPage {
  items: LifecycleEvent[];
}
