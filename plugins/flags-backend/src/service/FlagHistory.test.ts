import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { AuditEvent } from '@internal/plugin-audit-common';
import { AuditFlagHistory } from './FlagHistory';

const event = (seq: number, ref: string): AuditEvent => ({
  seq,
  prevHash: '',
  hash: '',
  at: new Date(Date.UTC(2026, 10, 27, 0, 0, seq)).toISOString(),
  actor: { type: 'user', ref: 'user:default/anna' },
  action: 'flag.updated',
  outcome: 'success',
  resource: { type: 'flag', ref, name: ref.slice(5) },
  source: 'portal',
});

function history(hot: AuditEvent[], archived: AuditEvent[], status = 200) {
  const urls: URL[] = [];
  const tokens: string[] = [];
  const fetch = jest.fn(async (url: string, init?: RequestInit) => {
    const u = new URL(url);
    urls.push(u);
    tokens.push(new Headers(init?.headers).get('authorization') ?? '');
    if (status !== 200) return new Response('', { status });
    const all = (u.searchParams.get('tier') === 'archive' ? archived : hot)
      .slice()
      .sort((a, b) => b.seq - a.seq);
    // pages of 2, newest first, as the audit API pages
    const cursor = Number(u.searchParams.get('cursor') ?? Infinity);
    const rest = all.filter(e => e.seq < cursor);
    const items = rest.slice(0, 2);
    return Response.json({
      items,
      ...(rest.length > 2 ? { nextCursor: String(items[1].seq) } : {}),
    });
  });
  return {
    urls,
    tokens,
    history: new AuditFlagHistory({
      discovery: {
        getBaseUrl: async id => `http://backend/api/${id}`,
        getExternalBaseUrl: async id => `http://backend/api/${id}`,
      },
      auth: mockServices.auth(),
      fetch: fetch as unknown as typeof globalThis.fetch,
    }),
  };
}

describe('AuditFlagHistory', () => {
  it('follows every page of both tiers, keeps only the exact flag, newest first, without duplicates', async () => {
    const hot = [
      event(10, 'flag:busy'),
      event(9, 'flag:busy_too'),
      event(8, 'flag:busy'),
      event(7, 'flag:busy'),
      event(6, 'flag:busy'),
      event(5, 'flag:busy'),
    ];
    // a restored batch, overlapping the hot chain in one event
    const archived = [event(5, 'flag:busy'), event(2, 'flag:busy')];
    const { history: h, urls } = history(hot, archived);
    const items = await h.of('busy', mockCredentials.user());
    expect(items.map(e => e.seq)).toEqual([10, 8, 7, 6, 5, 2]);
    expect(urls[0].pathname).toBe('/api/audit/events');
    expect(urls[0].searchParams.get('action')).toBe('flag.*');
    expect(urls[0].searchParams.get('q')).toBe('flag:busy');
    // 6 hot events in pages of 2 = 3 requests, 2 archived = 1
    expect(urls).toHaveLength(4);
  });

  it('fails loudly rather than show part of a history', async () => {
    const { history: h } = history([], [], 503);
    await expect(h.of('busy', mockCredentials.user())).rejects.toThrow('503');
  });

  it('reads on behalf of the caller, so the audit plugin applies its scope', async () => {
    const { history: h, tokens } = history([event(1, 'flag:busy')], []);
    await h.of('busy', mockCredentials.user('user:default/jana'));
    expect(tokens).toHaveLength(2);
    for (const token of tokens) {
      expect(token).toBe(
        `Bearer ${mockCredentials.service.token({
          onBehalfOf: mockCredentials.user('user:default/jana'),
          targetPluginId: 'audit',
        })}`,
      );
    }
  });
});
