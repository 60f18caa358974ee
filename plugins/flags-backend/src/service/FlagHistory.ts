import { AuthService, DiscoveryService } from '@backstage/backend-plugin-api';
import { AuditEvent, AuditEventsPage } from '@internal/plugin-audit-common';

/** A flag's changes, from the audit chain. */
export interface FlagHistory {
  /** Every recorded change of the flag, newest first. */
  of(key: string): Promise<AuditEvent[]>;
}

/**
 * Reads a flag's history from the audit plugin's API (GET
 * /api/audit/events?action=flag.*&q=flag:<key>) with the flags plugin's own
 * service credentials, following `nextCursor` to the end — complete, not
 * capped — in the hot chain and in restored archive batches (`tier=archive`),
 * and keeps the events whose resource is exactly `flag:<key>` (the free-text
 * `q` also matches longer keys).
 */
export class AuditFlagHistory implements FlagHistory {
  constructor(
    private readonly deps: {
      discovery: DiscoveryService;
      auth: AuthService;
      fetch?: typeof fetch;
    },
  ) {}

  async of(key: string): Promise<AuditEvent[]> {
    const ref = `flag:${key}`;
    const [hot, archived] = await Promise.all([
      this.all(ref, 'hot'),
      this.all(ref, 'archive'),
    ]);
    const bySeq = new Map<number, AuditEvent>();
    for (const e of [...hot, ...archived]) {
      if (e.resource?.ref === ref) bySeq.set(e.seq, e);
    }
    return [...bySeq.values()].sort((a, b) => b.seq - a.seq);
  }

  private async all(ref: string, tier: 'hot' | 'archive') {
    const { discovery, auth } = this.deps;
    const doFetch = this.deps.fetch ?? globalThis.fetch;
    const baseUrl = await discovery.getBaseUrl('audit');
    const { token } = await auth.getPluginRequestToken({
      onBehalfOf: await auth.getOwnServiceCredentials(),
      targetPluginId: 'audit',
    });
    const events: AuditEvent[] = [];
    let cursor: string | undefined;
    do {
      const query = new URLSearchParams({
        action: 'flag.*',
        q: ref,
        limit: '500',
        ...(tier === 'archive' ? { tier } : {}),
        ...(cursor ? { cursor } : {}),
      });
      const res = await doFetch(`${baseUrl}/events?${query}`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      if (!res.ok) {
        throw new Error(
          `The audit plugin answered ${res.status} for the history of ${ref}`,
        );
      }
      const page = (await res.json()) as AuditEventsPage;
      events.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return events;
  }
}
