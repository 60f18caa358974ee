/*
 * The formats every Dezky page uses, so a time, a size or a duration reads
 * the same everywhere.
 */

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * A local date and time, `2026-11-25 18:00:05` (`seconds: false`:
 * `2026-11-25 18:00`) in the browser's time zone; `—` for none, the input
 * as it is when it is not a time.
 */
export function formatTime(
  iso: string | undefined,
  options: { seconds?: boolean } = {},
): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const time = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(
    d.getDate(),
  )} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return options.seconds === false ? time : `${time}:${pad(d.getSeconds())}`;
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

/** A count with thousands separators: `12,345`. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** `1 tenant`, `3 tenants` (`plural` when the plural is not `<one>s`). */
export function countOf(n: number, one: string, plural = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : plural}`;
}

/** A duration as `2 h 5 min`, `4 min 10 s`, `12 s` or `3 d 4 h`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** Milliseconds, rounded: `12 ms`; `—` for none. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return `${Math.round(ms)} ms`;
}

/** A ratio (0–1) as a percentage with two decimals, `99.95 %`; `—` for none. */
export function formatRatio(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined) return '—';
  return `${(ratio * 100).toFixed(2)} %`;
}

/** A value in a table cell or a diff: strings as they are, the rest as JSON; `—` for none. */
export function formatValue(value: unknown): string {
  if (value === undefined) return '—';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** Who did something, as short as it stays recognizable: email, ref, or kind. */
export function actorLabel(actor: {
  type: string;
  email?: string;
  ref?: string;
}): string {
  return actor.email ?? actor.ref ?? actor.type;
}
