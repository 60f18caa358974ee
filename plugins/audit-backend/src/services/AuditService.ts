import { LoggerService } from '@backstage/backend-plugin-api';
import { InputError, ServiceUnavailableError } from '@backstage/errors';
import { PermissionCriteria } from '@backstage/plugin-permission-common';
import {
  AuditEvent,
  AuditEventInput,
  AuditEventsPage,
  AuditStatus,
  AuditVerifyResult,
  RecordedAuditEvent,
} from '@internal/plugin-audit-common';
import { PartnerScopeQuery } from '@internal/plugin-dezky-node';
import { ColdArchive } from '../archive/ColdArchive';
import { ArchiveSettings } from '../archive/config';
import { AuditEventFilter, AuditStore } from '../database/AuditStore';
import { IngestCursors } from '../ingest/types';
import { MerkleService } from '../merkle/MerkleService';
import { CheckpointClaims, CheckpointSigner } from './CheckpointSigner';
import { exportChain } from './exportChain';
import { VerifyOptions, VerifyStats, verifyChain } from './verifyChain';

interface Pending {
  input: AuditEventInput;
  resolve: (e: RecordedAuditEvent) => void;
  reject: (e: Error) => void;
}

/**
 * Checks an event before it is queued, and gives `at` the one form the
 * store's time filters compare: ISO 8601 UTC with milliseconds.
 */
function normalizeInput(input: AuditEventInput): AuditEventInput {
  const at = new Date(input.at);
  if (typeof input.at !== 'string' || Number.isNaN(at.getTime())) {
    throw new Error(`Audit event has no valid time: at=${input.at}`);
  }
  if (!input.action || !input.source || !input.actor?.type) {
    throw new Error(
      `Audit event needs action, source and actor.type: ${JSON.stringify(
        input,
      )}`,
    );
  }
  if (input.outcome !== 'success' && input.outcome !== 'failure') {
    throw new Error(`Audit event outcome must be success or failure`);
  }
  return { ...input, at: at.toISOString() };
}

/**
 * Records events into the chain and reads them back. Concurrent `record`
 * calls are group-committed: whatever arrives while a batch is being written
 * goes into the next batch, one transaction each. `record` resolves only when
 * its event is committed; a failed write rejects every caller of that batch
 * and is logged — never swallowed.
 */
export class AuditService {
  private queue: Pending[] = [];
  private flushing = false;

  constructor(
    private readonly store: AuditStore,
    private readonly logger: LoggerService,
    private readonly signer?: CheckpointSigner,
    private readonly maxBatch = 500,
    private readonly checkpointEvery = 100,
    private readonly options: {
      /**
       * Sign a checkpoint (reason `first-events`) right after the first
       * events are stored when no checkpoint exists yet, instead of waiting
       * for the 5-minute interval. The plugin's chain (factories.ts) does;
       * tests that count checkpoints leave it off.
       */
      checkpointFirstEvents?: boolean;
      /**
       * How `verify` walks the chain (see verifyChain): pages of `pageSize`
       * rows (default 10,000), checked on `workers` worker threads (default 0:
       * in the calling thread) or on a `pool` started before.
       */
      verify?: Pick<VerifyOptions, 'workers' | 'pool'> & { pageSize?: number };
    } = {},
  ) {}
  private lastCheckpointSeq = 0;
  private checkpointing?: Promise<unknown>;
  private coldArchive?: ColdArchive;

  /**
   * Sets up the cold archive `audit.archive` configures (plugin.ts): from
   * then on `verify` walks archived batches too, and `archive` serves the
   * archive routes. Returns it, for scheduling.
   */
  enableArchive(settings: ArchiveSettings): ColdArchive {
    if (!this.signer)
      throw new Error('the archive needs the checkpoint signer');
    return this.useArchive(
      ColdArchive.fromSettings({
        settings,
        store: this.store,
        signer: this.signer,
        logger: this.logger,
      }),
    );
  }

  /** Uses `archive` as the cold archive (tests; see enableArchive). */
  useArchive(archive: ColdArchive): ColdArchive {
    this.coldArchive = archive;
    return archive;
  }

  /** The cold archive, or 503 when the plugin has not set one up. */
  get archive(): ColdArchive {
    if (!this.coldArchive) {
      throw new ServiceUnavailableError('The audit archive is not set up');
    }
    return this.coldArchive;
  }

  /**
   * Records one event; resolves once it is committed, with the event, or
   * with what it duplicates (see AuditStore.append).
   */
  record(input: AuditEventInput): Promise<RecordedAuditEvent> {
    return new Promise<RecordedAuditEvent>((resolve, reject) => {
      this.queue.push({ input: normalizeInput(input), resolve, reject });
      this.flush();
    });
  }

  /** Records several events, in order; resolves when all are committed. */
  recordAll(inputs: AuditEventInput[]): Promise<RecordedAuditEvent[]> {
    return Promise.all(inputs.map(input => this.record(input)));
  }

  private flush() {
    if (this.flushing || !this.queue.length) return;
    this.flushing = true;
    const batch = this.queue.splice(0, this.maxBatch);
    this.store
      .append(batch.map(p => p.input))
      .then(
        events => {
          batch.forEach((p, i) => p.resolve(events[i]));
          const headSeq = Math.max(0, ...events.map(e => e.seq));
          let signing: Promise<unknown> | undefined;
          if (this.signer && !this.checkpointing) {
            if (headSeq - this.lastCheckpointSeq >= this.checkpointEvery) {
              signing = this.checkpoint('threshold');
            } else if (
              this.options.checkpointFirstEvents &&
              this.lastCheckpointSeq === 0 &&
              headSeq > 0
            ) {
              // no checkpoint known to this instance yet: one query, then it
              // signs or learns of another instance's (and is not asked again)
              signing = this.checkpointIfNone();
            }
          }
          if (signing) {
            this.checkpointing = signing
              .catch(e => this.logger.error(`Audit checkpoint failed: ${e}`))
              .finally(() => {
                this.checkpointing = undefined;
              });
          }
        },
        error => {
          this.logger.error(
            `Failed to record ${batch.length} audit event(s): ${error}`,
          );
          batch.forEach(p => p.reject(error));
        },
      )
      .finally(() => {
        this.flushing = false;
        this.flush();
      });
  }

  /** Resolves once no checkpoint is being signed in the background (tests). */
  async checkpointsSettled(): Promise<void> {
    while (this.checkpointing) await this.checkpointing;
  }

  /**
   * After the first events of a chain without any checkpoint: signs one
   * (`first-events`), so the Audit page shows a signed head soon rather than
   * after the next 5-minute interval. When a checkpoint exists (e.g. another
   * instance signed it), only notes its head, so this is not asked again.
   */
  private async checkpointIfNone() {
    const latest = await this.store.latestCheckpoint();
    if (latest) {
      this.lastCheckpointSeq = Math.max(this.lastCheckpointSeq, latest.headSeq);
      return undefined;
    }
    return this.checkpoint('first-events');
  }

  /**
   * Signs the current head, unless it is already the newest checkpoint's
   * (except on demand). Returns the checkpoint, or undefined when skipped.
   */
  async checkpoint(reason: CheckpointClaims['reason']) {
    if (!this.signer) throw new Error('no checkpoint signer configured');
    const head = await this.store.head();
    if (!head) return undefined;
    const latest = await this.store.latestCheckpoint();
    if (latest?.headSeq === head.seq && reason !== 'manual') {
      this.lastCheckpointSeq = head.seq;
      return undefined;
    }
    const claims: CheckpointClaims = {
      headSeq: head.seq,
      headHash: head.hash,
      at: new Date().toISOString(),
      reason,
    };
    const checkpoint = {
      ...claims,
      kid: this.signer.kid,
      jws: await this.signer.sign(claims),
    };
    await this.store.addCheckpoint(checkpoint);
    this.lastCheckpointSeq = head.seq;
    return checkpoint;
  }

  async verify(options?: { stats?: VerifyStats }): Promise<AuditVerifyResult> {
    const signer = this.signer;
    const { pageSize = 10_000, ...hashing } = this.options.verify ?? {};
    return verifyChain(
      this.store,
      pageSize,
      signer && {
        list: await this.store.checkpoints(),
        verifySignature: jws => signer.verify(jws),
      },
      this.coldArchive?.tier(),
      { ...hashing, stats: options?.stats },
    );
  }

  async keys() {
    if (!this.signer) throw new Error('no checkpoint signer configured');
    const jwks = await this.signer.jwks();
    // + the verifier keys of the Merkle tree's signed notes
    return this.merkleTree
      ? { ...jwks, noteKeys: this.merkleTree.noteKeys(jwks) }
      : jwks;
  }

  // --- Merkle tree (RFC 9162): docs/audit.md#merkle-tree-and-proofs ---
  private merkleTree?: MerkleService;

  /** Serves the Merkle tree's checkpoints and proofs (wired in factories.ts). */
  useMerkle(merkle: MerkleService): this {
    this.merkleTree = merkle;
    return this;
  }

  /** The Merkle tree, or 503 when it is not set up. */
  get merkle(): MerkleService {
    if (!this.merkleTree) {
      throw new ServiceUnavailableError('The audit Merkle tree is not set up');
    }
    return this.merkleTree;
  }

  /** The signed note (C2SP tlog-checkpoint) of the current tree. */
  async checkpointNote(): Promise<string> {
    return (await this.merkle.checkpoint()).note;
  }

  /** GET /proofs/inclusion: the event of `seq` in the tree of `treeSize`. */
  inclusionProof(seq: number, treeSize: number) {
    return this.merkle.inclusionProof(seq, treeSize);
  }

  /** GET /proofs/consistency: the tree of `from` leaves in that of `to`. */
  consistencyProof(from: number, to: number) {
    return this.merkle.consistencyProof(from, to);
  }
  // --- end Merkle tree ---

  /**
   * The tenant and partner of events by their resource refs (the seq as a
   * decimal string), `undefined` for one that names no event: what the
   * permission framework applies a conditional decision to (`getResources`
   * of the `audit-event` resource type, plugin.ts).
   */
  eventScopes(refs: string[]) {
    return this.store.scopesOf(refs);
  }

  /** The head and newest checkpoint, for the tamper-evidence card. */
  async status(): Promise<AuditStatus> {
    const [head, latestCheckpoint] = await Promise.all([
      this.store.head(),
      this.store.latestCheckpoint(),
    ]);
    return { head, latestCheckpoint };
  }

  /**
   * One page of events, newest first; `cursor` is the previous page's
   * `nextCursor`. `tier: 'archive'` searches restored archive batches.
   */
  async events(options: {
    filter?: AuditEventFilter;
    scope?: PermissionCriteria<PartnerScopeQuery>;
    limit: number;
    cursor?: number;
    tier?: 'hot' | 'archive';
  }): Promise<AuditEventsPage> {
    const items = await this.store.query({
      filter: options.filter,
      scope: options.scope,
      limit: options.limit,
      beforeSeq: options.cursor,
      table:
        options.tier === 'archive' ? 'audit_restored_events' : 'audit_events',
    });
    const last = items[items.length - 1];
    return items.length === options.limit && last.seq > 1
      ? { items, nextCursor: String(last.seq) }
      : { items };
  }

  /** Every matching event, newest first, read page by page (for exports). */
  async *allEvents(options: {
    filter?: AuditEventFilter;
    scope?: PermissionCriteria<PartnerScopeQuery>;
    pageSize?: number;
    tier?: 'hot' | 'archive';
  }): AsyncGenerator<AuditEvent> {
    const limit = options.pageSize ?? 1_000;
    let cursor: number | undefined;
    for (;;) {
      const page = await this.events({ ...options, limit, cursor });
      yield* page.items;
      if (!page.nextCursor) return;
      cursor = Number(page.nextCursor);
    }
  }

  /**
   * Writes seq `fromSeq`..`toSeq` (default: all that is hot) and the
   * checkpoints over them as NDJSON, for `scripts/audit-verify`
   * (docs/audit.md). Archived seqs are not exported: each archive object is
   * such a file already.
   */
  async exportRange(options: {
    fromSeq?: number;
    toSeq?: number;
    write: (chunk: string) => Promise<void> | void;
  }) {
    const archived = (await this.coldArchive?.archivedThrough()) ?? 0;
    if (options.fromSeq !== undefined && options.fromSeq <= archived) {
      throw new InputError(
        `seq 1-${archived} are archived: fromSeq must be after ${archived}; each archive object (GET /api/audit/archive/batches) is an export file itself`,
      );
    }
    return exportChain({
      store: this.store,
      keys: await this.keys(),
      ...options,
      fromSeq: options.fromSeq ?? archived + 1,
    });
  }

  /** Where ingests keep how far they have read, per source. */
  readonly cursors: IngestCursors = {
    get: source => this.store.getCursor(source),
    set: (source, cursor) => this.store.setCursor(source, cursor),
  };
}
