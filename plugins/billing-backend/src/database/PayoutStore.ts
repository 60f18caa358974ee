import { PermissionCriteria } from '@backstage/plugin-permission-common';
import {
  Payout,
  PayoutList,
  PayoutState,
} from '@internal/plugin-billing-common';
import {
  applyPartnerScope,
  PartnerScopeQuery,
} from '@internal/plugin-dezky-node';
import { randomUUID } from 'crypto';
import { Knex } from 'knex';

interface Row {
  id: string;
  partner_ref: string;
  month: string;
  currency: string;
  gross_mrr: number | string;
  margin_pct: string;
  amount: number | string;
  state: string;
  snapshot_day: string;
  generated_at: string;
  closed_at: string | null;
  paid_on: string | null;
  paid_reference: string | null;
  paid_by: string | null;
}

const fromRow = (r: Row): Payout => ({
  id: r.id,
  partnerRef: r.partner_ref,
  month: r.month,
  currency: r.currency,
  grossMrr: Number(r.gross_mrr),
  marginPct: r.margin_pct,
  amount: Number(r.amount),
  state: r.state as PayoutState,
  snapshotDay: r.snapshot_day,
  generatedAt: r.generated_at,
  ...(r.closed_at ? { closedAt: r.closed_at } : {}),
  ...(r.paid_on ? { paidOn: r.paid_on } : {}),
  ...(r.paid_reference ? { paidReference: r.paid_reference } : {}),
  ...(r.paid_by ? { paidBy: r.paid_by } : {}),
});

/**
 * A payout row has a partner but no tenant: a leaf on the tenant ref is
 * false for it (as for a NULL column), which an empty list expresses.
 */
type Criteria = PermissionCriteria<PartnerScopeQuery>;

export function partnerOnly(criteria: Criteria): Criteria {
  type Many = [Criteria, ...Criteria[]];
  if ('allOf' in criteria) {
    return { allOf: criteria.allOf.map(partnerOnly) as Many };
  }
  if ('anyOf' in criteria) {
    return { anyOf: criteria.anyOf.map(partnerOnly) as Many };
  }
  if ('not' in criteria) return { not: partnerOnly(criteria.not) };
  return criteria.column === 'partnerRef'
    ? criteria
    : { column: 'partnerRef', values: [] };
}

const SCOPE_COLUMNS = {
  partnerRef: 'p.partner_ref',
  // never used: partnerOnly() turns tenant leaves into partner leaves
  tenantRef: 'p.partner_ref',
};

/** The filters of `GET /payouts`. */
export interface PayoutFilter {
  scope?: PermissionCriteria<PartnerScopeQuery>;
  partnerRef?: string;
  month?: string;
  currency?: string;
  state?: PayoutState;
  limit?: number;
  offset?: number;
}

/** A payout row's figures as generation computes them. */
export interface PayoutFigures {
  partnerRef: string;
  currency: string;
  grossMrr: bigint;
  marginPct: string;
  amount: bigint;
}

/** What one generation of a month changed. */
export interface PayoutChanges {
  created: Payout[];
  changed: Payout[];
  closed: Payout[];
}

const key = (partnerRef: string, currency: string) =>
  `${partnerRef}\u0000${currency}`;

/** The payout ledger: one row per partner × month × currency. */
export class PayoutStore {
  constructor(private readonly knex: Knex) {}

  private get isPostgres() {
    return this.knex.client.config.client === 'pg';
  }

  /** One page of the rows that match, newest month first, and how many match. */
  async list(filter: PayoutFilter): Promise<PayoutList> {
    const base = () => {
      const q = this.knex<Row>({ p: 'billing_payouts' });
      if (filter.scope) {
        applyPartnerScope(q, partnerOnly(filter.scope), SCOPE_COLUMNS);
      }
      if (filter.partnerRef) q.where('p.partner_ref', filter.partnerRef);
      if (filter.month) q.where('p.month', filter.month);
      if (filter.currency) q.where('p.currency', filter.currency);
      if (filter.state) q.where('p.state', filter.state);
      return q;
    };
    const [{ count }] = (await base().count({ count: '*' })) as Array<{
      count: number | string;
    }>;
    const rows = (await base()
      .select('p.*')
      .orderBy([
        { column: 'p.month', order: 'desc' },
        { column: 'p.partner_ref' },
        { column: 'p.currency' },
      ])
      .limit(filter.limit ?? 50)
      .offset(filter.offset ?? 0)) as Row[];
    return { items: rows.map(fromRow), total: Number(count) };
  }

  /** One row by id. */
  async get(id: string): Promise<Payout | undefined> {
    const row = await this.knex<Row>('billing_payouts').where({ id }).first();
    return row ? fromRow(row as Row) : undefined;
  }

  /** The months before `month` that still have open rows, oldest first. */
  async openMonthsBefore(month: string): Promise<string[]> {
    const rows = await this.knex('billing_payouts')
      .where({ state: 'open' })
      .where('month', '<', month)
      .distinct('month')
      .orderBy('month');
    return rows.map(r => r.month as string);
  }

  /**
   * Brings a month's rows to `figures` from `snapshotDay`, in one
   * transaction: a missing row is created; an open row is updated when a
   * figure differs (an open row without figures, e.g. a terminated
   * partner's, goes to 0) and, with `close`, closed; closed and paid rows
   * are never touched. Unchanged rows keep everything, `generated_at` too.
   */
  async apply(
    month: string,
    figures: PayoutFigures[],
    options: { snapshotDay: string; close: boolean; now: string },
  ): Promise<PayoutChanges> {
    const { snapshotDay, close, now } = options;
    return this.knex.transaction(async tx => {
      const changes: PayoutChanges = { created: [], changed: [], closed: [] };
      let q = tx<Row>('billing_payouts').where({ month });
      if (this.isPostgres) q = q.forUpdate();
      const existing = new Map(
        ((await q) as Row[]).map(r => [key(r.partner_ref, r.currency), r]),
      );
      const wanted = new Map(
        figures.map(f => [key(f.partnerRef, f.currency), f]),
      );
      for (const f of figures) {
        if (existing.has(key(f.partnerRef, f.currency))) continue;
        const row: Row = {
          id: randomUUID(),
          partner_ref: f.partnerRef,
          month,
          currency: f.currency,
          gross_mrr: f.grossMrr.toString(),
          margin_pct: f.marginPct,
          amount: f.amount.toString(),
          state: close ? 'closed' : 'open',
          snapshot_day: snapshotDay,
          generated_at: now,
          closed_at: close ? now : null,
          paid_on: null,
          paid_reference: null,
          paid_by: null,
        };
        const inserted = await tx('billing_payouts')
          .insert(row)
          .onConflict(['partner_ref', 'month', 'currency'])
          .ignore()
          .returning('id');
        if (inserted.length > 0) changes.created.push(fromRow(row));
      }
      for (const row of existing.values()) {
        if (row.state !== 'open') continue;
        const f = wanted.get(key(row.partner_ref, row.currency));
        const next = {
          gross_mrr: (f?.grossMrr ?? 0n).toString(),
          margin_pct: f?.marginPct ?? row.margin_pct,
          amount: (f?.amount ?? 0n).toString(),
          snapshot_day: snapshotDay,
        };
        const differs =
          String(row.gross_mrr) !== next.gross_mrr ||
          row.margin_pct !== next.margin_pct ||
          String(row.amount) !== next.amount ||
          row.snapshot_day !== next.snapshot_day;
        if (!differs && !close) continue;
        const update = {
          ...next,
          ...(differs ? { generated_at: now } : {}),
          ...(close ? { state: 'closed', closed_at: now } : {}),
        };
        const n = await tx('billing_payouts')
          .where({ id: row.id, state: 'open' })
          .update(update);
        if (n === 0) continue;
        const after = fromRow({ ...row, ...update });
        if (differs) changes.changed.push(after);
        if (close) changes.closed.push(after);
      }
      return changes;
    });
  }

  /**
   * Marks a closed row paid (once): the row after, or what stood in the way
   * — no such row, or its state if it is not closed.
   */
  async markPaid(
    id: string,
    paid: { reference: string; paidOn: string; paidBy: string },
  ): Promise<Payout | { refused: 'missing' | PayoutState }> {
    return this.knex.transaction(async tx => {
      let q = tx<Row>('billing_payouts').where({ id }).first();
      if (this.isPostgres) q = q.forUpdate();
      const row = (await q) as Row | undefined;
      if (!row) return { refused: 'missing' as const };
      if (row.state !== 'closed') {
        return { refused: row.state as PayoutState };
      }
      const update = {
        state: 'paid',
        paid_on: paid.paidOn,
        paid_reference: paid.reference,
        paid_by: paid.paidBy,
      };
      await tx('billing_payouts').where({ id, state: 'closed' }).update(update);
      return fromRow({ ...row, ...update });
    });
  }
}
