import { parseEntityRef } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import { DiscoveryApi, FetchApi } from '@backstage/frontend-plugin-api';
import { IntegrationStatus } from '@internal/plugin-health-common';
import { HealthApi } from './HealthApi';
import { IntegrationHistory } from './types';

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

  async getHistory(integrationRef: string): Promise<IntegrationHistory> {
    const { namespace, name } = parseEntityRef(integrationRef, {
      defaultKind: 'integration',
      defaultNamespace: 'default',
    });
    const res = await this.request(
      `/integrations/${encodeURIComponent(namespace)}/${encodeURIComponent(
        name,
      )}/history`,
    );
    return (await res.json()) as IntegrationHistory;
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

/** What to show for a failed call: the server's own message when it sent one. */
export function errorMessage(error: unknown): string {
  if (ResponseError.is(error)) {
    return error.cause.message || error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
