/*
 * How the audit frontend shows the chain. The generic formats (times,
 * sizes, counts, values, actors) and an event's before/after changes come
 * from `plugin-dezky-react`.
 */

/** A hash cut to its first 12 hex digits (the full one goes in a title). */
export function shortHash(hash: string): string {
  return hash.length > 12 ? `${hash.slice(0, 12)}…` : hash;
}
