import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import {
  BillingCycle,
  NewPrice,
  Price,
  PriceDetail,
  PriceVersion,
} from '@internal/plugin-billing-common';
import { migrateLatest } from '@internal/plugin-dezky-node';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';

const migrationsDir = resolvePackagePath(
  '@internal/plugin-billing-backend',
  'migrations',
);

interface PriceRow {
  id: string;
  plan: string;
  currency: string;
  cycle: string;
  per_seat_amount: number | string;
  version: number | string;
  stripe_product_id: string | null;
  stripe_price_id: string | null;
  created_at: string;
  updated_at: string;
  updated_by: string | null;
}

interface VersionRow {
  price_id: string;
  version: number | string;
  per_seat_amount: number | string;
  stripe_price_id: string | null;
  replaced_at: string;
  replaced_by: string | null;
}

const priceFromRow = (r: PriceRow): Price => ({
  id: r.id,
  plan: r.plan,
  currency: r.currency,
  cycle: r.cycle as BillingCycle,
  perSeatAmount: Number(r.per_seat_amount),
  version: Number(r.version),
  ...(r.stripe_product_id ? { stripeProductId: r.stripe_product_id } : {}),
  ...(r.stripe_price_id ? { stripePriceId: r.stripe_price_id } : {}),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  ...(r.updated_by ? { updatedBy: r.updated_by } : {}),
});

const versionFromRow = (r: VersionRow): PriceVersion => ({
  version: Number(r.version),
  perSeatAmount: Number(r.per_seat_amount),
  ...(r.stripe_price_id ? { stripePriceId: r.stripe_price_id } : {}),
  replacedAt: r.replaced_at,
  ...(r.replaced_by ? { replacedBy: r.replaced_by } : {}),
});

/** The filters of the price list. */
export interface PriceFilter {
  plan?: string;
  currency?: string;
  cycle?: BillingCycle;
}

/** The price catalog's tables (SQLite or PostgreSQL). */
export class PriceStore {
  static async create(options: { database: DatabaseService }) {
    const knex = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      await migrateLatest(knex, { directory: migrationsDir });
    }
    return new PriceStore(knex);
  }

  constructor(private readonly knex: Knex) {}

  /** The rows that match, by plan, currency and cycle. */
  async list(filter: PriceFilter = {}): Promise<Price[]> {
    const q = this.knex<PriceRow>('billing_prices');
    if (filter.plan) q.where('plan', filter.plan);
    if (filter.currency) q.where('currency', filter.currency);
    if (filter.cycle) q.where('cycle', filter.cycle);
    const rows = await q.orderBy(['plan', 'currency', 'cycle']);
    return rows.map(priceFromRow);
  }

  /** The row of a plan in a currency and cycle, if there is one. */
  async find(
    plan: string,
    currency: string,
    cycle: BillingCycle,
  ): Promise<Price | undefined> {
    const row = await this.knex<PriceRow>('billing_prices')
      .where({ plan, currency, cycle })
      .first();
    return row ? priceFromRow(row) : undefined;
  }

  /** Whether the catalog has no price at all. */
  async isEmpty(): Promise<boolean> {
    return (await this.knex('billing_prices').first('id')) === undefined;
  }

  /** One row with its earlier versions (newest first). */
  async get(id: string): Promise<Omit<PriceDetail, 'repricing'> | undefined> {
    const row = await this.knex<PriceRow>('billing_prices')
      .where({ id })
      .first();
    if (!row) return undefined;
    const versions = await this.knex<VersionRow>('billing_price_versions')
      .where({ price_id: id })
      .orderBy('version', 'desc');
    return { ...priceFromRow(row), history: versions.map(versionFromRow) };
  }

  /**
   * Adds a row; undefined when the plan already has a price in that
   * currency and cycle (the unique key decides, also under concurrency).
   */
  async create(
    input: NewPrice,
    by: string | undefined,
    now: string,
  ): Promise<Price | undefined> {
    const row: PriceRow = {
      id: randomUUID(),
      plan: input.plan,
      currency: input.currency,
      cycle: input.cycle,
      per_seat_amount: input.perSeatAmount,
      version: 1,
      stripe_product_id: null,
      stripe_price_id: null,
      created_at: now,
      updated_at: now,
      updated_by: by ?? null,
    };
    const inserted = await this.knex('billing_prices')
      .insert(row)
      .onConflict(['plan', 'currency', 'cycle'])
      .ignore()
      .returning('id');
    if (inserted.length === 0) return undefined;
    return priceFromRow(row);
  }

  /**
   * One version of a row (the current one or an earlier one) with the
   * Stripe product of the row and the Stripe price of that version, if minted.
   */
  async version(
    id: string,
    version: number,
  ): Promise<
    | (Pick<Price, 'id' | 'plan' | 'currency' | 'cycle' | 'perSeatAmount'> & {
        version: number;
        current: boolean;
        stripeProductId?: string;
        stripePriceId?: string;
      })
    | undefined
  > {
    const row = await this.knex<PriceRow>('billing_prices')
      .where({ id })
      .first();
    if (!row) return undefined;
    const price = priceFromRow(row);
    const base = {
      id,
      plan: price.plan,
      currency: price.currency,
      cycle: price.cycle,
      ...(price.stripeProductId
        ? { stripeProductId: price.stripeProductId }
        : {}),
    };
    if (price.version === version) {
      return {
        ...base,
        version,
        current: true,
        perSeatAmount: price.perSeatAmount,
        ...(price.stripePriceId ? { stripePriceId: price.stripePriceId } : {}),
      };
    }
    const old = await this.knex<VersionRow>('billing_price_versions')
      .where({ price_id: id, version })
      .first();
    if (!old) return undefined;
    return {
      ...base,
      version,
      current: false,
      perSeatAmount: Number(old.per_seat_amount),
      ...(old.stripe_price_id ? { stripePriceId: old.stripe_price_id } : {}),
    };
  }

  /** Records the Stripe product of a row (every version shares it). */
  async setStripeProduct(id: string, productId: string): Promise<void> {
    await this.knex('billing_prices')
      .where({ id })
      .update({ stripe_product_id: productId });
  }

  /** Records the Stripe price minted for one version of a row. */
  async setStripePrice(
    id: string,
    version: number,
    stripePriceId: string,
  ): Promise<void> {
    const current = await this.knex('billing_prices')
      .where({ id, version })
      .update({ stripe_price_id: stripePriceId });
    if (current === 0) {
      await this.knex('billing_price_versions')
        .where({ price_id: id, version })
        .update({ stripe_price_id: stripePriceId });
    }
  }

  /**
   * Makes a new version of a row with this amount, keeping the current one
   * in the history — in one transaction, only if the row is still at
   * `expectedVersion` (a concurrent edit answers `conflict`).
   */
  async updateAmount(
    id: string,
    perSeatAmount: number,
    expectedVersion: number,
    by: string | undefined,
    now: string,
  ): Promise<{ updated: Price; previous: Price } | 'conflict' | undefined> {
    return this.knex.transaction(async tx => {
      let query = tx<PriceRow>('billing_prices').where({ id }).first();
      // a concurrent edit waits here, then finds the version moved
      if (this.knex.client.config.client === 'pg') query = query.forUpdate();
      const row = (await query) as PriceRow | undefined;
      if (!row) return undefined;
      const previous = priceFromRow(row);
      if (previous.version !== expectedVersion) return 'conflict';
      await tx('billing_price_versions').insert({
        price_id: id,
        version: previous.version,
        per_seat_amount: previous.perSeatAmount,
        stripe_price_id: previous.stripePriceId ?? null,
        replaced_at: now,
        replaced_by: by ?? null,
      });
      const changed = await tx('billing_prices')
        .where({ id, version: previous.version })
        .update({
          per_seat_amount: perSeatAmount,
          version: previous.version + 1,
          // the new version has no Stripe price until one is minted
          stripe_price_id: null,
          updated_at: now,
          updated_by: by ?? null,
        });
      if (changed !== 1) throw new Error(`price ${id} changed meanwhile`);
      const updated = await tx<PriceRow>('billing_prices')
        .where({ id })
        .first();
      return { updated: priceFromRow(updated!), previous };
    });
  }
}
