/*
 * The Audit page's filters: the URL parameters they live in, and the API
 * query they make.
 */
import { AuditEventsQueryWithTier } from '../api';

/** The quick time ranges of the filter bar, in milliseconds back from now. */
export const QUICK_RANGES: Record<string, { label: string; ms: number }> = {
  '24h': { label: '24 h', ms: 24 * 3600_000 },
  '7d': { label: '7 days', ms: 7 * 24 * 3600_000 },
  '30d': { label: '30 days', ms: 30 * 24 * 3600_000 },
};

/** The URL search parameters the Audit page keeps its filters in. */
export const FILTER_PARAMS = [
  'q',
  'action',
  'outcome',
  'source',
  'range',
  'since',
  'until',
  'tenant',
  'partner',
  'actor',
  'tier',
] as const;

export type FilterParam = (typeof FILTER_PARAMS)[number];
export type FilterValues = Record<FilterParam, string>;

/**
 * The API query for the filter values of the URL. A quick `range` wins over
 * explicit since/until; `now` is passed in so the query stays stable. Only
 * `tier=archive` is passed on (hot is the server's default).
 */
export function filtersToQuery(
  values: Partial<FilterValues>,
  now: number,
): AuditEventsQueryWithTier {
  const query: AuditEventsQueryWithTier = {};
  const text = (v: string | undefined) => v?.trim() || undefined;
  query.q = text(values.q);
  query.action = text(values.action);
  query.tenant = normalizeRef('tenant', text(values.tenant));
  query.partner = normalizeRef('partner', text(values.partner));
  query.actor = text(values.actor);
  query.source = text(values.source);
  if (values.outcome === 'success' || values.outcome === 'failure') {
    query.outcome = values.outcome;
  }
  const range = values.range ? QUICK_RANGES[values.range] : undefined;
  if (range) {
    query.since = new Date(now - range.ms).toISOString();
  } else {
    query.since = toIso(values.since);
    query.until = toIso(values.until);
  }
  if (values.tier === 'archive') query.tier = 'archive';
  for (const key of Object.keys(query) as Array<
    keyof AuditEventsQueryWithTier
  >) {
    if (query[key] === undefined) delete query[key];
  }
  return query;
}

/**
 * A tenant or partner as the full lower-case entity ref the server stores:
 * `acme` and `default/acme` become `tenant:default/acme`.
 */
export function normalizeRef(
  kind: 'tenant' | 'partner',
  value: string | undefined,
): string | undefined {
  if (!value) return undefined;
  let ref = value.toLocaleLowerCase('en-US');
  if (!ref.includes('/')) {
    const [k, name] = ref.includes(':') ? ref.split(':', 2) : [kind, ref];
    ref = `${k}:default/${name}`;
  } else if (!ref.includes(':')) {
    ref = `${kind}:${ref}`;
  }
  return ref;
}

function toIso(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** An ISO time as the value of a datetime-local input (local time, minutes). */
export function isoToLocalInput(iso: string): string {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(
    d.getHours(),
  )}:${pad(d.getMinutes())}`;
}

/** The value of a datetime-local input as an ISO time ('' when empty). */
export function localInputToIso(value: string): string {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}
