/** An uptime ratio as a percentage with two decimals, or "—" without samples. */
export function formatUptime(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined) return '—';
  return `${(ratio * 100).toFixed(2)} %`;
}

/** Milliseconds, rounded, or "—". */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return `${Math.round(ms)} ms`;
}

/** A duration as "2 h 5 min", "4 min 10 s" or "12 s". */
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

/** "checked 12 s ago" relative to now; "not checked yet" without a time. */
export function checkedAgo(checkedAt: string | undefined, now: number): string {
  if (!checkedAt) return 'not checked yet';
  const t = Date.parse(checkedAt);
  if (Number.isNaN(t)) return 'not checked yet';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 120) return `checked ${s} s ago`;
  return `checked ${formatDuration(s * 1000)} ago`;
}

/** A local date and time, e.g. "2026-11-25 17:00:05". */
export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(
    d.getHours(),
  )}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** What one point of a chart is: a probe, or the worst of a bucket's probes. */
export function pointMeaning(bucketMs: number | null): string {
  return bucketMs === null
    ? 'each point: one probe'
    : `each point: the worst of ${formatDuration(bucketMs)}`;
}

/** The integration's display name: its title, else the name of its ref. */
export function displayName(ref: string, title?: string): string {
  if (title) return title;
  const slash = ref.lastIndexOf('/');
  return slash >= 0 ? ref.slice(slash + 1) : ref;
}
