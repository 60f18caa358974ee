import { hasStatus } from '@internal/plugin-dezky-react';
import { DiscoveryApi, FetchApi } from '@backstage/frontend-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  AuditCheckpoint,
  AuditEventsPage,
  AuditStatus,
  AuditVerifyResult,
  parseCheckpointNote,
} from '@internal/plugin-audit-common';
import { AuditApi } from './AuditApi';
import {
  AuditArchiveBatch,
  AuditArchiveRunResult,
  AuditCheckpointNote,
  AuditEventsQueryWithTier,
  AuditInclusionProof,
  AuditRestoreResult,
} from './types';

/** The query parameters in a stable order, so equal filters give equal URLs. */
const QUERY_KEYS: ReadonlyArray<keyof AuditEventsQueryWithTier> = [
  'since',
  'until',
  'action',
  'tenant',
  'partner',
  'actor',
  'outcome',
  'source',
  'q',
  'tier',
  'limit',
  'cursor',
];

/**
 * The query string for /events and /events.csv, with a leading `?` (or empty
 * when nothing is set). Empty and whitespace-only values are left out.
 */
export function toQueryString(
  query: AuditEventsQueryWithTier,
  options: { csv?: boolean } = {},
): string {
  const params = new URLSearchParams();
  for (const key of QUERY_KEYS) {
    // paging applies to the JSON list only
    if (options.csv && (key === 'limit' || key === 'cursor')) continue;
    const value = query[key];
    if (value === undefined || value === null) continue;
    const text = String(value).trim();
    if (text) params.set(key, text);
  }
  const qs = params.toString();
  return qs ? `?${qs}` : '';
}

/** Talks to the audit backend with the signed-in user's token. */
export class AuditClient implements AuditApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
  }

  async getEvents(query: AuditEventsQueryWithTier): Promise<AuditEventsPage> {
    const res = await this.request(`/events${toQueryString(query)}`);
    return (await res.json()) as AuditEventsPage;
  }

  async exportCsv(query: AuditEventsQueryWithTier): Promise<Blob> {
    const res = await this.request(
      `/events.csv${toQueryString(query, { csv: true })}`,
      { headers: { Accept: 'text/csv' } },
    );
    return await res.blob();
  }

  async getStatus(): Promise<AuditStatus> {
    const res = await this.request('/status');
    return (await res.json()) as AuditStatus;
  }

  async verify(): Promise<AuditVerifyResult> {
    const res = await this.request('/verify');
    return (await res.json()) as AuditVerifyResult;
  }

  async createCheckpoint(): Promise<AuditCheckpoint> {
    const res = await this.request('/checkpoints', { method: 'POST' });
    return (await res.json()) as AuditCheckpoint;
  }

  async listArchiveBatches(): Promise<AuditArchiveBatch[]> {
    const res = await this.request('/archive/batches');
    const body = (await res.json()) as { items: AuditArchiveBatch[] };
    return body.items;
  }

  async runArchive(): Promise<AuditArchiveRunResult> {
    const res = await this.request('/archive/run', { method: 'POST' });
    return (await res.json()) as AuditArchiveRunResult;
  }

  async restoreBatch(id: AuditArchiveBatch['id']): Promise<AuditRestoreResult> {
    const res = await this.request(
      `/archive/batches/${encodeURIComponent(String(id))}/restore`,
      { method: 'POST' },
    );
    return (await res.json()) as AuditRestoreResult;
  }

  async dropRestoredBatch(id: AuditArchiveBatch['id']): Promise<void> {
    await this.request(
      `/archive/batches/${encodeURIComponent(String(id))}/restore`,
      {
        method: 'DELETE',
      },
    );
  }

  async latestCheckpointNote(): Promise<AuditCheckpointNote> {
    const res = await this.request('/checkpoint', {
      headers: { Accept: 'text/plain' },
    });
    return parseCheckpointNote(await res.text());
  }

  async inclusionProof(
    seq: number,
    treeSize: number,
  ): Promise<AuditInclusionProof> {
    const params = new URLSearchParams({
      seq: String(seq),
      treeSize: String(treeSize),
    });
    const res = await this.request(`/proofs/inclusion?${params}`);
    return (await res.json()) as AuditInclusionProof;
  }

  private async request(path: string, init?: RequestInit): Promise<Response> {
    const base = await this.discoveryApi.getBaseUrl('audit');
    const res = await this.fetchApi.fetch(`${base}${path}`, init);
    if (!res.ok) {
      throw await ResponseError.fromResponse(res);
    }
    return res;
  }
}

/** True when the server refused the call for lack of permission (403). */
export const isNotAllowed = (error: unknown): boolean => hasStatus(error, 403);

/** What to show for a failed call (the server's own message when it sent one). */
export { errorMessage } from '@internal/plugin-dezky-react';
