import { RepricingOutcome } from '@internal/plugin-billing-common';
import { Knex } from 'knex';

interface Row {
  price_id: string;
  to_version: number | string;
  tenant_ref: string;
  tenant_name: string;
  partner_ref: string | null;
  from_version: number | string;
  subscription_id: string | null;
  outcome: string;
  error: string | null;
  attempts: number | string;
  updated_at: string;
}

const fromRow = (r: Row): RepricingOutcome => ({
  priceId: r.price_id,
  fromVersion: Number(r.from_version),
  toVersion: Number(r.to_version),
  tenant: r.tenant_name,
  tenantRef: r.tenant_ref,
  ...(r.partner_ref ? { partnerRef: r.partner_ref } : {}),
  ...(r.subscription_id ? { subscriptionId: r.subscription_id } : {}),
  outcome: r.outcome as RepricingOutcome['outcome'],
  ...(r.error ? { error: r.error } : {}),
  attempts: Number(r.attempts),
  updatedAt: r.updated_at,
});

/** One subscription a price edit has to move. */
export interface RepricingTarget {
  tenant: string;
  tenantRef: string;
  partnerRef?: string;
  fromVersion: number;
  subscriptionId?: string;
}

/**
 * The outcome of each subscription a price edit moves (billing_repricing):
 * pending until tried, then moved or failed (with the error and the number
 * of attempts); failed ones are tried again until they are moved.
 */
export class RepricingStore {
  constructor(private readonly knex: Knex) {}

  /**
   * Records the subscriptions an edit to `toVersion` moves, as pending. An
   * earlier edit's move of the same tenant that is not done yet is
   * superseded (this one moves it from where it really is) and removed.
   */
  async begin(
    priceId: string,
    toVersion: number,
    targets: RepricingTarget[],
    now: string,
  ): Promise<void> {
    const refs = targets.map(t => t.tenantRef);
    for (let i = 0; i < refs.length; i += 200) {
      await this.knex('billing_repricing')
        .where({ price_id: priceId })
        .where('to_version', '<', toVersion)
        .whereIn('outcome', ['pending', 'failed'])
        .whereIn('tenant_ref', refs.slice(i, i + 200))
        .delete();
    }
    const rows = targets.map(t => ({
      price_id: priceId,
      to_version: toVersion,
      tenant_ref: t.tenantRef,
      tenant_name: t.tenant,
      partner_ref: t.partnerRef ?? null,
      from_version: t.fromVersion,
      subscription_id: t.subscriptionId ?? null,
      outcome: 'pending',
      error: null,
      attempts: 0,
      updated_at: now,
    }));
    for (let i = 0; i < rows.length; i += 200) {
      await this.knex('billing_repricing')
        .insert(rows.slice(i, i + 200))
        .onConflict(['price_id', 'to_version', 'tenant_ref'])
        .ignore();
    }
  }

  /** The moves not done yet (pending or failed), of one price or all, oldest edit first. */
  async open(priceId?: string): Promise<RepricingOutcome[]> {
    const q = this.knex<Row>('billing_repricing')
      .whereIn('outcome', ['pending', 'failed'])
      .orderBy(['price_id', 'to_version', 'tenant_name']);
    if (priceId) q.where({ price_id: priceId });
    return ((await q) as Row[]).map(fromRow);
  }

  /**
   * What to show on a price: the moves not done yet, and every move of its
   * latest edit (so the outcome of an edit stays visible).
   */
  async forPrice(priceId: string): Promise<RepricingOutcome[]> {
    const latest = await this.knex('billing_repricing')
      .where({ price_id: priceId })
      .max({ v: 'to_version' })
      .first();
    const v = latest?.v === null || latest?.v === undefined ? -1 : latest.v;
    const rows = (await this.knex<Row>('billing_repricing')
      .where({ price_id: priceId })
      .andWhere(q =>
        q
          .whereIn('outcome', ['pending', 'failed'])
          .orWhere('to_version', Number(v)),
      )
      .orderBy([
        { column: 'to_version', order: 'desc' },
        { column: 'tenant_name', order: 'asc' },
      ])) as Row[];
    return rows.map(fromRow);
  }

  /** Records an attempt. */
  async settle(
    o: Pick<RepricingOutcome, 'priceId' | 'toVersion' | 'tenantRef'>,
    result: { outcome: 'moved' | 'failed'; error?: string },
    now: string,
  ): Promise<void> {
    await this.knex('billing_repricing')
      .where({
        price_id: o.priceId,
        to_version: o.toVersion,
        tenant_ref: o.tenantRef,
      })
      .update({
        outcome: result.outcome,
        error: result.error ?? null,
        attempts: this.knex.raw('attempts + 1'),
        updated_at: now,
      });
  }

  /** Drops a move that has nothing left to move (the tenant left the price, or a newer edit took over). */
  async drop(
    o: Pick<RepricingOutcome, 'priceId' | 'toVersion' | 'tenantRef'>,
  ): Promise<void> {
    await this.knex('billing_repricing')
      .where({
        price_id: o.priceId,
        to_version: o.toVersion,
        tenant_ref: o.tenantRef,
      })
      .delete();
  }
}
