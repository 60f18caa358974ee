import {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { Permission } from '@backstage/plugin-permission-common';

/** How long a user's decision on reading is kept: 2 s. */
export const READ_DECISION_TTL_MS = 2_000;

/** Options of {@link cacheReadDecisions}. */
export interface ReadDecisionCacheOptions {
  /** How long a decision is kept (ms, default {@link READ_DECISION_TTL_MS}). */
  ttlMs?: number;
  /** At most this many decisions are kept (default 10,000). */
  maxEntries?: number;
  /** For tests. */
  now?: () => number;
}

interface Entry {
  decision: Promise<unknown[]>;
  expires: number;
}

/**
 * The cache key of the one principal the decision is for: a signed-in user
 * (the user's entity ref and, for a call made on a user's behalf, the
 * calling service with its access restrictions). Undefined for anything
 * else: services are decided in process by the permissions service already.
 */
function userKey(credentials: BackstageCredentials): string | undefined {
  const principal = credentials.principal as { type?: string };
  return principal?.type === 'user' ? JSON.stringify(principal) : undefined;
}

/** Only a decision on reading, asked for no particular resource, is kept. */
const cacheable = (requests: Array<{ permission: Permission }>) =>
  requests.length === 1 &&
  requests[0].permission.attributes.action === 'read' &&
  !('resourceRef' in requests[0] && requests[0].resourceRef);

/**
 * Permissions that keep each signed-in user's decisions on reading for a
 * short time (`ttlMs`, 2 s by default), so that a burst of reads by the same
 * user (an OpenFeature client polling OFREP, the Flags page) asks the
 * permission backend once instead of once per request — for a user that is
 * an HTTP round trip with a token issued and verified on both sides.
 *
 * What is kept: the answer of `authorize` and `authorizeConditional` for one
 * permission whose action is `read` (`flags.flag.read`,
 * `flags.tenant.evaluate`), asked without a resourceRef, per user principal
 * (the user's entity ref and any calling service), for `ttlMs` from the
 * moment it was asked. A change of the user's role or partner is therefore
 * seen within `ttlMs` (plus the policy's own caching). Never kept: decisions
 * on changes (`flags.flag.manage`), decisions for one resource, the
 * decisions of services (decided in process, from their access
 * restrictions), and failures (the next request asks again).
 */
export function cacheReadDecisions(
  permissions: PermissionsService,
  options: ReadDecisionCacheOptions = {},
): PermissionsService {
  const ttlMs = options.ttlMs ?? READ_DECISION_TTL_MS;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();

  function cached<T>(
    method: string,
    requests: Array<{ permission: Permission }>,
    credentials: BackstageCredentials,
    ask: () => Promise<T[]>,
  ): Promise<T[]> {
    const user = cacheable(requests) ? userKey(credentials) : undefined;
    if (user === undefined) return ask();
    const key = `${method}\u0000${requests[0].permission.name}\u0000${user}`;
    const t = now();
    const hit = entries.get(key);
    if (hit && hit.expires > t) {
      return hit.decision as Promise<T[]>;
    }
    if (entries.size >= maxEntries) {
      for (const [k, e] of entries) if (e.expires <= t) entries.delete(k);
      if (entries.size >= maxEntries) entries.clear();
    }
    const decision = ask();
    const entry = { decision, expires: t + ttlMs };
    entries.set(key, entry);
    decision.catch(() => {
      if (entries.get(key) === entry) entries.delete(key);
    });
    return decision;
  }

  return {
    authorize: (requests, opts) =>
      cached('authorize', requests, opts.credentials, () =>
        permissions.authorize(requests, opts),
      ),
    authorizeConditional: (requests, opts) =>
      cached('authorizeConditional', requests, opts.credentials, () =>
        permissions.authorizeConditional(requests, opts),
      ),
  };
}
