import {
  AuthService,
  coreServices,
  createServiceFactory,
  createServiceRef,
  DiscoveryService,
} from '@backstage/backend-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  LifecycleEvent,
  LifecycleEventPage,
  StepCondition,
  TenantPhase,
  TenantProvisioning,
  TenantProvisioningDetail,
  TenantProvisioningList,
} from '@internal/plugin-provisioning-common';

/** The most tenants `GET /tenants` answers in one page. */
const TENANTS_PAGE = 200;

/**
 * A tenant's provisioning for other backend plugins.
 *
 * @public
 */
export interface ProvisioningService {
  /**
   * The tenant's phase and step conditions, by name (`acme`) or entity ref
   * (`tenant:default/acme`); undefined for a tenant provisioning does not
   * know (not in the catalog, or not read yet).
   */
  tenant(
    nameOrRef: string,
  ): Promise<{ phase: TenantPhase; steps: StepCondition[] } | undefined>;
  /**
   * Every tenant provisioning knows, with its phase, lifecycle and step
   * conditions, ordered by name (`GET /tenants`, read page by page).
   */
  tenants(): Promise<TenantProvisioning[]>;
  /**
   * The lifecycle events after the ones `subscriber` acknowledged, oldest
   * first (`GET /lifecycle/events`). See {@link followLifecycleEvents}.
   */
  lifecycleEvents(
    subscriber: string,
    options?: { limit?: number },
  ): Promise<LifecycleEvent[]>;
  /** Acknowledges `subscriber`'s events up to and including `seq`. */
  ackLifecycleEvents(subscriber: string, seq: number): Promise<void>;
}

/**
 * Reads from the provisioning backend (`GET /api/provisioning/tenants`,
 * `/tenants/:name`, the lifecycle events) with the calling plugin's service
 * credentials.
 *
 * @public
 */
export class ProvisioningClient implements ProvisioningService {
  constructor(
    private readonly deps: {
      discovery: DiscoveryService;
      auth: AuthService;
      fetch?: typeof fetch;
    },
  ) {}

  async tenant(nameOrRef: string) {
    const name = nameOrRef.replace(/^tenant:(default\/)?/i, '');
    const res = await this.request(`/tenants/${encodeURIComponent(name)}`);
    if (res.status === 404) return undefined;
    if (!res.ok) throw await ResponseError.fromResponse(res);
    const detail = (await res.json()) as TenantProvisioningDetail;
    return {
      phase: detail.phase,
      steps: detail.steps.map(
        ({ desired, observed, differences, ...condition }) => condition,
      ),
    };
  }

  async tenants() {
    const items: TenantProvisioning[] = [];
    const seen = new Set<string>();
    for (let offset = 0; ; offset += TENANTS_PAGE) {
      const query = new URLSearchParams({
        limit: String(TENANTS_PAGE),
        offset: String(offset),
      });
      const res = await this.request(`/tenants?${query}`);
      if (!res.ok) throw await ResponseError.fromResponse(res);
      const page = (await res.json()) as TenantProvisioningList;
      // a tenant added while paging shifts the pages: seen twice, kept once
      for (const t of page.items) {
        if (!seen.has(t.tenant)) items.push(t);
        seen.add(t.tenant);
      }
      if (
        page.items.length < TENANTS_PAGE ||
        offset + TENANTS_PAGE >= page.total
      ) {
        return items;
      }
    }
  }

  async lifecycleEvents(subscriber: string, options: { limit?: number } = {}) {
    const query = new URLSearchParams({
      subscriber,
      ...(options.limit ? { limit: String(options.limit) } : {}),
    });
    const res = await this.request(`/lifecycle/events?${query}`);
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return ((await res.json()) as LifecycleEventPage).items;
  }

  async ackLifecycleEvents(subscriber: string, seq: number) {
    const res = await this.request('/lifecycle/events/ack', {
      method: 'POST',
      body: JSON.stringify({ subscriber, seq }),
    });
    if (!res.ok) throw await ResponseError.fromResponse(res);
  }

  /** A call to the provisioning backend with this plugin's service token. */
  private async request(path: string, init: RequestInit = {}) {
    const base = await this.deps.discovery.getBaseUrl('provisioning');
    const { token } = await this.deps.auth.getPluginRequestToken({
      onBehalfOf: await this.deps.auth.getOwnServiceCredentials(),
      targetPluginId: 'provisioning',
    });
    return (this.deps.fetch ?? fetch)(`${base}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${token}`,
        ...(init.body ? { 'content-type': 'application/json' } : {}),
      },
    });
  }
}

/**
 * `deps: { provisioning: provisioningServiceRef }`, then
 * `await provisioning.tenant('acme')`.
 *
 * @public
 */
export const provisioningServiceRef = createServiceRef<ProvisioningService>({
  id: 'dezky.provisioning',
  scope: 'plugin',
  defaultFactory: async service =>
    createServiceFactory({
      service,
      deps: { discovery: coreServices.discovery, auth: coreServices.auth },
      factory: ({ discovery, auth }) =>
        new ProvisioningClient({ discovery, auth }),
    }),
});
