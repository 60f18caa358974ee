/**
 * A probe as read from an Integration's spec.probe
 * (Integration.v1alpha1.schema.json, docs/health.md#probes).
 */
export interface ProbeSpec {
  type: 'tcp' | 'http' | 'postgres';
  /** http: a full URL; tcp: host:port; postgres: unused (the portal's own database). */
  target?: string;
  timeoutMs?: number;
  /** http: the expected status; default any 2xx or 3xx. */
  expectStatus?: number;
  /** http: default GET. */
  method?: string;
  /** http: appended to the target URL's path when present. */
  path?: string;
  /** http: the body must contain this text. */
  bodyMatch?: string;
  /** Latency above this is warn (default 500 ms). */
  warnMs?: number;
  /** Latency above this is bad (default 1500 ms). */
  badMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 1500;
export const DEFAULT_WARN_MS = 500;
export const DEFAULT_BAD_MS = 1500;

const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() ? v.trim() : undefined;

/**
 * Reads spec.probe defensively: unknown types and missing targets give
 * undefined (not probed); unknown fields are ignored (the catalog's schema
 * has already rejected them).
 */
export function readProbeSpec(raw: unknown): ProbeSpec | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const p = raw as Record<string, unknown>;
  const type = p.type;
  if (type !== 'tcp' && type !== 'http' && type !== 'postgres') {
    return undefined;
  }
  const target = str(p.target);
  if (type !== 'postgres' && !target) return undefined;
  const spec: ProbeSpec = { type };
  const set = <K extends keyof ProbeSpec>(
    k: K,
    v: ProbeSpec[K] | undefined,
  ) => {
    if (v !== undefined) spec[k] = v;
  };
  set('target', target);
  set('timeoutMs', num(p.timeoutMs));
  set('expectStatus', num(p.expectStatus));
  set('method', str(p.method)?.toUpperCase());
  set('path', str(p.path));
  set('bodyMatch', typeof p.bodyMatch === 'string' ? p.bodyMatch : undefined);
  set('warnMs', num(p.warnMs));
  set('badMs', num(p.badMs));
  return spec;
}
