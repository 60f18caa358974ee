import { TenantLifecycle, TenantStatus } from './lifecycle';

/** The systems a tenant is provisioned in, one step each (the Integration entities' names). */
export const PROVISIONING_STEPS = ['authentik', 'stalwart', 'ocis'] as const;

/** A provisioning step: the system it makes match the catalog. */
export type ProvisioningStep = (typeof PROVISIONING_STEPS)[number];

/**
 * Where a step stands:
 * - `pending`: not converged yet (never tried, or in progress);
 * - `ok`: what the catalog asks for exists outside, as asked;
 * - `error`: the last attempt failed; retried at `nextAttemptAt`;
 * - `skipped`: the tenant does not need it (`reason` says why: not in
 *   `spec.integrations`, or the integration is `planned`);
 * - `paused`: the `tenant_provisioning` flag is off for the tenant —
 *   nothing is called.
 */
export type StepStatus = 'pending' | 'ok' | 'error' | 'skipped' | 'paused';

export const STEP_STATUSES: readonly StepStatus[] = [
  'pending',
  'ok',
  'error',
  'skipped',
  'paused',
];

/** What the engine keeps per tenant and step (as a Crossplane condition). */
export interface StepCondition {
  step: ProvisioningStep;
  status: StepStatus;
  /** A machine-readable why (e.g. `NotInIntegrations`, `Planned`, `SystemUnavailable`). */
  reason?: string;
  /** For people: the error as the system answered it, naming the call and status. */
  message?: string;
  /** When `status` last changed (ISO 8601). */
  lastTransitionTime: string;
  /** When the step was last ok (ISO 8601): an error after it makes the tenant degraded. */
  lastOkAt?: string;
  /** The last attempt (ISO 8601). */
  lastAttemptAt?: string;
  /** Attempts since the last success, desired-state change or reconcile on demand. */
  attempts: number;
  /** When an error is retried (ISO 8601). */
  nextAttemptAt?: string;
  /** The hash of the desired state the step last converged to. */
  observedGeneration?: string;
  /** The ids of what exists outside (group id, domain id, space id …). */
  external?: Record<string, string>;
}

/**
 * A tenant's phase:
 * - `pending` until every step it needs is ok;
 * - `active` when they all are;
 * - `degraded` when a step it needs is in error after having been ok.
 */
export type TenantPhase = 'pending' | 'active' | 'degraded';

export const TENANT_PHASES: readonly TenantPhase[] = [
  'pending',
  'active',
  'degraded',
];

/** A tenant's provisioning, as `GET /api/provisioning/tenants` lists it. */
export interface TenantProvisioning {
  /** The Tenant entity's `metadata.name`. */
  tenant: string;
  /** The Tenant entity's `metadata.title`, if any. */
  title?: string;
  /** The tenant's partner entity ref (`partner:default/nordlicht-it`), if it has one. */
  partner?: string;
  phase: TenantPhase;
  /** Its effective status and where it comes from (git, the portal). */
  lifecycle: TenantLifecycle;
  /** One per step of {@link PROVISIONING_STEPS}, in that order. */
  steps: StepCondition[];
}

/** `GET /api/provisioning/tenants`: one page, ordered by tenant name. */
export interface TenantProvisioningList {
  items: TenantProvisioning[];
  /** How many tenants match the filters (all pages). */
  total: number;
}

/** A record a mail domain's DNS zone should hold, as Stalwart's zone file lists it. */
export interface DnsRecord {
  /** Fully qualified, without the trailing dot, e.g. `v1-rsa-20261207._domainkey.acme.example`. */
  name: string;
  /** `MX`, `TXT`, `CNAME`, `SRV` … */
  type: string;
  /** The record data as in the zone file (TXT chunks joined). */
  value: string;
}

/** A step in detail: its condition and the difference between what is asked and what is there. */
export interface StepDetail extends StepCondition {
  /** What the catalog asks of this system for the tenant (absent when skipped). */
  desired?: Record<string, unknown>;
  /** What was last seen in the system (absent before the first observation). */
  observed?: Record<string, unknown>;
  /** The fields where observed differs from desired (empty when converged). */
  differences: string[];
}

/** Why a step was worked. */
export type ProvisioningTrigger =
  | 'catalog'
  | 'drift'
  | 'reconcile'
  | 'retry'
  | 'start'
  | 'lifecycle';

/** One attempt at a step: `GET /api/provisioning/tenants/:name` lists the recent ones. */
export interface ProvisioningAttempt {
  step: ProvisioningStep;
  trigger: ProvisioningTrigger;
  startedAt: string;
  finishedAt: string;
  /** The step's status after the attempt. */
  status: StepStatus;
  message?: string;
  /** What was changed outside, e.g. `created group acme (1f0c…)`. */
  changes: string[];
}

/** `GET /api/provisioning/tenants/:name`. */
export interface TenantProvisioningDetail extends TenantProvisioning {
  steps: StepDetail[];
  /** Newest first, at most 20 per step. */
  attempts: ProvisioningAttempt[];
  /** Per mail domain, the records Stalwart asks to publish (read from its zone file). */
  dnsRecords: Array<{ domain: string; records: DnsRecord[]; readAt: string }>;
}

/** `POST /api/provisioning/tenants/:name/reconcile`. */
export interface ReconcileResult {
  /** `done` when the steps were worked before the answer; `queued` when another instance holds the tenant. */
  outcome: 'done' | 'queued';
  tenant: TenantProvisioningDetail;
}

/** `GET /api/provisioning/summary`: counts by phase and by step and status. */
export interface ProvisioningSummary {
  phases: Record<TenantPhase, number>;
  steps: Record<ProvisioningStep, Record<StepStatus, number>>;
}

/** `POST /api/provisioning/tenants/:name/suspend|resume|terminate`: the tenant afterwards. */
export interface LifecycleActionResult {
  tenant: TenantProvisioningDetail;
}

/** `GET /api/provisioning/tenants?lifecycle=`: tenants in these effective statuses. */
export type TenantStatusFilter = TenantStatus;
