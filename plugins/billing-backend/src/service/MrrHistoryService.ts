import { ConflictError } from '@backstage/errors';
import { AuditActor } from '@internal/plugin-audit-common';
import { AuditTrailService } from '@internal/plugin-audit-node';
import { SnapshotDay } from '@internal/plugin-billing-common';
import { MrrHistoryStore } from '../database/MrrHistoryStore';
import { dayOf } from './payouts';

/**
 * The MRR history (docs/billing.md#payouts-and-mrr-history): today's (UTC)
 * snapshot of every tenant's billing, re-taken until the day ends; a past
 * day is never taken again.
 */
export class MrrHistoryService {
  constructor(
    private readonly deps: {
      store: MrrHistoryStore;
      trail: AuditTrailService;
      now?: () => Date;
    },
  ) {}

  private now() {
    return this.deps.now?.() ?? new Date();
  }

  /** Takes today's snapshot (again), audited as `billing.snapshot.taken`. */
  async takeToday(
    actor: AuditActor = { type: 'service', ref: 'plugin:billing' },
  ): Promise<SnapshotDay> {
    return this.take(dayOf(this.now()), actor);
  }

  /** Takes `day`'s snapshot — only today's: a past (or future) day is refused (409). */
  async take(
    day: string,
    actor: AuditActor = { type: 'service', ref: 'plugin:billing' },
  ): Promise<SnapshotDay> {
    const at = this.now();
    const today = dayOf(at);
    if (day !== today) {
      throw new ConflictError(
        `only today's (${today}, UTC) MRR snapshot may be taken; ${day} is ${
          day < today ? 'over: its snapshot is final' : 'not yet'
        }`,
      );
    }
    const taken = await this.deps.store.take(day, at.toISOString());
    await this.deps.trail.record([
      {
        at: taken.takenAt,
        actor,
        action: 'billing.snapshot.taken',
        outcome: 'success',
        resource: { type: 'billing-snapshot', ref: day, name: day },
        source: 'billing',
        metadata: { day, tenants: taken.tenants },
      },
    ]);
    return taken;
  }

  /** The days that have a snapshot, newest first. */
  async days(limit?: number, offset?: number): Promise<SnapshotDay[]> {
    return this.deps.store.days(limit, offset);
  }
}
