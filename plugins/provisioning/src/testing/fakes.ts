import { ResponseError } from '@backstage/errors';
import {
  describeLifecycle,
  LifecycleActionResult,
  PROVISIONING_STEPS,
  ProvisioningStep,
  ProvisioningSummary,
  ReconcileResult,
  StepCondition,
  StepDetail,
  TenantProvisioning,
  TenantProvisioningDetail,
  TenantLifecycle,
  TenantProvisioningList,
} from '@internal/plugin-provisioning-common';
import { ListTenantsFilters, ProvisioningApi } from '../api';

/** A ProvisioningApi whose every method is a jest mock: no tenants, zero counts. */
export function fakeProvisioningApi(overrides: Partial<ProvisioningApi> = {}) {
  const api: jest.Mocked<ProvisioningApi> = {
    listTenants: jest.fn<
      Promise<TenantProvisioningList>,
      [ListTenantsFilters?]
    >(async () => ({ items: [], total: 0 })),
    getTenant: jest.fn<Promise<TenantProvisioningDetail>, [string]>(
      async name => aDetail({ tenant: name }),
    ),
    reconcile: jest.fn<Promise<ReconcileResult>, [string]>(async name => ({
      outcome: 'done',
      tenant: aDetail({ tenant: name }),
    })),
    suspend: jest.fn<Promise<LifecycleActionResult>, [string, string]>(
      async (name, reason) => ({
        tenant: aDetail({
          tenant: name,
          lifecycle: aLifecycle({
            status: 'suspended',
            source: 'portal',
            hold: aHold({ kind: 'suspended', reason }),
          }),
        }),
      }),
    ),
    resume: jest.fn<Promise<LifecycleActionResult>, [string]>(async name => ({
      tenant: aDetail({ tenant: name }),
    })),
    terminate: jest.fn<
      Promise<LifecycleActionResult>,
      [string, string, string]
    >(async (name, reason) => ({
      tenant: aDetail({
        tenant: name,
        lifecycle: aLifecycle({
          status: 'terminating',
          source: 'portal',
          hold: aHold({ kind: 'terminating', reason }),
          terminationStartedAt: new Date().toISOString(),
          graceEndsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
        }),
      }),
    })),
    summary: jest.fn<Promise<ProvisioningSummary>, []>(async () => aSummary()),
  };
  Object.assign(api, overrides);
  return api;
}

/** A portal hold: set by Anna a day ago for unpaid invoices, unless told otherwise. */
export function aHold(
  partial: Partial<NonNullable<TenantLifecycle['hold']>> = {},
): NonNullable<TenantLifecycle['hold']> {
  return {
    kind: 'suspended',
    reason: 'unpaid invoices',
    by: 'user:default/anna.schmidt',
    byName: 'anna.schmidt@dezky.example',
    at: new Date(Date.now() - 86_400_000).toISOString(),
    ...partial,
  };
}

/** A tenant's lifecycle: active, unless told otherwise; described as the server does. */
export function aLifecycle(
  partial: Partial<TenantLifecycle> = {},
): TenantLifecycle {
  const lifecycle = {
    status: 'active' as const,
    gitStatus: 'active' as const,
    ...partial,
  };
  return {
    ...lifecycle,
    description: partial.description ?? describeLifecycle(lifecycle),
  };
}

/** A step's condition: ok since a minute ago, unless told otherwise. */
export function aCondition(
  step: ProvisioningStep,
  partial: Partial<StepCondition> = {},
): StepCondition {
  const minuteAgo = new Date(Date.now() - 60_000).toISOString();
  return {
    step,
    status: 'ok',
    lastTransitionTime: minuteAgo,
    lastOkAt: minuteAgo,
    lastAttemptAt: minuteAgo,
    attempts: 0,
    ...partial,
  };
}

/** A tenant's row: every step ok (active), unless `stepsBy` says otherwise. */
export function aTenant(
  partial: Partial<TenantProvisioning> & {
    stepsBy?: Partial<Record<ProvisioningStep, Partial<StepCondition>>>;
  } = {},
): TenantProvisioning {
  const { stepsBy = {}, ...rest } = partial;
  return {
    tenant: 'acme',
    title: 'ACME GmbH',
    phase: 'active',
    lifecycle: aLifecycle(),
    steps: PROVISIONING_STEPS.map(s => aCondition(s, stepsBy[s])),
    ...rest,
  };
}

/** A step in detail: converged, desired and observed alike, unless told otherwise. */
export function aStepDetail(
  step: ProvisioningStep,
  partial: Partial<StepDetail> = {},
): StepDetail {
  return {
    ...aCondition(step),
    desired: { name: 'acme' },
    observed: { name: 'acme' },
    differences: [],
    ...partial,
  };
}

/** A tenant in detail: every step converged, no attempts, no DNS records. */
export function aDetail(
  partial: Partial<TenantProvisioningDetail> & {
    stepsBy?: Partial<Record<ProvisioningStep, Partial<StepDetail>>>;
  } = {},
): TenantProvisioningDetail {
  const { stepsBy = {}, ...rest } = partial;
  return {
    tenant: 'acme',
    title: 'ACME GmbH',
    phase: 'active',
    lifecycle: aLifecycle(),
    steps: PROVISIONING_STEPS.map(s => aStepDetail(s, stepsBy[s])),
    attempts: [],
    dnsRecords: [],
    ...rest,
  };
}

/** Counts by phase (and zero by step and status unless given). */
export function aSummary(
  phases: Partial<ProvisioningSummary['phases']> = {},
): ProvisioningSummary {
  const none = { pending: 0, ok: 0, error: 0, skipped: 0, paused: 0 };
  return {
    phases: { pending: 0, active: 0, degraded: 0, ...phases },
    steps: { authentik: none, stalwart: none, ocis: none },
  };
}

/** The ResponseError the client throws for a refusal with a JSON body. */
export function responseError(status: number, message: string, name = 'Error') {
  return ResponseError.fromResponse(
    new Response(
      JSON.stringify({
        error: { name, message },
        response: { statusCode: status },
      }),
      {
        status,
        statusText: String(status),
        headers: { 'content-type': 'application/json' },
      },
    ),
  );
}

/** A promise with its resolve and reject at hand. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
