import { AuditEvent } from '@internal/plugin-audit-common';
import { AuditEventsQueryWithTier } from '../api';

/** One changed field of an event: `metadata[field] = { from, to }`. */
export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The before/after changes in an event's metadata: every top-level field
 * shaped `{ from, to }`, plus those under a `changes` or `diff` object (the
 * shapes the portal and the ingest sources record).
 */
export function metadataChanges(
  metadata: Record<string, unknown> | undefined,
): FieldChange[] {
  if (!metadata) return [];
  const out: FieldChange[] = [];
  const collect = (obj: Record<string, unknown>, prefix: string) => {
    for (const [key, value] of Object.entries(obj)) {
      if (isRecord(value) && ('from' in value || 'to' in value)) {
        const keys = Object.keys(value);
        if (keys.every(k => k === 'from' || k === 'to')) {
          out.push({ field: prefix + key, from: value.from, to: value.to });
        }
      } else if (
        !prefix &&
        (key === 'changes' || key === 'diff') &&
        isRecord(value)
      ) {
        collect(value, '');
      }
    }
  };
  collect(metadata, '');
  return out;
}

/** A value in the before/after table: strings as they are, the rest as JSON. */
export function formatValue(value: unknown): string {
  if (value === undefined) return '—';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** Who did it, as short as it stays recognizable. */
export function actorLabel(event: AuditEvent): string {
  return event.actor.email ?? event.actor.ref ?? event.actor.type;
}

/** `2026-11-25 18:00:00` in the browser's time zone. */
export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(
    d.getHours(),
  )}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A hash cut to its first 12 hex digits (the full one goes in a title). */
export function shortHash(hash: string): string {
  return hash.length > 12 ? `${hash.slice(0, 12)}…` : hash;
}

/** A size in bytes as people read it: `512 B`, `1.5 MiB`, `12 GiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${bytes} B`;
  const digits = value < 10 ? 1 : 0;
  return `${Number(value.toFixed(digits))} ${units[unit]}`;
}

/** A count with thousands separators: 12,345. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

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

/** The CSV file name for a download on a day: audit-YYYYMMDD.csv. */
export function csvFileName(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `audit-${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(
    date.getDate(),
  )}.csv`;
}
