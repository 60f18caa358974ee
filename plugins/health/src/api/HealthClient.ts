import { parseEntityRef } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import { DiscoveryApi, FetchApi } from '@backstage/frontend-plugin-api';
import {
  HealthHistory,
  HistoryOptions,
  IntegrationStatus,
} from '@internal/plugin-health-common';
import { HealthApi } from './HealthApi';

/** Talks to the health backend with the signed-in user's token. */
export class HealthClient implements HealthApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
  }

  async getStatus(): Promise<IntegrationStatus[]> {
    const res = await this.request('/status');
    const body = (await res.json()) as { items: IntegrationStatus[] };
    return body.items;
  }

  async probe(): Promise<IntegrationStatus[]> {
    const res = await this.request('/probe', { method: 'POST' });
    const body = (await res.json()) as { items: IntegrationStatus[] };
    return body.items;
  }

  async getHistory(
    integrationRef: string,
    options: HistoryOptions = {},
  ): Promise<HealthHistory> {
    const { namespace, name } = parseEntityRef(integrationRef, {
      defaultKind: 'integration',
      defaultNamespace: 'default',
    });
    const query = new URLSearchParams();
    if (options.window) query.set('window', options.window);
    if (options.points !== undefined) {
      query.set('points', String(options.points));
    }
    const search = query.toString();
    const res = await this.request(
      `/integrations/${encodeURIComponent(namespace)}/${encodeURIComponent(
        name,
      )}/history${search ? `?${search}` : ''}`,
    );
    return (await res.json()) as HealthHistory;
  }

  private async request(path: string, init?: RequestInit): Promise<Response> {
    const base = await this.discoveryApi.getBaseUrl('health');
    const res = await this.fetchApi.fetch(`${base}${path}`, init);
    if (!res.ok) {
      throw await ResponseError.fromResponse(res);
    }
    return res;
  }
}

/** What to show for a failed call (the server's own message when it sent one). */
export { errorMessage } from '@internal/plugin-dezky-react';
