import {
  AuthService,
  BackstageCredentials,
  DiscoveryService,
} from '@backstage/backend-plugin-api';
import { AuditEvent, AuditEventsPage } from '@internal/plugin-audit-common';

/** A flag's changes, from the audit chain. */
export interface FlagHistory {
  /** Every recorded change of the flag the caller may see, newest first. */
  of(key: string, caller: BackstageCredentials): Promise<AuditEvent[]>;
}

/**
 * Reads a flag's history from the audit plugin's API (GET
 * /api/audit/events?action=flag.*&q=flag:<key>) on the caller's behalf, so
 * the audit plugin's scope applies: operators see every change, partner
 * staff only events of their own partners (flag changes concern no partner,
 * so none), exactly what /api/audit/events shows them. It follows
 * `nextCursor` to the end — complete, not
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

  async of(key: string, caller: BackstageCredentials): Promise<AuditEvent[]> {
    const ref = `flag:${key}`;
    const { token } = await this.deps.auth.getPluginRequestToken({
      onBehalfOf: caller,
      targetPluginId: 'audit',
    });
    const [hot, archived] = await Promise.all([
      this.all(ref, 'hot', token),
      this.all(ref, 'archive', token),
    ]);
    const bySeq = new Map<number, AuditEvent>();
    for (const e of [...hot, ...archived]) {
      if (e.resource?.ref === ref) bySeq.set(e.seq, e);
    }
    return [...bySeq.values()].sort((a, b) => b.seq - a.seq);
  }

  private async all(ref: string, tier: 'hot' | 'archive', token: string) {
    const { discovery } = this.deps;
    const doFetch = this.deps.fetch ?? globalThis.fetch;
    const baseUrl = await discovery.getBaseUrl('audit');
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
