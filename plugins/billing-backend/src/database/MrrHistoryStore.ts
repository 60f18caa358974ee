import { SnapshotDay } from '@internal/plugin-billing-common';
import { Knex } from 'knex';
import { monthDays } from '../service/payouts';

/** The columns copied from billing_tenants into a day's snapshot. */
const COPIED = [
  'tenant_ref',
  'tenant_name',
  'partner_ref',
  'plan',
  'seats',
  'currency',
  'status',
  'lifecycle',
  'mrr',
  'paused_mrr',
  'health',
];

/** One tenant in a day's snapshot. */
export interface SnapshotRow {
  day: string;
  tenant_ref: string;
  tenant_name: string;
  partner_ref: string | null;
  plan: string;
  seats: number;
  currency: string | null;
  status: string | null;
  lifecycle: string;
  mrr: number;
  paused_mrr: number;
  /** The tenant's health when the snapshot was taken (null: not yet known). */
  health: string | null;
}

/** Gross MRR of a partner's active subscriptions in one currency. */
export interface PartnerGross {
  partnerRef: string;
  currency: string;
  grossMrr: bigint;
}

/**
 * (Re)writes the per-day MRR totals (billing_snapshot_totals: per partner
 * and currency, Σ mrr, Σ paused_mrr and the number of billed rows) of one
 * day, or of every day, from its snapshot rows.
 */
export async function writeTotals(
  knex: Knex | Knex.Transaction,
  day?: string,
): Promise<void> {
  const where = day ? 'AND day = ?' : '';
  const bindings = day ? [day] : [];
  if (day) await knex('billing_snapshot_totals').where({ day }).delete();
  else await knex('billing_snapshot_totals').delete();
  await knex.raw(
    `INSERT INTO billing_snapshot_totals (day, partner_ref, currency, mrr, paused_mrr, tenants)
     SELECT day, partner_ref, currency, SUM(mrr), SUM(paused_mrr), COUNT(*)
       FROM billing_mrr_snapshots
      WHERE status IN ('active', 'paused') AND currency IS NOT NULL ${where}
      GROUP BY day, partner_ref, currency`,
    bindings,
  );
}

/** The MRR history: a copy of billing_tenants per UTC day. */
export class MrrHistoryStore {
  constructor(private readonly knex: Knex) {}

  /**
   * Takes (or re-takes) `day`'s snapshot, in one transaction: the day row
   * is upserted first — on PostgreSQL that locks it, so a concurrent take
   * of the same day waits and then replaces these rows rather than adding
   * to them — then the day's rows are replaced by one INSERT … SELECT from
   * billing_tenants.
   */
  async take(day: string, now: string): Promise<SnapshotDay> {
    return this.knex.transaction(async tx => {
      await tx('billing_snapshot_days')
        .insert({ day, taken_at: now, tenants: 0 })
        .onConflict('day')
        .merge(['taken_at']);
      await tx('billing_mrr_snapshots').where({ day }).delete();
      const columns = COPIED.map(() => '??').join(', ');
      await tx.raw(
        `INSERT INTO ?? (??, ${columns}) SELECT ?, ${columns} FROM ??`,
        [
          'billing_mrr_snapshots',
          'day',
          ...COPIED,
          day,
          ...COPIED,
          'billing_tenants',
        ],
      );
      await writeTotals(tx, day);
      const [{ n }] = (await tx('billing_mrr_snapshots')
        .where({ day })
        .count({ n: '*' })) as Array<{ n: number | string }>;
      await tx('billing_snapshot_days')
        .where({ day })
        .update({ tenants: Number(n) });
      return { day, takenAt: now, tenants: Number(n) };
    });
  }

  /**
   * Writes a past day's snapshot from given rows (the development demo
   * history, service/demoHistory.ts) — only a day that has none: false if
   * the day already has a snapshot.
   */
  async insertDay(
    day: string,
    takenAt: string,
    rows: Array<Omit<SnapshotRow, 'day'>>,
  ): Promise<boolean> {
    return this.knex.transaction(async tx => {
      const inserted = await tx('billing_snapshot_days')
        .insert({ day, taken_at: takenAt, tenants: rows.length })
        .onConflict('day')
        .ignore()
        .returning('day');
      if (inserted.length === 0) return false;
      await tx
        .batchInsert(
          'billing_mrr_snapshots',
          rows.map(r => ({ ...r, day })),
          200,
        )
        .transacting(tx);
      await writeTotals(tx, day);
      return true;
    });
  }

  /** Today's live records as snapshot rows (billing_tenants' copied columns). */
  async liveRows(): Promise<Array<Omit<SnapshotRow, 'day'>>> {
    const rows = await this.knex('billing_tenants')
      .select(COPIED)
      .orderBy('tenant_ref');
    return rows.map(r => ({
      ...r,
      seats: Number(r.seats),
      mrr: Number(r.mrr),
      paused_mrr: Number(r.paused_mrr),
    }));
  }

  /** The earliest snapshot day, if any. */
  async firstDay(): Promise<string | undefined> {
    const row = await this.knex('billing_snapshot_days')
      .min({ day: 'day' })
      .first();
    return row?.day ?? undefined;
  }

  /** The days that have a snapshot, newest first. */
  async days(limit = 400, offset = 0): Promise<SnapshotDay[]> {
    const rows = await this.knex('billing_snapshot_days')
      .orderBy('day', 'desc')
      .limit(limit)
      .offset(offset);
    return rows.map(r => ({
      day: r.day,
      takenAt: r.taken_at,
      tenants: Number(r.tenants),
    }));
  }

  /** A day's snapshot rows, by tenant ref. */
  async rows(day: string): Promise<SnapshotRow[]> {
    const rows = await this.knex('billing_mrr_snapshots')
      .where({ day })
      .orderBy('tenant_ref');
    return rows.map(r => ({
      ...r,
      seats: Number(r.seats),
      mrr: Number(r.mrr),
      paused_mrr: Number(r.paused_mrr),
    }));
  }

  /** The latest snapshot day within a month (its final one once the month is over). */
  async finalDayOf(month: string): Promise<string | undefined> {
    const [from, to] = monthDays(month);
    const row = await this.knex('billing_snapshot_days')
      .whereBetween('day', [from, to])
      .max({ day: 'day' })
      .first();
    return row?.day ?? undefined;
  }

  /**
   * Gross MRR per partner and currency in a day's snapshot, in SQL: the sum
   * of `mrr` over active subscriptions (paused MRR is not paid out).
   */
  async partnerGross(day: string): Promise<PartnerGross[]> {
    const rows = (await this.knex('billing_mrr_snapshots')
      .where({ day, status: 'active' })
      .whereNotNull('partner_ref')
      .whereNotNull('currency')
      .select('partner_ref', 'currency')
      .sum({ gross: 'mrr' })
      .groupBy('partner_ref', 'currency')
      .orderBy(['partner_ref', 'currency'])) as Array<{
      partner_ref: string;
      currency: string;
      gross: number | string;
    }>;
    return rows.map(r => ({
      partnerRef: r.partner_ref,
      currency: r.currency,
      grossMrr: BigInt(r.gross),
    }));
  }
}
