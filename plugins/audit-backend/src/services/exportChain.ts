import { InputError } from '@backstage/errors';
import {
  AUDIT_EXPORT_FORMAT,
  AuditExportHeader,
  AuditExportLine,
  AuditJwks,
} from '@internal/plugin-audit-common';
import { AuditStore, fromRow } from '../database/AuditStore';

const line = (value: AuditExportLine) => `${JSON.stringify(value)}\n`;

/**
 * Writes a range of the chain as NDJSON (the format and its verifier:
 * exportFile.ts of `plugin-audit-common`, docs/audit.md): a header with the public keys, the events from `fromSeq`
 * to `toSeq` as stored (a tampered row is exported tampered), then the
 * checkpoints whose head is in the range. Pages through the store, one
 * `write` per page, so the chain is never held in memory; `write` may return
 * a promise to apply back-pressure.
 *
 * Without `toSeq` the export runs to the head and carries every checkpoint
 * from `fromSeq` on, so a checkpoint beyond a cut-off tail shows up as
 * `checkpoint-head-mismatch` in verifyExport, as in verifyChain.
 */
export async function exportChain(options: {
  store: Pick<AuditStore, 'rowsAfter' | 'checkpoints' | 'head'>;
  /** The JWKS of GET /api/audit/keys. */
  keys: AuditJwks;
  fromSeq?: number;
  toSeq?: number;
  write: (chunk: string) => Promise<void> | void;
  pageSize?: number;
}): Promise<{
  fromSeq: number;
  toSeq: number;
  events: number;
  checkpoints: number;
}> {
  const { store, write, pageSize = 5_000 } = options;
  const fromSeq = options.fromSeq ?? 1;
  const wantedTo = options.toSeq ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(fromSeq) || fromSeq < 1) {
    throw new InputError('fromSeq must be a whole number from 1');
  }
  if (!Number.isSafeInteger(wantedTo) || wantedTo < fromSeq) {
    throw new InputError('toSeq must be a whole number from fromSeq');
  }
  // checkpoints before the head: every checkpoint read is then at or below it
  const checkpoints = (await store.checkpoints()).filter(
    c => c.headSeq >= fromSeq && c.headSeq <= wantedTo,
  );
  const head = (await store.head())?.seq ?? 0;
  const toSeq = Math.min(wantedTo, head);
  if (toSeq < fromSeq && head > 0) {
    throw new InputError(`fromSeq ${fromSeq} is after the head ${head}`);
  }

  const header: AuditExportHeader = {
    format: AUDIT_EXPORT_FORMAT,
    fromSeq,
    toSeq: Math.max(toSeq, fromSeq - 1),
    exportedAt: new Date().toISOString(),
    keys: options.keys,
  };
  await write(`${JSON.stringify(header)}\n`);

  let after = fromSeq - 1;
  let events = 0;
  while (after < toSeq) {
    const rows = await store.rowsAfter(
      after,
      Math.min(pageSize, toSeq - after),
    );
    if (!rows.length) break;
    let chunk = '';
    for (const row of rows) {
      if (Number(row.seq) > toSeq) break;
      chunk += line({ type: 'event', event: fromRow(row) });
      events++;
    }
    after = Number(rows[rows.length - 1].seq);
    if (chunk) await write(chunk);
  }

  if (checkpoints.length) {
    await write(
      checkpoints
        .map(c => line({ type: 'checkpoint', checkpoint: c }))
        .join(''),
    );
  }
  return {
    fromSeq,
    toSeq: header.toSeq,
    events,
    checkpoints: checkpoints.length,
  };
}
