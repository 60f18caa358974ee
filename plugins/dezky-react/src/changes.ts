/*
 * The before/after changes an audit event carries in its metadata, as the
 * portal and the ingest sources record them (the Audit page's rows, a
 * flag's history).
 */

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
