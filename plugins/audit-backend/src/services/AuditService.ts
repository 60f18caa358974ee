import { LoggerService } from '@backstage/backend-plugin-api';
import {
  AuditEvent,
  AuditEventInput,
  AuditVerifyResult,
} from '@internal/plugin-audit-common';
import { AuditStore } from '../database/AuditStore';
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
    private readonly maxBatch = 500,
  ) {}

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
        events => batch.forEach((p, i) => p.resolve(events[i])),
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

  verify(): Promise<AuditVerifyResult> {
    return verifyChain(this.store);
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
