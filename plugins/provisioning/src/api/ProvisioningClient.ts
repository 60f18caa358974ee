import { hasStatus } from '@internal/plugin-dezky-react';
import { ResponseError } from '@backstage/errors';
import { DiscoveryApi, FetchApi } from '@backstage/frontend-plugin-api';
import {
  DmarcSetting,
  LifecycleActionResult,
  ProvisioningSummary,
  ReconcileResult,
  TenantDomain,
  TenantDomainList,
  TenantProvisioningDetail,
  TenantProvisioningList,
} from '@internal/plugin-provisioning-common';
import {
  MemberAction,
  MemberActionResult,
  NewMember,
  TenantMemberList,
} from '@internal/plugin-provisioning-common';
import { ListTenantsFilters, ProvisioningApi } from './ProvisioningApi';

/** Talks to the provisioning backend with the signed-in user's token. */
export class ProvisioningClient implements ProvisioningApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
  }

  async listTenants(
    filters: ListTenantsFilters = {},
  ): Promise<TenantProvisioningList> {
    // no names, no tenants: the server would read an empty list as no filter
    if (filters.tenants?.length === 0) {
      return { items: [], total: 0 };
    }
    const query = new URLSearchParams();
    if (filters.phase) query.set('phase', filters.phase);
    if (filters.step) query.set('step', filters.step);
    if (filters.status) query.set('status', filters.status);
    if (filters.lifecycle) query.set('lifecycle', filters.lifecycle);
    if (filters.tenants) query.set('tenants', filters.tenants.join(','));
    if (filters.limit !== undefined) query.set('limit', String(filters.limit));
    if (filters.offset !== undefined) {
      query.set('offset', String(filters.offset));
    }
    const search = query.toString();
    const res = await this.request(`/tenants${search ? `?${search}` : ''}`);
    return (await res.json()) as TenantProvisioningList;
  }

  async getTenant(name: string): Promise<TenantProvisioningDetail> {
    const res = await this.request(`/tenants/${encodeURIComponent(name)}`);
    return (await res.json()) as TenantProvisioningDetail;
  }

  async reconcile(name: string): Promise<ReconcileResult> {
    const res = await this.request(
      `/tenants/${encodeURIComponent(name)}/reconcile`,
      { method: 'POST' },
    );
    return (await res.json()) as ReconcileResult;
  }

  suspend(name: string, reason: string): Promise<LifecycleActionResult> {
    return this.lifecycleAction(name, 'suspend', { reason });
  }

  resume(name: string): Promise<LifecycleActionResult> {
    return this.lifecycleAction(name, 'resume', {});
  }

  terminate(
    name: string,
    reason: string,
    confirm: string,
  ): Promise<LifecycleActionResult> {
    return this.lifecycleAction(name, 'terminate', { reason, confirm });
  }

  async summary(): Promise<ProvisioningSummary> {
    const res = await this.request('/summary');
    return (await res.json()) as ProvisioningSummary;
  }

  async listDomains(name: string): Promise<TenantDomainList> {
    const res = await this.request(
      `/tenants/${encodeURIComponent(name)}/domains`,
    );
    return (await res.json()) as TenantDomainList;
  }

  async recheckDomain(name: string, domain: string): Promise<TenantDomain> {
    const res = await this.request(
      `/tenants/${encodeURIComponent(name)}/domains/${encodeURIComponent(
        domain,
      )}/recheck`,
      { method: 'POST' },
    );
    return (await res.json()) as TenantDomain;
  }

  async setDmarc(
    name: string,
    domain: string,
    setting: DmarcSetting,
  ): Promise<TenantDomain> {
    const res = await this.request(
      `/tenants/${encodeURIComponent(name)}/domains/${encodeURIComponent(
        domain,
      )}/dmarc`,
      {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(setting),
      },
    );
    return (await res.json()) as TenantDomain;
  }

  async listMembers(name: string): Promise<TenantMemberList> {
    const res = await this.request(
      `/tenants/${encodeURIComponent(name)}/members`,
    );
    return (await res.json()) as TenantMemberList;
  }

  async createMember(
    name: string,
    member: NewMember,
  ): Promise<MemberActionResult> {
    const res = await this.request(
      `/tenants/${encodeURIComponent(name)}/members`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(member),
      },
    );
    return (await res.json()) as MemberActionResult;
  }

  async memberAction(
    name: string,
    id: string,
    action: MemberAction,
  ): Promise<MemberActionResult> {
    const res = await this.request(
      `/tenants/${encodeURIComponent(name)}/members/${encodeURIComponent(
        id,
      )}/${action}`,
      { method: 'POST' },
    );
    return (await res.json()) as MemberActionResult;
  }

  async removeMember(name: string, id: string): Promise<MemberActionResult> {
    const res = await this.request(
      `/tenants/${encodeURIComponent(name)}/members/${encodeURIComponent(id)}`,
      { method: 'DELETE' },
    );
    return (await res.json()) as MemberActionResult;
  }

  private async lifecycleAction(
    name: string,
    action: 'suspend' | 'resume' | 'terminate',
    body: object,
  ): Promise<LifecycleActionResult> {
    const res = await this.request(
      `/tenants/${encodeURIComponent(name)}/${action}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      },
    );
    return (await res.json()) as LifecycleActionResult;
  }

  private async request(path: string, init?: RequestInit): Promise<Response> {
    const base = await this.discoveryApi.getBaseUrl('provisioning');
    const res = await this.fetchApi.fetch(`${base}${path}`, init);
    if (!res.ok) {
      throw await ResponseError.fromResponse(res);
    }
    return res;
  }
}

/** True for the server's 404: the tenant is unknown, or not the caller's to see. */
export const isNotFound = (error: unknown): boolean => hasStatus(error, 404);

/** What to show for a failed call (the server's own message when it sent one). */
export { errorMessage } from '@internal/plugin-dezky-react';
