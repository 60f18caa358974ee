import { ResponseError } from '@backstage/errors';
import {
  describeLifecycle,
  DmarcSetting,
  DomainRecordCheck,
  LifecycleActionResult,
  PROVISIONING_STEPS,
  ProvisioningStep,
  ProvisioningSummary,
  ReconcileResult,
  StepCondition,
  StepDetail,
  TenantDomain,
  TenantDomainList,
  TenantProvisioning,
  TenantProvisioningDetail,
  TenantLifecycle,
  TenantProvisioningList,
} from '@internal/plugin-provisioning-common';
import {
  ListTenantsFilters,
  MemberAction,
  MemberActionResult,
  NewMember,
  ProvisioningApi,
  TenantMember,
  TenantMemberList,
} from '../api';

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
    listDomains: jest.fn<Promise<TenantDomainList>, [string]>(async name => ({
      tenant: name,
      items: [],
    })),
    recheckDomain: jest.fn<Promise<TenantDomain>, [string, string]>(
      async (_name, domain) => aDomain({ domain }),
    ),
    setDmarc: jest.fn<Promise<TenantDomain>, [string, string, DmarcSetting]>(
      async (_name, domain, dmarc) => aDomain({ domain, dmarc }),
    ),
    listMembers: jest.fn<Promise<TenantMemberList>, [string]>(async () => ({
      items: [],
      provisioned: true,
    })),
    createMember: jest.fn<Promise<MemberActionResult>, [string, NewMember]>(
      async (_name, m) => ({
        member: aMember({ id: '99', ...m, lastSignIn: null }),
        steps: okSteps(),
        oneTimePassword: 'Qx7-vR9!mK4pZ2wT',
        passwordFor: ['sso', 'mailbox'],
      }),
    ),
    memberAction: jest.fn<
      Promise<MemberActionResult>,
      [string, string, MemberAction]
    >(async (_name, id, action) => ({
      member: aMember({
        id,
        suspended: action === 'suspend',
        ssoActive: action !== 'suspend',
      }),
      steps: okSteps(),
      ...(action === 'reset-password'
        ? { oneTimePassword: 'Hn3=kW8?tY6bL5xE', passwordFor: ['sso'] as const }
        : {}),
      ...(action === 'logout' ? { sessionsEnded: 2 } : {}),
    })) as jest.Mocked<ProvisioningApi>['memberAction'],
    removeMember: jest.fn<Promise<MemberActionResult>, [string, string]>(
      async () => ({ steps: okSteps() }),
    ),
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

/** Every system's step of a member action ok. */
export function okSteps(): MemberActionResult['steps'] {
  return (['authentik', 'stalwart', 'ocis'] as const).map(step => ({
    step,
    status: 'ok' as const,
    attempts: 1,
    message: `${step} done`,
  }));
}

/** Anna, admin of acme: active, with a mailbox and MFA, signed in an hour ago. */
export function aMember(partial: Partial<TenantMember> = {}): TenantMember {
  return {
    id: '7',
    name: 'Anna Schmidt',
    email: 'anna@acme.example',
    username: 'anna@acme.example',
    role: 'admin',
    ssoActive: true,
    suspended: false,
    mailbox: { address: 'anna@acme.example', state: 'active' },
    lastSignIn: new Date(Date.now() - 3_600_000).toISOString(),
    mfa: true,
    otherTenants: 0,
    ...partial,
  };
}

/** The five records of acme.example, each ok as published. */
export function domainRecords(domain = 'acme.example'): DomainRecordCheck[] {
  const txt = (name: string, value: string) => `${name}. IN TXT "${value}"`;
  const dmarc = 'v=DMARC1; p=none';
  const spf = 'v=spf1 mx -all';
  const dkim = 'v=DKIM1; k=rsa; p=MIIBIjANBg';
  const token = 'dezky-verification=0123456789abcdef';
  return [
    {
      kind: 'mx',
      type: 'MX',
      name: domain,
      expected: `10 mail.dezky.example`,
      found: ['10 mail.dezky.example'],
      status: 'ok',
      publish: `${domain}. IN MX 10 mail.dezky.example.`,
    },
    {
      kind: 'spf',
      type: 'TXT',
      name: domain,
      expected: spf,
      found: [spf],
      status: 'ok',
      publish: txt(domain, spf),
    },
    {
      kind: 'dkim',
      type: 'TXT',
      name: `dezky._domainkey.${domain}`,
      expected: dkim,
      found: [dkim],
      status: 'ok',
      publish: txt(`dezky._domainkey.${domain}`, dkim),
    },
    {
      kind: 'dmarc',
      type: 'TXT',
      name: `_dmarc.${domain}`,
      expected: dmarc,
      found: [dmarc],
      status: 'ok',
      publish: txt(`_dmarc.${domain}`, dmarc),
    },
    {
      kind: 'ownership',
      type: 'TXT',
      name: `_dezky.${domain}`,
      expected: token,
      found: [token],
      status: 'ok',
      publish: txt(`_dezky.${domain}`, token),
    },
  ];
}

/**
 * A tenant's domain: acme.example with its five records ok, verified a day
 * ago and checked a minute ago, DMARC none, unless told otherwise
 * (`recordsBy` changes single records by kind).
 */
export function aDomain(
  partial: Partial<TenantDomain> & {
    recordsBy?: Partial<
      Record<DomainRecordCheck['kind'], Partial<DomainRecordCheck>>
    >;
  } = {},
): TenantDomain {
  const { recordsBy = {}, ...rest } = partial;
  const domain = rest.domain ?? 'acme.example';
  const records = (rest.records ?? domainRecords(domain)).map(r => ({
    ...r,
    ...recordsBy[r.kind],
  }));
  return {
    domain,
    verified: records.every(r => r.status === 'ok'),
    verifiedAt: new Date(Date.now() - 86_400_000).toISOString(),
    lastCheckedAt: new Date(Date.now() - 60_000).toISOString(),
    nextCheckAt: new Date(Date.now() + 3_600_000).toISOString(),
    dmarc: { policy: 'none' },
    ...rest,
    records,
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
