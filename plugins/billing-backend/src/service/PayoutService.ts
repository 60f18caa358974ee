import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import { AuditActor, AuditEventInput } from '@internal/plugin-audit-common';
import { AuditTrailService } from '@internal/plugin-audit-node';
import {
  Payout,
  PayoutGeneration,
  PayoutList,
} from '@internal/plugin-billing-common';
import { normalizeScopeRef } from '@internal/plugin-dezky-node';
import { MrrHistoryStore } from '../database/MrrHistoryStore';
import {
  PayoutChanges,
  PayoutFigures,
  PayoutFilter,
  PayoutStore,
} from '../database/PayoutStore';
import { accrues, dayOf, monthOf, PartnerTerms, payoutAmount } from './payouts';
import { BillingScope } from './TenantBillingService';

const SERVICE: AuditActor = { type: 'service', ref: 'plugin:billing' };

/**
 * The partner payout ledger (docs/billing.md#payouts-and-mrr-history): one
 * row per partner × month × currency from the month's final MRR snapshot
 * and the partner's catalog margin; open → closed → paid.
 */
export class PayoutService {
  constructor(
    private readonly deps: {
      payouts: PayoutStore;
      history: MrrHistoryStore;
      /** Every partner's terms (the catalog). */
      partners: () => Promise<PartnerTerms[]>;
      trail: AuditTrailService;
      now?: () => Date;
    },
  ) {}

  private now() {
    return this.deps.now?.() ?? new Date();
  }

  /**
   * Generates `month` (default: the current one, UTC) from its latest
   * snapshot; first closes every earlier month still open, recomputed one
   * last time from its final snapshot. A past month is generated closed; a
   * future one is refused (400); a month without a snapshot is refused (409).
   */
  async generate(
    month?: string,
    actor: AuditActor = SERVICE,
  ): Promise<PayoutGeneration> {
    const at = this.now();
    const current = monthOf(dayOf(at));
    const target = month ?? current;
    if (target > current) {
      throw new InputError(
        `month ${target} has not begun (the current month is ${current})`,
      );
    }
    const partners = new Map(
      (await this.deps.partners()).map(p => [p.partnerRef, p]),
    );
    const closedMonths: string[] = [];
    const totals = { created: 0, changed: 0, closed: 0 };
    const count = (c: PayoutChanges) => {
      totals.created += c.created.length;
      totals.changed += c.changed.length;
      totals.closed += c.closed.length;
    };
    for (const earlier of await this.deps.payouts.openMonthsBefore(current)) {
      if (earlier === target) continue;
      const done = await this.generateMonth(earlier, partners, true, at, actor);
      if (done) {
        count(done.changes);
        closedMonths.push(earlier);
      }
    }
    const done = await this.generateMonth(
      target,
      partners,
      target < current,
      at,
      actor,
    );
    if (!done) {
      throw new ConflictError(
        `there is no MRR snapshot in ${target}: take one first (POST /api/billing/snapshots)`,
      );
    }
    count(done.changes);
    return {
      month: target,
      snapshotDay: done.snapshotDay,
      closedMonths,
      ...totals,
    };
  }

  private async generateMonth(
    month: string,
    partners: Map<string, PartnerTerms>,
    close: boolean,
    at: Date,
    actor: AuditActor,
  ): Promise<{ snapshotDay: string; changes: PayoutChanges } | undefined> {
    const snapshotDay = await this.deps.history.finalDayOf(month);
    if (!snapshotDay) return undefined;
    const figures: PayoutFigures[] = [];
    for (const g of await this.deps.history.partnerGross(snapshotDay)) {
      const terms = partners.get(normalizeScopeRef(g.partnerRef));
      if (terms?.marginPct === undefined || !accrues(terms, month)) continue;
      figures.push({
        ...g,
        marginPct: terms.marginPct,
        amount: payoutAmount(g.grossMrr, terms.marginPct),
      });
    }
    const now = at.toISOString();
    const changes = await this.deps.payouts.apply(month, figures, {
      snapshotDay,
      close,
      now,
    });
    const events: AuditEventInput[] = [
      ...changes.created.map(p =>
        this.event('billing.payout.generated', p, now, actor, {
          created: true,
        }),
      ),
      ...changes.changed.map(p =>
        this.event('billing.payout.generated', p, now, actor, {
          created: false,
        }),
      ),
      ...changes.closed.map(p =>
        this.event('billing.payout.closed', p, now, actor),
      ),
    ];
    if (events.length) await this.deps.trail.record(events);
    return { snapshotDay, changes };
  }

  private event(
    action: string,
    p: Payout,
    at: string,
    actor: AuditActor,
    extra: Record<string, unknown> = {},
  ): AuditEventInput {
    return {
      at,
      actor,
      action,
      outcome: 'success',
      resource: {
        type: 'billing-payout',
        ref: p.id,
        name: `${p.partnerRef} ${p.month} ${p.currency}`,
      },
      partner: normalizeScopeRef(p.partnerRef),
      source: 'billing',
      metadata: {
        ...extra,
        month: p.month,
        currency: p.currency,
        grossMrr: p.grossMrr,
        marginPct: p.marginPct,
        amount: p.amount,
        state: p.state,
        snapshotDay: p.snapshotDay,
        ...(p.paidOn ? { paidOn: p.paidOn } : {}),
        ...(p.paidReference ? { paidReference: p.paidReference } : {}),
      },
    };
  }

  /**
   * Marks a closed payout paid with the transfer's reference and date, once:
   * 404 for no such row, 409 for an open one (the month is not over) and
   * for a paid one (never changed after).
   */
  async markPaid(
    id: string,
    paid: { reference: string; paidOn: string },
    actor: AuditActor,
  ): Promise<Payout> {
    const result = await this.deps.payouts.markPaid(id, {
      ...paid,
      paidBy: actor.ref ?? actor.type,
    });
    if ('refused' in result) {
      if (result.refused === 'missing') {
        throw new NotFoundError(`no payout ${id}`);
      }
      if (result.refused === 'open') {
        throw new ConflictError(
          `payout ${id} is open: the month is not over (a month is closed by the first generation after it ends)`,
        );
      }
      throw new ConflictError(
        `payout ${id} is already paid: a paid payout never changes`,
      );
    }
    const now = this.now().toISOString();
    await this.deps.trail.record([
      this.event('billing.payout.paid', result, now, actor),
    ]);
    return result;
  }

  /** One page of payouts in the caller's scope (operators: all). */
  async list(
    filter: Omit<PayoutFilter, 'scope'>,
    scope: BillingScope,
  ): Promise<PayoutList> {
    return this.deps.payouts.list({ ...filter, ...(scope ? { scope } : {}) });
  }
}
