import { AuditArchiveBatch, AuditEvent } from '@internal/plugin-audit-common';
import { Knex } from 'knex';
import type { ArchiveManifestClaims } from '../archive/batchObjects';
import { AuditRow } from './AuditStore';

/**
 * A batch as recorded in `audit_archive_batches`: what its manifest says
 * (range, count, chain ends, object), and where the manifest is.
 */
export interface ArchiveBatchRecord
  extends Pick<
    ArchiveManifestClaims,
    | 'fromSeq'
    | 'toSeq'
    | 'count'
    | 'firstPrevHash'
    | 'lastHash'
    | 'objectKey'
    | 'objectSha256'
    | 'objectBytes'
    | 'archivedAt'
  > {
  id: number;
  uncompressedBytes: number;
  manifestKey: string;
  manifestSha256: string;
  kid: string;
  restoredAt?: string;
}

/** A range uploaded (perhaps partly) but not yet recorded. */
export interface PendingArchive {
  fromSeq: number;
  toSeq: number;
  objectKey: string;
  manifestKey: string;
}

const STATE = 'archive';

function toRecord(r: any): ArchiveBatchRecord {
  return {
    id: Number(r.id),
    fromSeq: Number(r.from_seq),
    toSeq: Number(r.to_seq),
    count: Number(r.count),
    firstPrevHash: r.first_prev_hash,
    lastHash: r.last_hash,
    objectKey: r.object_key,
    objectSha256: r.object_sha256,
    objectBytes: Number(r.object_bytes),
    uncompressedBytes: Number(r.uncompressed_bytes),
    manifestKey: r.manifest_key,
    manifestSha256: r.manifest_sha256,
    kid: r.kid,
    archivedAt: r.archived_at,
    restoredAt: r.restored_at ?? undefined,
  };
}

/** The API's view of a batch. */
export function toApiBatch(b: ArchiveBatchRecord): AuditArchiveBatch {
  return {
    id: b.id,
    archivedAt: b.archivedAt,
    fromSeq: b.fromSeq,
    toSeq: b.toSeq,
    count: b.count,
    bytes: b.objectBytes,
    manifestSha256: b.manifestSha256,
    objectKey: b.objectKey,
    manifestKey: b.manifestKey,
    ...(b.restoredAt ? { restoredAt: b.restoredAt } : {}),
  };
}

/**
 * The cold archive's tables (migration 20261126110000_archive.js) on the
 * audit plugin's database: batches, the run lease and pending range, and
 * restored events. Portable between SQLite and PostgreSQL: the lease is a
 * conditional UPDATE of one row, not an advisory lock, as a run spans many
 * transactions and S3 calls.
 */
export class ArchiveStore {
  constructor(private readonly knex: Knex) {}

  /** Every batch, in seq order. */
  async batches(): Promise<ArchiveBatchRecord[]> {
    const rows = await this.knex('audit_archive_batches').orderBy(
      'from_seq',
      'asc',
    );
    return rows.map(toRecord);
  }

  /** The batches that start after `afterSeq`, in seq order. */
  async batchesAfter(afterSeq: number): Promise<ArchiveBatchRecord[]> {
    const rows = await this.knex('audit_archive_batches')
      .where('from_seq', '>', afterSeq)
      .orderBy('from_seq', 'asc');
    return rows.map(toRecord);
  }

  async batch(id: number): Promise<ArchiveBatchRecord | undefined> {
    const row = await this.knex('audit_archive_batches').where({ id }).first();
    return row ? toRecord(row) : undefined;
  }

  /** The batch with the highest seqs, if any. */
  async lastBatch(): Promise<ArchiveBatchRecord | undefined> {
    const row = await this.knex('audit_archive_batches')
      .orderBy('to_seq', 'desc')
      .first();
    return row ? toRecord(row) : undefined;
  }

  /** The last archived seq (0 when nothing is archived). */
  async archivedThrough(): Promise<number> {
    const row = await this.knex('audit_archive_batches')
      .max({ to: 'to_seq' })
      .first();
    return Number(row?.to ?? 0);
  }

  /**
   * The lowest seq in `fromSeq`..`toSeq` of the hot table whose event is at
   * or after `cutoff`, if any: where a batch due at `cutoff` must end.
   */
  async firstAtOrAfter(
    fromSeq: number,
    toSeq: number,
    cutoff: string,
  ): Promise<number | undefined> {
    const row = await this.knex<AuditRow>('audit_events')
      .whereBetween('seq', [fromSeq, toSeq])
      .andWhere('at', '>=', cutoff)
      .min({ seq: 'seq' })
      .first();
    return row?.seq === null || row?.seq === undefined
      ? undefined
      : Number(row.seq);
  }

  /**
   * Takes the run lease for `holder` until `now + leaseMs`, when nobody
   * holds it or its holder's lease has run out. One UPDATE: two instances
   * racing for it cannot both succeed.
   */
  async tryLock(holder: string, leaseMs: number, now = new Date()) {
    const n = await this.knex('audit_archive_state')
      .where({ id: STATE })
      .andWhere(b =>
        b
          .whereNull('holder')
          .orWhere('lease_until', '<', now.toISOString())
          .orWhere('holder', holder),
      )
      .update({
        holder,
        lease_until: new Date(now.getTime() + leaseMs).toISOString(),
      });
    return n === 1;
  }

  /** Extends `holder`'s lease; false when it no longer holds it. */
  async renewLock(
    holder: string,
    leaseMs: number,
    now = new Date(),
    db: Knex = this.knex,
  ): Promise<boolean> {
    const n = await db('audit_archive_state')
      .where({ id: STATE, holder })
      .update({
        lease_until: new Date(now.getTime() + leaseMs).toISOString(),
      });
    return n === 1;
  }

  async unlock(holder: string): Promise<void> {
    await this.knex('audit_archive_state')
      .where({ id: STATE, holder })
      .update({ holder: null, lease_until: null });
  }

  async pending(): Promise<PendingArchive | undefined> {
    const row = await this.knex('audit_archive_state')
      .where({ id: STATE })
      .first();
    if (!row || row.pending_from_seq === null) return undefined;
    return {
      fromSeq: Number(row.pending_from_seq),
      toSeq: Number(row.pending_to_seq),
      objectKey: row.pending_object_key,
      manifestKey: row.pending_manifest_key,
    };
  }

  /** Notes the range about to be uploaded, or clears it (undefined). */
  async setPending(
    pending: PendingArchive | undefined,
    db: Knex = this.knex,
  ): Promise<void> {
    await db('audit_archive_state')
      .where({ id: STATE })
      .update({
        pending_from_seq: pending?.fromSeq ?? null,
        pending_to_seq: pending?.toSeq ?? null,
        pending_object_key: pending?.objectKey ?? null,
        pending_manifest_key: pending?.manifestKey ?? null,
      });
  }

  async lastScheduledDay(): Promise<string | undefined> {
    const row = await this.knex('audit_archive_state')
      .where({ id: STATE })
      .first('last_scheduled_day');
    return row?.last_scheduled_day ?? undefined;
  }

  async setLastScheduledDay(day: string): Promise<void> {
    await this.knex('audit_archive_state')
      .where({ id: STATE })
      .update({ last_scheduled_day: day });
  }

  /**
   * In one transaction: checks that `holder` still holds the lease and that
   * the range is still hot as archived (its count, its last hash), records
   * the batch, keeps the (source, external_id) keys of its events in
   * `audit_archived_external_ids` (so a replayed event stays a duplicate:
   * AuditStore.append), clears the pending range, and deletes the range from
   * `audit_events`. Either all of it commits or none. `hooks` run inside:
   * `beforeRecord` first, `beforeDelete` between recording and deleting
   * (fault injection in tests). Returns the batch's id.
   */
  async commitBatch(
    batch: Omit<ArchiveBatchRecord, 'id' | 'restoredAt'>,
    options: {
      holder: string;
      leaseMs: number;
      now?: Date;
      beforeRecord?: () => void | Promise<void>;
      beforeDelete?: () => void | Promise<void>;
    },
  ): Promise<number> {
    return this.knex.transaction(async tx => {
      if (
        !(await this.renewLock(
          options.holder,
          options.leaseMs,
          options.now,
          tx,
        ))
      ) {
        throw new Error('lost the archive lease before recording the batch');
      }
      const range = await tx<AuditRow>('audit_events')
        .whereBetween('seq', [batch.fromSeq, batch.toSeq])
        .count({ n: '*' })
        .first();
      const last = await tx<AuditRow>('audit_events')
        .where('seq', batch.toSeq)
        .first('hash');
      if (Number(range?.n) !== batch.count || last?.hash !== batch.lastHash) {
        throw new Error(
          `seq ${batch.fromSeq}-${batch.toSeq} changed in the hot table while it was archived`,
        );
      }
      await options.beforeRecord?.();
      const [inserted] = await tx('audit_archive_batches')
        .insert({
          from_seq: batch.fromSeq,
          to_seq: batch.toSeq,
          count: batch.count,
          first_prev_hash: batch.firstPrevHash,
          last_hash: batch.lastHash,
          object_key: batch.objectKey,
          object_sha256: batch.objectSha256,
          object_bytes: batch.objectBytes,
          uncompressed_bytes: batch.uncompressedBytes,
          manifest_key: batch.manifestKey,
          manifest_sha256: batch.manifestSha256,
          kid: batch.kid,
          archived_at: batch.archivedAt,
          external_ids_kept: true,
        })
        .returning('id');
      const id = Number(
        typeof inserted === 'object'
          ? (inserted as { id: number }).id
          : inserted,
      );
      await tx.raw(
        `INSERT INTO audit_archived_external_ids (source, external_id, seq, hash, batch_id)
         SELECT source, external_id, seq, hash, CAST(? AS INTEGER) FROM audit_events
         WHERE seq BETWEEN ? AND ? AND external_id IS NOT NULL`,
        [id, batch.fromSeq, batch.toSeq],
      );
      await this.setPending(undefined, tx);
      await options.beforeDelete?.();
      const deleted = await tx('audit_events')
        .whereBetween('seq', [batch.fromSeq, batch.toSeq])
        .delete();
      if (deleted !== batch.count) {
        throw new Error(
          `deleting seq ${batch.fromSeq}-${batch.toSeq} removed ${deleted} rows, not ${batch.count}`,
        );
      }
      return id;
    });
  }

  /** The batches whose events' keys are not (yet) in `audit_archived_external_ids`. */
  async batchesWithoutKeys(): Promise<ArchiveBatchRecord[]> {
    const rows = await this.knex('audit_archive_batches')
      .where({ external_ids_kept: false })
      .orderBy('from_seq', 'asc');
    return rows.map(toRecord);
  }

  /**
   * Keeps the (source, external_id) keys of a batch's events (read from its
   * archived object) and marks the batch as kept, in one transaction; keys
   * already kept are left as they are. Returns how many keys were new.
   */
  async keepKeys(batchId: number, events: AuditEvent[]): Promise<number> {
    const rows = events
      .filter(e => e.externalId)
      .map(e => ({
        source: e.source,
        external_id: e.externalId,
        seq: e.seq,
        hash: e.hash,
        batch_id: batchId,
      }));
    return this.knex.transaction(async tx => {
      const count = async () =>
        Number(
          (await tx('audit_archived_external_ids').count({ n: '*' }).first())
            ?.n ?? 0,
        );
      const before = await count();
      for (let i = 0; i < rows.length; i += 200) {
        await tx('audit_archived_external_ids')
          .insert(rows.slice(i, i + 200))
          .onConflict(['source', 'external_id'])
          .ignore();
      }
      await tx('audit_archive_batches')
        .where({ id: batchId })
        .update({ external_ids_kept: true });
      return (await count()) - before;
    });
  }

  /**
   * Replaces the restored copy of a batch with `rows` (already verified) and
   * marks the batch restored, in one transaction.
   */
  async restore(batchId: number, rows: AuditRow[], restoredAt: string) {
    await this.knex.transaction(async tx => {
      await tx('audit_restored_events').where({ batch_id: batchId }).delete();
      const withBatch = rows.map(r => ({
        ...r,
        batch_id: batchId,
        restored_at: restoredAt,
      }));
      for (let i = 0; i < withBatch.length; i += 200) {
        await tx('audit_restored_events').insert(withBatch.slice(i, i + 200));
      }
      await tx('audit_archive_batches')
        .where({ id: batchId })
        .update({ restored_at: restoredAt });
    });
  }

  /** Drops the restored copy of a batch; the archive itself is untouched. */
  async dropRestored(batchId: number): Promise<void> {
    await this.knex.transaction(async tx => {
      await tx('audit_restored_events').where({ batch_id: batchId }).delete();
      await tx('audit_archive_batches')
        .where({ id: batchId })
        .update({ restored_at: null });
    });
  }

  /** How many restored events a batch has (for tests and checks). */
  async restoredCount(batchId: number): Promise<number> {
    const row = await this.knex('audit_restored_events')
      .where({ batch_id: batchId })
      .count({ n: '*' })
      .first();
    return Number(row?.n ?? 0);
  }
}
