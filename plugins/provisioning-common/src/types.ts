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
  /** The tenant's partner entity ref, if it has one. */
  partner?: string;
  phase: TenantPhase;
  steps: StepCondition[];
}

/** `GET /api/provisioning/summary`: counts by phase and by step and status. */
export interface ProvisioningSummary {
  phases: Record<TenantPhase, number>;
  steps: Record<ProvisioningStep, Record<StepStatus, number>>;
}
