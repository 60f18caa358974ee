import {
  DnsRecord,
  ProvisioningStep,
  ProvisioningTrigger,
} from '@internal/plugin-provisioning-common';
import { StoredCondition } from '../database/ProvisioningStore';
import { DesiredTenant } from '../engine/desired';

/** Something provisioning changed outside (audited as `provisioning.<object>.<verb>`). */
export interface Change {
  verb:
    | 'created'
    | 'updated'
    | 'adopted'
    | 'restored'
    | 'deactivated'
    | 'activated'
    | 'ended'
    | 'frozen'
    | 'unfrozen'
    | 'disabled'
    | 'deleted'
    | 'removed';
  object:
    | 'group'
    | 'domain'
    | 'space'
    | 'user'
    | 'session'
    | 'mailbox'
    | 'mailing-list'
    | 'dkim-key';
  id: string;
  name: string;
  /** e.g. `renamed from acme-old`, `attributes.dezkyTenant set`. */
  detail?: string;
}

/** Says how a change reads in an attempt's list, e.g. `created group acme (1f0c…)`. */
export const describeChange = (c: Change) =>
  `${c.verb} ${c.object} ${c.name} (${c.id})${c.detail ? `: ${c.detail}` : ''}`;

/**
 * What suspensions froze in this step's system (written before the call,
 * so Resume puts back exactly the value before), and the Authentik groups
 * of the other tenants.
 */
export interface LifecycleLedger {
  /** The recorded objects among these ids (recorded by any tenant). */
  frozen(objectIds: string[]): Promise<Map<string, { previous: unknown }>>;
  /** Whether this tenant has anything recorded in this system. */
  hasFrozen(): Promise<boolean>;
  record(
    objects: Array<{ objectId: string; objectName: string; previous: unknown }>,
  ): Promise<void>;
  forget(objectIds: string[]): Promise<void>;
  /** The Authentik group ids of the other tenants (only those active, or all). */
  otherTenantGroups(options: { activeOnly: boolean }): Promise<Set<string>>;
}

/** One step's work on one tenant. */
export interface StepWork {
  tenant: DesiredTenant;
  /** What the step must make exist; `suspended: true` when the tenant is suspended or terminating. */
  desired: Record<string, unknown>;
  /** The step's stored condition (absent the first time). */
  condition?: StoredCondition;
  trigger: ProvisioningTrigger;
  /** Stores that a create call is about to be made (before making it). */
  beforeCreate(): Promise<void>;
  ledger: LifecycleLedger;
}

/** One step's part of a teardown. */
export interface TeardownWork {
  tenant: DesiredTenant;
  condition?: StoredCondition;
  ledger: LifecycleLedger;
  /** Every change is pushed here as it is made (audited even if a later call fails). */
  changes: Change[];
}

/** What a step's work found and did. */
export interface StepResult {
  /** `ok`: converged; `pending`: on its way (e.g. Stalwart's DKIM keys not generated yet). */
  status: 'ok' | 'pending';
  reason?: string;
  message?: string;
  /** For `pending`: look again after this long (ms). */
  recheckMs?: number;
  external: Record<string, string>;
  observed: Record<string, unknown>;
  changes: Change[];
  /** Stalwart: the records each domain asks to publish. */
  dnsRecords?: Array<{
    domain: string;
    records: DnsRecord[];
    zoneFile: string;
  }>;
}

/** A tenant whose observed state differs from its stored condition. */
export interface Drift {
  tenantRef: string;
  /** For people: what was found, e.g. `group acme (1f0c…) no longer exists`. */
  message: string;
}

/** One system's part of provisioning. */
export interface StepDriver {
  readonly step: ProvisioningStep;
  /** Makes the system hold what `work.desired` asks (create only if missing). */
  converge(work: StepWork): Promise<StepResult>;
  /**
   * Lists the system in bulk (a few calls, whatever the number of tenants)
   * and returns the tenants, among those whose step is `ok`, whose objects
   * are gone or changed.
   */
  drift(
    converged: Array<{ tenant: DesiredTenant; condition: StoredCondition }>,
  ): Promise<Drift[]>;
  /**
   * Teardown, first stage: the tenant's people (mailboxes, identities);
   * what another tenant still uses is kept.
   */
  teardownMembers(work: TeardownWork): Promise<void>;
  /** Teardown, second stage: the tenant's own objects (domains, space, group). */
  teardownResources(work: TeardownWork): Promise<void>;
}
