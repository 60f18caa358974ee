import { createHash } from 'crypto';
import {
  Flag,
  FlagContext,
  FlagEvaluation,
  FlagScope,
} from '@internal/plugin-flags-common';

/**
 * The tenant's rollout bucket for a flag, 0–9999: the first 4 bytes of
 * SHA-256 of the UTF-8 string `<tenant>:<flagKey>`, read as an unsigned
 * big-endian integer, mod 10000.
 */
export function rolloutBucket(tenant: string, flagKey: string): number {
  const digest = createHash('sha256')
    .update(`${tenant}:${flagKey}`, 'utf8')
    .digest();
  return digest.readUInt32BE(0) % 10_000;
}

/** The rollout threshold of a percentage: a bucket below it is in. */
export function rolloutThreshold(pct: number): number {
  return Math.round(pct * 100);
}

const AXES: Array<[keyof FlagScope, keyof FlagContext]> = [
  ['plans', 'plan'],
  ['tenants', 'tenant'],
  ['partners', 'partner'],
  ['environments', 'environment'],
];

/** True when no scope list has an entry. */
export function isScopeEmpty(scope: FlagScope): boolean {
  return AXES.every(([axis]) => scope[axis].length === 0);
}

/** True iff every non-empty scope list contains the context's value. */
export function matchesScope(scope: FlagScope, context: FlagContext): boolean {
  return AXES.every(([axis, field]) => {
    const list = scope[axis];
    const value = context[field];
    return list.length === 0 || (value !== undefined && list.includes(value));
  });
}

/**
 * A flag's value for a tenant, exactly as docs/flags.md states it:
 * - off → false; on → true;
 * - targeted → false when every scope list is empty (an empty allowlist
 *   means nobody), else true iff every non-empty list contains the tenant's
 *   value;
 * - rollout → the scope must match (empty lists match everyone), then
 *   `bucket < round(pct × 100)`.
 */
export function evaluateFlag(flag: Flag, context: FlagContext): FlagEvaluation {
  const { key } = flag;
  switch (flag.state) {
    case 'off':
      return { key, value: false, reason: 'off' };
    case 'on':
      return { key, value: true, reason: 'on' };
    case 'targeted':
      if (isScopeEmpty(flag.scope)) {
        return { key, value: false, reason: 'targeted-no-scope' };
      }
      return matchesScope(flag.scope, context)
        ? { key, value: true, reason: 'targeted-match' }
        : { key, value: false, reason: 'targeted-no-match' };
    case 'rollout': {
      if (!matchesScope(flag.scope, context)) {
        return { key, value: false, reason: 'rollout-scope-mismatch' };
      }
      const bucket = rolloutBucket(context.tenant, key);
      return bucket < rolloutThreshold(flag.pct)
        ? { key, value: true, reason: 'rollout-in', bucket }
        : { key, value: false, reason: 'rollout-out', bucket };
    }
    default:
      throw new Error(`Unknown flag state: ${String(flag.state)}`);
  }
}
