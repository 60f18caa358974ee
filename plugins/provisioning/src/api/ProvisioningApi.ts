import { createApiRef } from '@backstage/frontend-plugin-api';
import {
  DmarcSetting,
  LifecycleActionResult,
  ProvisioningStep,
  ProvisioningSummary,
  ReconcileResult,
  StepStatus,
  TenantPhase,
  TenantProvisioningDetail,
  TenantProvisioningList,
  TenantDomain,
  TenantDomainList,
  TenantStatus,
} from '@internal/plugin-provisioning-common';

import {
  MemberAction,
  MemberActionResult,
  NewMember,
  TenantMemberList,
} from '@internal/plugin-provisioning-common';

/** What `GET /tenants` narrows the list to, and which page of it. */
export interface ListTenantsFilters {
  phase?: TenantPhase;
  /** With `status`: tenants whose step is in that status. */
  step?: ProvisioningStep;
  /** Tenants with a step (`step`, else any) in this status. */
  status?: StepStatus;
  /** Tenants in this effective status (active, suspended, terminating, terminated). */
  lifecycle?: TenantStatus;
  /** Only these tenants, by name (at most 100). */
  tenants?: string[];
  /** 1 to 200; the server's default is 50. */
  limit?: number;
  offset?: number;
}

/**
 * The provisioning backend as the portal uses it. Every method rejects with
 * a `ResponseError` (from `@backstage/errors`) when the server refuses.
 */
export interface ProvisioningApi {
  /** One page of the tenants' provisioning, by name (GET /tenants). */
  listTenants(filters?: ListTenantsFilters): Promise<TenantProvisioningList>;
  /** One tenant's steps in detail, attempts and DNS records (GET /tenants/:name); 404 when unknown. */
  getTenant(name: string): Promise<TenantProvisioningDetail>;
  /** Works the tenant's steps now (POST /tenants/:name/reconcile); 403 when not allowed. */
  reconcile(name: string): Promise<ReconcileResult>;
  /**
   * Suspends the tenant from the portal (POST /tenants/:name/suspend); the
   * reason is required. 409 when it is suspended already, terminating or
   * terminated.
   */
  suspend(name: string, reason: string): Promise<LifecycleActionResult>;
  /**
   * Lifts the portal's hold (POST /tenants/:name/resume): ends a suspension,
   * or cancels a termination within its grace period. 409 when there is no
   * portal hold to lift (a suspension in git) or the tenant is terminated.
   */
  resume(name: string): Promise<LifecycleActionResult>;
  /**
   * Starts the tenant's termination (POST /tenants/:name/terminate):
   * `confirm` must be the tenant's name, else 400 and nothing changes.
   */
  terminate(
    name: string,
    reason: string,
    confirm: string,
  ): Promise<LifecycleActionResult>;
  /** Counts by phase and by step and status (GET /summary). */
  summary(): Promise<ProvisioningSummary>;
  /**
   * The tenant's mail domains, each record expected vs found
   * (GET /tenants/:name/domains); 404 when the tenant is unknown or not the
   * caller's to see.
   */
  listDomains(name: string): Promise<TenantDomainList>;
  /**
   * Looks the domain's records up now (POST /tenants/:name/domains/:domain/recheck)
   * and answers the new result; 403 without `provisioning.tenant.domains.manage`.
   */
  recheckDomain(name: string, domain: string): Promise<TenantDomain>;
  /**
   * Sets the domain's DMARC policy, which changes its expected DMARC record
   * (PUT /tenants/:name/domains/:domain/dmarc); 400 for a bad `rua`, 403
   * without `provisioning.tenant.domains.manage`.
   */
  setDmarc(
    name: string,
    domain: string,
    setting: DmarcSetting,
  ): Promise<TenantDomain>;
  /** The tenant's members (GET /tenants/:name/members); 404 when not the caller's to see. */
  listMembers(name: string): Promise<TenantMemberList>;
  /**
   * Adds a member (POST /tenants/:name/members): the answer carries the
   * one-time password, which no later call gives again.
   */
  createMember(name: string, member: NewMember): Promise<MemberActionResult>;
  /**
   * Suspends, resumes, forces out or resets the password of a member (POST
   * /tenants/:name/members/:id/<action>); reset-password answers the new
   * one-time password. 403 on oneself (except resume and reset-password).
   */
  memberAction(
    name: string,
    id: string,
    action: MemberAction,
  ): Promise<MemberActionResult>;
  /** Removes a member from the tenant (DELETE /tenants/:name/members/:id). */
  removeMember(name: string, id: string): Promise<MemberActionResult>;
}

/** The provisioning API, implemented by {@link ProvisioningClient}. */
export const provisioningApiRef = createApiRef<ProvisioningApi>().with({
  id: 'plugin.provisioning.client',
  pluginId: 'provisioning',
});
