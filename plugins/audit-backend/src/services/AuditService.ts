import { LoggerService } from '@backstage/backend-plugin-api';
import {
  AuditEvent,
  AuditEventInput,
  AuditVerifyResult,
} from '@internal/plugin-audit-common';
import { AuditStore } from '../database/AuditStore';
import { CheckpointClaims, CheckpointSigner } from './CheckpointSigner';
import { verifyChain } from './verifyChain';

interface Pending {
  input: AuditEventInput;
  resolve: (e: AuditEvent) => void;
  reject: (e: Error) => void;
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
  ) {}
  private lastCheckpointSeq = 0;
  private checkpointing?: Promise<unknown>;

  record(input: AuditEventInput): Promise<AuditEvent> {
    return new Promise<AuditEvent>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.flush();
    });
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
          if (
            this.signer &&
            headSeq - this.lastCheckpointSeq >= this.checkpointEvery &&
            !this.checkpointing
          ) {
            this.checkpointing = this.checkpoint('threshold')
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

  async verify(): Promise<AuditVerifyResult> {
    const signer = this.signer;
    return verifyChain(
      this.store,
      5_000,
      signer && {
        list: await this.store.checkpoints(),
        verifySignature: jws => signer.verify(jws),
      },
    );
  }

  keys() {
    if (!this.signer) throw new Error('no checkpoint signer configured');
    return this.signer.jwks();
  }

  async events(options: { limit: number; before?: number }) {
    const items = await this.store.latest({
      limit: options.limit,
      beforeSeq: options.before,
    });
    const last = items[items.length - 1];
    return {
      items,
      nextCursor:
        items.length === options.limit && last.seq > 1
          ? String(last.seq)
          : undefined,
    };
  }
}
