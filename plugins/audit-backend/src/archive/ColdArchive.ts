import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ConflictError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import {
  AUDIT_GENESIS_HASH,
  AuditArchiveBatch,
  AuditArchiveRestoreResult,
  AuditArchiveRunResult,
  AUDIT_EXPORT_FORMAT,
  AuditBreak,
  AuditEvent,
  AuditExportHeader,
  checkEvent,
} from '@internal/plugin-audit-common';
import { createHash, randomUUID } from 'crypto';
import { once } from 'events';
import os from 'os';
import { createGzip } from 'zlib';
import {
  ArchiveBatchRecord,
  ArchiveStore,
  PendingArchive,
  toApiBatch,
} from '../database/ArchiveStore';
import { AuditStore, fromRow, toRow } from '../database/AuditStore';
import { CheckpointSigner } from '../services/CheckpointSigner';
import { ArchivedRange, ArchiveTier } from '../services/verifyChain';
import { ArchiveSettings } from './config';
import { ColdStorage } from './ColdStorage';
import {
  ARCHIVE_MANIFEST_FORMAT,
  ARCHIVE_MANIFEST_TYP,
  ArchiveFormatError,
  ArchiveManifest,
  ArchiveManifestClaims,
  manifestClaims,
  readArchiveObject,
  sameClaims,
} from './batchObjects';

/**
 * The steps of archiving one batch, in order, at which `faults` is called
 * (tests inject failures there):
 * - `before-upload`: the range is chosen and noted as pending, nothing uploaded;
 * - `after-object`: the object is uploaded, not the manifest;
 * - `after-manifest`: both uploaded, not yet confirmed by HEAD;
 * - `after-head`: both confirmed, nothing recorded;
 * - `before-delete`: in the recording transaction, before the batch row;
 * - `during-delete`: in that transaction, the batch recorded, the events
 *   not yet deleted (a failure rolls the record back).
 */
export const ARCHIVE_STEPS = [
  'before-upload',
  'after-object',
  'after-manifest',
  'after-head',
  'before-delete',
  'during-delete',
] as const;
export type ArchiveStep = (typeof ARCHIVE_STEPS)[number];
export type ArchiveFaults = (step: ArchiveStep) => void | Promise<void>;

const DAY_MS = 86_400_000;

const sha256 = (data: Buffer) =>
  createHash('sha256').update(data).digest('hex');

/** A recorded batch as the verifier walks it. */
interface RecordedRange extends ArchivedRange {
  record: ArchiveBatchRecord;
}

/** What `collect` gathered for a batch: the gzipped export file and its chain ends. */
interface BatchContent {
  gz: Buffer;
  sha256: string;
  uncompressedBytes: number;
  count: number;
  lastHash: string;
}

export interface ColdArchiveOptions {
  store: AuditStore;
  /** Defaults to one on the store's database. */
  archiveStore?: ArchiveStore;
  /** The bucket; without it nothing can be archived, fetched or verified. */
  storage?: ColdStorage;
  /** Signs and checks manifests: the checkpoint key. */
  signer: CheckpointSigner;
  logger: LoggerService;
  /** Events older than this many days are archived (default 90). */
  retentionDays?: number;
  /** Events per batch at most (default 100,000). */
  batchSize?: number;
  /** UTC hour from which the scheduled run archives, once a day (default 3). */
  hour?: number;
  /** Called at each ArchiveStep; a throw fails the run there. */
  faults?: ArchiveFaults;
  /** The clock (tests). */
  now?: () => Date;
  /** How long a run's lease lasts without renewal (default 15 minutes). */
  leaseMs?: number;
  /** Rows read per query while building a batch (default 5,000). */
  pageSize?: number;
}

/**
 * The cold archive (docs/audit.md#cold-archive). A run archives the hot
 * chain from its lowest seq, batch after batch, as long as the events are
 * older than the retention — always keeping the newest event hot, as appends
 * chain from it. For each batch: the events (checked as a chain) as a
 * gzipped export file; upload it and a manifest signed with the checkpoint
 * key to deterministic keys; HEAD both; then, in one transaction, record the
 * batch and delete its events. A failure anywhere leaves the events hot; the
 * range is noted as pending first, so the next run re-uploads to the same
 * keys (or removes them, when the range it archives is different) — never a
 * second object or batch. One run at a time across instances (a lease row).
 */
export class ColdArchive {
  readonly archiveStore: ArchiveStore;
  private readonly store: AuditStore;
  private readonly storage?: ColdStorage;
  private readonly signer: CheckpointSigner;
  private readonly logger: LoggerService;
  private readonly retentionDays: number;
  private readonly batchSize: number;
  private readonly hour: number;
  private readonly faults?: ArchiveFaults;
  private readonly now: () => Date;
  private readonly leaseMs: number;
  private readonly pageSize: number;

  constructor(options: ColdArchiveOptions) {
    this.store = options.store;
    this.archiveStore =
      options.archiveStore ?? new ArchiveStore(options.store.client);
    this.storage = options.storage;
    this.signer = options.signer;
    this.logger = options.logger;
    this.retentionDays = options.retentionDays ?? 90;
    this.batchSize = options.batchSize ?? 100_000;
    this.hour = options.hour ?? 3;
    this.faults = options.faults;
    this.now = options.now ?? (() => new Date());
    this.leaseMs = options.leaseMs ?? 15 * 60_000;
    this.pageSize = options.pageSize ?? 5_000;
  }

  /** The archive `audit.archive` configures (storage only when `s3` is set). */
  static fromSettings(options: {
    settings: ArchiveSettings;
    store: AuditStore;
    signer: CheckpointSigner;
    logger: LoggerService;
  }): ColdArchive {
    const { settings } = options;
    return new ColdArchive({
      store: options.store,
      signer: options.signer,
      logger: options.logger,
      storage: settings.s3 && new ColdStorage(settings.s3),
      retentionDays: settings.retentionDays,
      batchSize: settings.batchSize,
      hour: settings.hour,
    });
  }

  /** Whether a bucket is configured. */
  get configured(): boolean {
    return Boolean(this.storage);
  }

  private requireStorage(): ColdStorage {
    if (!this.storage) {
      throw new ServiceUnavailableError(
        'The audit archive has no bucket: configure audit.archive.s3 (docs/audit.md#cold-archive)',
      );
    }
    return this.storage;
  }

  private async fault(step: ArchiveStep) {
    await this.faults?.(step);
  }

  // --- runs ------------------------------------------------------------------

  /**
   * The scheduled run: from the configured UTC hour on, once per UTC day
   * (called hourly; a day whose run failed is retried at the next tick).
   */
  async runScheduled(): Promise<AuditArchiveRunResult> {
    const now = this.now();
    const day = now.toISOString().slice(0, 10);
    const cutoff = this.cutoff(now);
    if (now.getUTCHours() < this.hour) {
      return {
        cutoff,
        batches: [],
        events: 0,
        skipped: `runs from ${this.hour}:00 UTC`,
      };
    }
    if ((await this.archiveStore.lastScheduledDay()) === day) {
      return { cutoff, batches: [], events: 0, skipped: `ran on ${day}` };
    }
    const result = await this.run();
    await this.archiveStore.setLastScheduledDay(day);
    return result;
  }

  private cutoff(now: Date): string {
    return new Date(now.getTime() - this.retentionDays * DAY_MS).toISOString();
  }

  /** Archives every due event now, batch by batch (the operator's "Run now"). */
  async run(): Promise<AuditArchiveRunResult> {
    const storage = this.requireStorage();
    const holder = `${os.hostname()}:${process.pid}:${randomUUID()}`;
    if (!(await this.archiveStore.tryLock(holder, this.leaseMs, this.now()))) {
      throw new ConflictError('An audit archive run is already in progress');
    }
    const cutoff = this.cutoff(this.now());
    const done: ArchiveBatchRecord[] = [];
    try {
      await this.keepArchivedKeys();
      for (;;) {
        const batch = await this.archiveNext(storage, cutoff, holder);
        if (!batch) break;
        done.push(batch);
        this.logger.info(
          `Audit archive: seq ${batch.fromSeq}-${batch.toSeq} (${batch.count} events, ${batch.objectBytes} bytes) archived to ${batch.objectKey}`,
        );
        if (
          !(await this.archiveStore.renewLock(holder, this.leaseMs, this.now()))
        ) {
          throw new Error('lost the archive lease');
        }
      }
    } catch (error) {
      this.logger.error(
        `Audit archive run failed after ${done.length} batch(es); the events not archived stay hot: ${error}`,
      );
      throw error;
    } finally {
      await this.archiveStore
        .unlock(holder)
        .catch(e => this.logger.warn(`Audit archive: unlock failed: ${e}`));
    }
    return {
      cutoff,
      batches: done.map(toApiBatch),
      events: done.reduce((n, b) => n + b.count, 0),
    };
  }

  /** Archives the next due batch; undefined when none is due. */
  private async archiveNext(
    storage: ColdStorage,
    cutoff: string,
    holder: string,
  ): Promise<ArchiveBatchRecord | undefined> {
    const last = await this.archiveStore.lastBatch();
    const fromSeq = last ? last.toSeq + 1 : 1;
    const firstPrevHash = last?.lastHash ?? AUDIT_GENESIS_HASH;
    const pending = await this.archiveStore.pending();
    const head = await this.store.head();
    // the head stays hot: appends chain from it
    const lastArchivable = head ? head.seq - 1 : 0;

    let toSeq = Math.min(lastArchivable, fromSeq + this.batchSize - 1);
    if (
      pending &&
      pending.fromSeq === fromSeq &&
      pending.toSeq <= lastArchivable
    ) {
      toSeq = pending.toSeq; // the failed run's range, to its keys again
    }
    if (toSeq >= fromSeq) {
      const young = await this.archiveStore.firstAtOrAfter(
        fromSeq,
        toSeq,
        cutoff,
      );
      if (young !== undefined) toSeq = young - 1;
    }
    const keys = toSeq >= fromSeq ? storage.keysFor(fromSeq, toSeq) : undefined;
    if (
      pending &&
      (pending.objectKey !== keys?.objectKey ||
        pending.manifestKey !== keys?.manifestKey)
    ) {
      await this.discardPending(storage, pending);
    }
    if (!keys) return undefined;

    const archivedAt = this.now().toISOString();
    const content = await this.collect(
      fromSeq,
      toSeq,
      firstPrevHash,
      archivedAt,
    );
    await this.archiveStore.setPending({ fromSeq, toSeq, ...keys });

    await this.fault('before-upload');
    await storage.put(keys.objectKey, content.gz, 'application/gzip', {
      sha256: content.sha256,
    });
    await this.fault('after-object');

    const claims: ArchiveManifestClaims = {
      format: ARCHIVE_MANIFEST_FORMAT,
      fromSeq,
      toSeq,
      count: content.count,
      firstPrevHash,
      lastHash: content.lastHash,
      objectKey: keys.objectKey,
      objectSha256: content.sha256,
      objectBytes: content.gz.length,
      gzip: true,
      archivedAt,
    };
    const manifest: ArchiveManifest = {
      ...claims,
      kid: this.signer.kid,
      jws: await this.signer.signClaims(claims, ARCHIVE_MANIFEST_TYP),
    };
    const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    const manifestSha256 = sha256(manifestBytes);
    await storage.put(keys.manifestKey, manifestBytes, 'application/json', {
      sha256: manifestSha256,
    });
    await this.fault('after-manifest');

    const [objectHead, manifestHead] = await Promise.all([
      storage.head(keys.objectKey),
      storage.head(keys.manifestKey),
    ]);
    if (
      objectHead?.bytes !== content.gz.length ||
      objectHead.sha256 !== content.sha256
    ) {
      throw new Error(
        `HEAD ${keys.objectKey}: expected ${content.gz.length} bytes, sha256 ${
          content.sha256
        }; got ${JSON.stringify(objectHead ?? 'nothing')}`,
      );
    }
    if (
      manifestHead?.bytes !== manifestBytes.length ||
      manifestHead.sha256 !== manifestSha256
    ) {
      throw new Error(
        `HEAD ${keys.manifestKey}: expected ${
          manifestBytes.length
        } bytes, sha256 ${manifestSha256}; got ${JSON.stringify(
          manifestHead ?? 'nothing',
        )}`,
      );
    }
    await this.fault('after-head');

    const record: Omit<ArchiveBatchRecord, 'id' | 'restoredAt'> = {
      fromSeq,
      toSeq,
      count: content.count,
      firstPrevHash,
      lastHash: content.lastHash,
      objectKey: keys.objectKey,
      objectSha256: content.sha256,
      objectBytes: content.gz.length,
      uncompressedBytes: content.uncompressedBytes,
      manifestKey: keys.manifestKey,
      manifestSha256,
      kid: this.signer.kid,
      archivedAt,
    };
    const id = await this.archiveStore.commitBatch(record, {
      holder,
      leaseMs: this.leaseMs,
      now: this.now(),
      beforeRecord: () => this.fault('before-delete'),
      beforeDelete: () => this.fault('during-delete'),
    });
    return { ...record, id };
  }

  /**
   * Keeps the (source, externalId) keys of batches archived before the
   * archive kept them (migration 20261207100000_archived_external_ids.js
   * backfills only batches with a restored copy): reads each such batch from
   * the bucket, checked as `open` checks it, and stores its keys, so that
   * replays of its events are recognised. A batch that cannot be read is
   * logged and tried again at the next run. Returns the keys added.
   */
  async keepArchivedKeys(): Promise<number> {
    let added = 0;
    for (const b of await this.archiveStore.batchesWithoutKeys()) {
      const opened = await this.open(b);
      if ('break' in opened) {
        this.logger.warn(
          `Audit archive: the event keys of batch ${b.id} (seq ${b.fromSeq}-${b.toSeq}) could not be read (${opened.break.kind}: ${opened.break.actual}); replays of its events are not recognised until they are (next run)`,
        );
        continue;
      }
      const n = await this.archiveStore.keepKeys(b.id, opened.events);
      added += n;
      this.logger.info(
        `Audit archive: kept ${n} event keys of batch ${b.id} (seq ${b.fromSeq}-${b.toSeq}) read from the bucket`,
      );
    }
    return added;
  }

  /**
   * Removes what a failed run uploaded for a range that is not archived as
   * it was (its events stay hot, to be archived under other keys).
   */
  private async discardPending(storage: ColdStorage, pending: PendingArchive) {
    const [recorded] = await this.archiveStore.batchesAfter(
      pending.fromSeq - 1,
    );
    if (recorded?.objectKey !== pending.objectKey) {
      await storage.delete(pending.objectKey);
      await storage.delete(pending.manifestKey);
    }
    await this.archiveStore.setPending(undefined);
    this.logger.info(
      `Audit archive: removed ${pending.objectKey} of a failed run (seq ${pending.fromSeq}-${pending.toSeq} is archived differently)`,
    );
  }

  /**
   * The gzipped export file of `fromSeq`..`toSeq` from the hot table,
   * checked as a chain from `prevHash` on the way (a broken chain is not
   * archived: the run fails and `GET /verify` tells where).
   */
  private async collect(
    fromSeq: number,
    toSeq: number,
    firstPrevHash: string,
    archivedAt: string,
  ): Promise<BatchContent> {
    let prevHash = firstPrevHash;
    const gzip = createGzip();
    const chunks: Buffer[] = [];
    const hash = createHash('sha256');
    gzip.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      hash.update(chunk);
    });
    const ended = once(gzip, 'end');
    let uncompressedBytes = 0;
    const write = async (text: string) => {
      uncompressedBytes += Buffer.byteLength(text);
      if (!gzip.write(text)) await once(gzip, 'drain');
    };

    const header: AuditExportHeader = {
      format: AUDIT_EXPORT_FORMAT,
      fromSeq,
      toSeq,
      exportedAt: archivedAt,
      keys: await this.signer.jwks(),
    };
    await write(`${JSON.stringify(header)}\n`);

    let expected = fromSeq;
    let count = 0;
    const read = (after: number) =>
      this.store.rowsAfter(after, Math.min(this.pageSize, toSeq - after));
    let page = read(fromSeq - 1);
    for (;;) {
      const rows = await page;
      if (!rows.length) break;
      const lastSeq = Number(rows[rows.length - 1].seq);
      // the next page is read while this one is checked and compressed
      page = lastSeq < toSeq ? read(lastSeq) : Promise.resolve([]);
      page.catch(() => {});
      let text = '';
      for (const row of rows) {
        if (Number(row.seq) > toSeq) break;
        const event = fromRow(row);
        const broken = checkEvent(event, expected, prevHash);
        if (broken) {
          throw new Error(
            `Not archiving: the chain breaks at seq ${row.seq} (${broken.kind}, expected ${broken.expected}, actual ${broken.actual}); see GET /api/audit/verify`,
          );
        }
        text += `${JSON.stringify({ type: 'event', event })}\n`;
        prevHash = event.hash;
        expected++;
        count++;
      }
      await write(text);
      if (lastSeq >= toSeq) break;
    }
    if (expected - 1 !== toSeq) {
      throw new Error(
        `Not archiving: seq ${expected} is missing from the hot table (archiving ${fromSeq}-${toSeq})`,
      );
    }
    const checkpoints = (await this.store.checkpoints()).filter(
      c => c.headSeq >= fromSeq && c.headSeq <= toSeq,
    );
    if (checkpoints.length) {
      await write(
        checkpoints
          .map(
            c => `${JSON.stringify({ type: 'checkpoint', checkpoint: c })}\n`,
          )
          .join(''),
      );
    }
    gzip.end();
    await ended;
    return {
      gz: Buffer.concat(chunks),
      sha256: hash.digest('hex'),
      uncompressedBytes,
      count,
      lastHash: prevHash,
    };
  }

  // --- reading -----------------------------------------------------------------

  /** Every batch, in seq order. */
  async batches(): Promise<AuditArchiveBatch[]> {
    return (await this.archiveStore.batches()).map(toApiBatch);
  }

  /** The last archived seq, 0 when nothing is. */
  archivedThrough(): Promise<number> {
    return this.archiveStore.archivedThrough();
  }

  /** The archived part of the chain, for verifyChain. */
  tier(): ArchiveTier<RecordedRange> {
    return {
      batchesAfter: async afterSeq =>
        (await this.archiveStore.batchesAfter(afterSeq)).map(record => ({
          name: record.objectKey,
          fromSeq: record.fromSeq,
          toSeq: record.toSeq,
          record,
        })),
      open: range => this.open(range.record),
    };
  }

  /**
   * Fetches a batch and checks it as a whole: the manifest is there, signed
   * by a known key over what it says, and the one recorded; the object is
   * there, with the manifest's SHA-256 and size, and holds the recorded
   * range. The events' own chain checks are the caller's (verifyChain,
   * restore).
   */
  async open(
    b: ArchiveBatchRecord,
  ): Promise<{ events: AuditEvent[] } | { break: AuditBreak }> {
    const broken = (
      kind: AuditBreak['kind'],
      expected: string,
      actual: string,
    ) => ({
      break: { kind, seq: b.fromSeq, expected, actual, batch: b.objectKey },
    });
    if (!this.storage) {
      return broken(
        'archive-missing',
        `batch ${b.id} (seq ${b.fromSeq}-${b.toSeq}) in a bucket`,
        'no bucket configured (audit.archive.s3)',
      );
    }
    const [manifestBytes, object] = await Promise.all([
      this.storage.get(b.manifestKey),
      this.storage.get(b.objectKey),
    ]);
    if (!manifestBytes) {
      return broken('archive-missing', b.manifestKey, 'missing');
    }
    let manifest: ArchiveManifest | undefined;
    try {
      manifest = JSON.parse(manifestBytes.toString('utf8'));
    } catch {
      manifest = undefined;
    }
    const signed =
      manifest && typeof manifest.jws === 'string'
        ? await this.signer.verifyClaims(manifest.jws, ARCHIVE_MANIFEST_TYP)
        : undefined;
    if (
      !manifest ||
      !signed ||
      signed.kid !== manifest.kid ||
      !sameClaims(signed.claims, manifestClaims(manifest))
    ) {
      return broken(
        'archive-manifest-signature-mismatch',
        `a manifest signed by key ${b.kid} over what it says`,
        signed
          ? `the manifest says other than what key ${signed.kid} signed`
          : 'no signature by a known key',
      );
    }
    const recorded: ArchiveManifestClaims = {
      format: ARCHIVE_MANIFEST_FORMAT,
      fromSeq: b.fromSeq,
      toSeq: b.toSeq,
      count: b.count,
      firstPrevHash: b.firstPrevHash,
      lastHash: b.lastHash,
      objectKey: b.objectKey,
      objectSha256: b.objectSha256,
      objectBytes: b.objectBytes,
      gzip: true,
      archivedAt: b.archivedAt,
    };
    const actualManifestSha = sha256(manifestBytes);
    if (
      !sameClaims(manifestClaims(manifest), recorded) ||
      actualManifestSha !== b.manifestSha256
    ) {
      return broken(
        'archive-manifest-signature-mismatch',
        `the manifest recorded for batch ${b.id} (sha256 ${b.manifestSha256})`,
        `another signed manifest (sha256 ${actualManifestSha})`,
      );
    }
    if (!object) return broken('archive-missing', b.objectKey, 'missing');
    const objectSha = sha256(object);
    if (
      objectSha !== manifest.objectSha256 ||
      object.length !== manifest.objectBytes
    ) {
      return broken(
        'archive-object-mismatch',
        `${manifest.objectBytes} bytes, sha256 ${manifest.objectSha256}`,
        `${object.length} bytes, sha256 ${objectSha}`,
      );
    }
    let events: AuditEvent[];
    try {
      events = await readArchiveObject(object);
    } catch (error) {
      if (!(error instanceof ArchiveFormatError)) throw error;
      return broken(
        'archive-object-mismatch',
        'a gzipped export file',
        error.message,
      );
    }
    if (
      events.length !== b.count ||
      events[0]?.seq !== b.fromSeq ||
      events[events.length - 1]?.seq !== b.toSeq
    ) {
      return broken(
        'archive-object-mismatch',
        `${b.count} events, seq ${b.fromSeq}-${b.toSeq}`,
        `${events.length} events, seq ${events[0]?.seq}-${
          events[events.length - 1]?.seq
        }`,
      );
    }
    return { events };
  }

  // --- restore -----------------------------------------------------------------

  /**
   * Fetches a batch, verifies it (as open(), and its events as a chain from
   * its first prevHash), and loads it into the read-only restored table,
   * replacing an earlier restore of it. The archive is not changed.
   */
  async restore(id: number): Promise<AuditArchiveRestoreResult> {
    this.requireStorage();
    const b = await this.archiveStore.batch(id);
    if (!b) throw new NotFoundError(`No archive batch ${id}`);
    const opened = await this.open(b);
    const fail = (br: Omit<AuditBreak, 'seq'> & { seq: number }) =>
      new ConflictError(
        `Archive batch ${id} does not verify, not restored: ${br.kind} at seq ${br.seq} (expected ${br.expected}, actual ${br.actual})`,
      );
    if ('break' in opened) throw fail(opened.break);
    let expected = b.fromSeq;
    let prevHash = b.firstPrevHash;
    for (const event of opened.events) {
      const br = checkEvent(event, expected, prevHash);
      if (br) throw fail({ ...br, seq: event.seq });
      expected++;
      prevHash = event.hash;
    }
    const restoredAt = this.now().toISOString();
    await this.archiveStore.restore(id, opened.events.map(toRow), restoredAt);
    this.logger.info(
      `Audit archive: batch ${id} (seq ${b.fromSeq}-${b.toSeq}) restored for investigation`,
    );
    return {
      ...toApiBatch(b),
      restoredAt,
      restored: opened.events.length,
    };
  }

  /** Drops a batch's restored copy. */
  async dropRestore(id: number): Promise<void> {
    const b = await this.archiveStore.batch(id);
    if (!b) throw new NotFoundError(`No archive batch ${id}`);
    await this.archiveStore.dropRestored(id);
  }
}
