import { AuditEvent } from '@internal/plugin-audit-common';
import { csvField } from '@internal/plugin-dezky-node';
import { once } from 'events';
import { Writable } from 'stream';

/** The CSV columns, in order. */
export const CSV_COLUMNS: Array<[string, (e: AuditEvent) => unknown]> = [
  ['seq', e => e.seq],
  ['at', e => e.at],
  ['actor_type', e => e.actor.type],
  ['actor_ref', e => e.actor.ref],
  ['actor_email', e => e.actor.email],
  ['actor_ip', e => e.actor.ip],
  ['action', e => e.action],
  ['outcome', e => e.outcome],
  ['resource_type', e => e.resource?.type],
  ['resource_ref', e => e.resource?.ref],
  ['resource_name', e => e.resource?.name],
  ['tenant', e => e.tenant],
  ['partner', e => e.partner],
  ['source', e => e.source],
  ['external_id', e => e.externalId],
  ['metadata', e => (e.metadata ? JSON.stringify(e.metadata) : undefined)],
  ['prev_hash', e => e.prevHash],
  ['hash', e => e.hash],
];

export function csvLine(e: AuditEvent): string {
  return `${CSV_COLUMNS.map(([, get]) => csvField(get(e))).join(',')}\r\n`;
}

/**
 * Streams events as CSV, respecting back-pressure. If reading fails midway
 * the stream is destroyed, so the client sees a failed download rather than
 * a file that looks complete.
 */
export async function writeEventsCsv(
  events: AsyncIterable<AuditEvent>,
  out: Writable,
): Promise<void> {
  try {
    out.write(`${CSV_COLUMNS.map(([name]) => name).join(',')}\r\n`);
    for await (const event of events) {
      if (out.destroyed) return; // the client went away
      if (!out.write(csvLine(event))) {
        await Promise.race([once(out, 'drain'), once(out, 'close')]);
      }
    }
    out.end();
  } catch (error) {
    out.destroy(error as Error);
    throw error;
  }
}
