/*
 * How the health frontend words a check, a chart point and an integration.
 * The generic formats (ratios, milliseconds, durations, times) come from
 * `plugin-dezky-react`.
 */
import { formatDuration } from '@internal/plugin-dezky-react';

/** "checked 12 s ago" relative to now; "not checked yet" without a time. */
export function checkedAgo(checkedAt: string | undefined, now: number): string {
  if (!checkedAt) return 'not checked yet';
  const t = Date.parse(checkedAt);
  if (Number.isNaN(t)) return 'not checked yet';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 120) return `checked ${s} s ago`;
  return `checked ${formatDuration(s * 1000)} ago`;
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
