import { hasStatus } from '@internal/plugin-dezky-react';
import { DiscoveryApi, FetchApi } from '@backstage/frontend-plugin-api';
import { ResponseError } from '@backstage/errors';
import { Flag } from '@internal/plugin-flags-common';
import { FlagsApi } from './FlagsApi';
import {
  FlagHistoryEvent,
  FlagPatch,
  NewFlag,
  RolloutPreview,
  RolloutPreviewRequest,
  TenantFlags,
} from './types';

const JSON_HEADERS = { 'Content-Type': 'application/json' };

/** Talks to the flags backend with the signed-in user's token. */
export class FlagsClient implements FlagsApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
  }

  async listFlags(): Promise<Flag[]> {
    const res = await this.request('/flags');
    const body = (await res.json()) as { items: Flag[] };
    return body.items;
  }

  async getFlag(key: string): Promise<Flag> {
    const res = await this.request(`/flags/${encodeURIComponent(key)}`);
    return (await res.json()) as Flag;
  }

  async createFlag(flag: NewFlag): Promise<Flag> {
    const res = await this.request('/flags', {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify(flag),
    });
    return (await res.json()) as Flag;
  }

  async updateFlag(key: string, patch: FlagPatch): Promise<Flag> {
    const res = await this.request(`/flags/${encodeURIComponent(key)}`, {
      method: 'PATCH',
      headers: JSON_HEADERS,
      body: JSON.stringify(patch),
    });
    return (await res.json()) as Flag;
  }

  async deleteFlag(key: string): Promise<void> {
    await this.request(`/flags/${encodeURIComponent(key)}`, {
      method: 'DELETE',
    });
  }

  async killFlag(key: string): Promise<Flag> {
    const res = await this.request(`/flags/${encodeURIComponent(key)}/kill`, {
      method: 'POST',
    });
    return (await res.json()) as Flag;
  }

  async getHistory(key: string): Promise<FlagHistoryEvent[]> {
    const res = await this.request(`/flags/${encodeURIComponent(key)}/history`);
    const body = (await res.json()) as { items: FlagHistoryEvent[] };
    return body.items;
  }

  async preview(rule: RolloutPreviewRequest): Promise<RolloutPreview> {
    const res = await this.request('/preview', {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify({
        key: rule.key,
        state: rule.state,
        pct: rule.pct,
        scope: rule.scope,
      }),
    });
    return (await res.json()) as RolloutPreview;
  }

  async getTenantFlags(tenant: string): Promise<TenantFlags> {
    const res = await this.request(`/tenants/${encodeURIComponent(tenant)}`);
    return (await res.json()) as TenantFlags;
  }

  private async request(path: string, init?: RequestInit): Promise<Response> {
    const base = await this.discoveryApi.getBaseUrl('flags');
    const res = await this.fetchApi.fetch(`${base}${path}`, init);
    if (!res.ok) {
      throw await toResponseError(res);
    }
    return res;
  }
}

/**
 * A ResponseError for a refused call. A bare `{ error: { message } }` body
 * (as the flags backend's validation sends) counts as the server's error
 * too, so its message reaches the user rather than a generic one.
 */
async function toResponseError(res: Response): Promise<ResponseError> {
  let text = await res.text();
  try {
    const body = JSON.parse(text);
    if (typeof body?.error?.message === 'string' && !body.response) {
      text = JSON.stringify({
        ...body,
        error: { name: 'Error', ...body.error },
        response: { statusCode: res.status },
      });
    }
  } catch {
    // not JSON: ResponseError keeps the text in its message
  }
  return ResponseError.fromResponse({
    headers: res.headers,
    ok: res.ok,
    redirected: res.redirected,
    status: res.status,
    statusText: res.statusText,
    type: res.type,
    url: res.url,
    text: async () => text,
  });
}

/** True when the server refused the call for lack of permission (403). */
export const isNotAllowed = (error: unknown): boolean => hasStatus(error, 403);

/** True when the server refused because the key is taken (409). */
export function isConflict(error: unknown): boolean {
  return ResponseError.is(error) && error.statusCode === 409;
}

/** What to show for a failed call (the server's own message when it sent one). */
export { errorMessage } from '@internal/plugin-dezky-react';
