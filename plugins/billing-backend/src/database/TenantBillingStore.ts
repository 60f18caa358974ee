import { PermissionCriteria } from '@backstage/plugin-permission-common';
import {
  BillingConditionKind,
  BillingCycle,
  MrrReport,
  MrrTotal,
  monthlyRecurring,
  StripeLink,
  SubscriptionStatus,
} from '@internal/plugin-billing-common';
import {
  applyPartnerScope,
  PartnerScopeQuery,
} from '@internal/plugin-dezky-node';
import {
  LifecycleEvent,
  TenantStatus,
} from '@internal/plugin-provisioning-common';
import { Knex } from 'knex';
import { BillingRecord } from '../service/tenantBilling';

interface Row {
  tenant_ref: string;
  tenant_name: string;
  partner_ref: string | null;
  plan: string;
  seats: number | string;
  lifecycle: string;
  activated: boolean | number;
  currency: string | null;
  cycle: string | null;
  price_id: string | null;
  price_version: number | string | null;
  per_seat_amount: number | string | null;
  status: string | null;
  mrr: number | string;
  paused_mrr: number | string;
  condition_kind: string;
  condition_message: string;
  condition_since: string;
  updated_at: string;
}

/** The Stripe columns (written by the engine and the webhooks, never by `applyEvent`). */
interface StripeRow {
  stripe_customer_id: string | null;
  stripe_subscription_id: string | null;
  stripe_item_id: string | null;
  stripe_price_id: string | null;
  stripe_status: string | null;
  stripe_paused: boolean | number | null;
  stripe_quantity: number | string | null;
  stripe_period_start: string | null;
  stripe_period_end: string | null;
  stripe_generation: number | string | null;
  payment_failed_invoice: string | null;
  synced_at: string | null;
}

/** What the engine writes of a tenant's Stripe objects. */
export interface StripePatch {
  customerId?: string;
  subscriptionId?: string | null;
  itemId?: string | null;
  priceId?: string | null;
  status?: string | null;
  collectionPaused?: boolean | null;
  quantity?: number | null;
  currentPeriodStart?: string | null;
  currentPeriodEnd?: string | null;
  generation?: number;
  syncedAt?: string;
}

const SCOPE_COLUMNS = {
  partnerRef: 't.partner_ref',
  tenantRef: 't.tenant_ref',
};

const stripeFromRow = (r: Partial<StripeRow>): StripeLink | undefined => {
  const link: StripeLink = {
    ...(r.stripe_customer_id ? { customerId: r.stripe_customer_id } : {}),
    ...(r.stripe_subscription_id
      ? { subscriptionId: r.stripe_subscription_id }
      : {}),
    ...(r.stripe_item_id ? { itemId: r.stripe_item_id } : {}),
    ...(r.stripe_price_id ? { priceId: r.stripe_price_id } : {}),
    ...(r.stripe_status ? { status: r.stripe_status } : {}),
    ...(r.stripe_paused !== null && r.stripe_paused !== undefined
      ? { collectionPaused: Boolean(r.stripe_paused) }
      : {}),
    ...(r.stripe_quantity !== null && r.stripe_quantity !== undefined
      ? { quantity: Number(r.stripe_quantity) }
      : {}),
    ...(r.stripe_period_start
      ? { currentPeriodStart: r.stripe_period_start }
      : {}),
    ...(r.stripe_period_end ? { currentPeriodEnd: r.stripe_period_end } : {}),
    ...(r.synced_at ? { syncedAt: r.synced_at } : {}),
  };
  return Object.keys(link).length ? link : undefined;
};

const fromRow = (r: Row & Partial<StripeRow>): BillingRecord => ({
  tenant: r.tenant_name,
  tenantRef: r.tenant_ref,
  ...(r.partner_ref ? { partnerRef: r.partner_ref } : {}),
  plan: r.plan,
  seats: Number(r.seats),
  lifecycle: r.lifecycle as TenantStatus,
  activated: Boolean(r.activated),
  ...(r.currency ? { currency: r.currency } : {}),
  ...(r.cycle ? { cycle: r.cycle as BillingCycle } : {}),
  ...(r.price_id ? { priceId: r.price_id } : {}),
  ...(r.price_version !== null
    ? { priceVersion: Number(r.price_version) }
    : {}),
  ...(r.per_seat_amount !== null
    ? { perSeatAmount: Number(r.per_seat_amount) }
    : {}),
  ...(r.status ? { status: r.status as SubscriptionStatus } : {}),
  mrr: Number(r.mrr),
  pausedMrr: Number(r.paused_mrr),
  condition: {
    kind: r.condition_kind as BillingConditionKind,
    message: r.condition_message,
    since: r.condition_since,
  },
  ...(stripeFromRow(r) ? { stripe: stripeFromRow(r) } : {}),
  ...(Number(r.stripe_generation ?? 0) > 0
    ? { stripeGeneration: Number(r.stripe_generation) }
    : {}),
  ...(r.payment_failed_invoice
    ? { paymentFailedInvoice: r.payment_failed_invoice }
    : {}),
  updatedAt: r.updated_at,
});

const toRow = (b: BillingRecord): Row => ({
  tenant_ref: b.tenantRef,
  tenant_name: b.tenant,
  partner_ref: b.partnerRef ?? null,
  plan: b.plan,
  seats: b.seats,
  lifecycle: b.lifecycle,
  activated: b.activated,
  currency: b.currency ?? null,
  cycle: b.cycle ?? null,
  price_id: b.priceId ?? null,
  price_version: b.priceVersion ?? null,
  per_seat_amount: b.perSeatAmount ?? null,
  status: b.status ?? null,
  mrr: b.mrr,
  paused_mrr: b.pausedMrr,
  condition_kind: b.condition.kind,
  condition_message: b.condition.message,
  condition_since: b.condition.since,
  updated_at: b.updatedAt,
});

/** The filters of `GET /tenants`. */
export interface TenantBillingFilter {
  scope?: PermissionCriteria<PartnerScopeQuery>;
  condition?: BillingConditionKind;
  names?: string[];
  limit?: number;
  offset?: number;
}

/** Each tenant's billing record, and the MRR sums over them (per currency, in SQL). */
export class TenantBillingStore {
  constructor(private readonly knex: Knex) {}

  private get isPostgres() {
    return this.knex.client.config.client === 'pg';
  }

  /**
   * Applies a lifecycle event once: in one transaction, the record is read
   * (locked on PostgreSQL), `next` computes the new one, and the event's id
   * is remembered. A repeat resolves `repeat` and changes nothing.
   */
  async applyEvent(
    event: LifecycleEvent,
    next: (prev: BillingRecord | undefined) => BillingRecord,
    now: string,
  ): Promise<BillingRecord | 'repeat'> {
    return this.knex.transaction(async tx => {
      const seen = await tx('billing_handled_events')
        .where({ event_id: event.id })
        .first('event_id');
      if (seen) return 'repeat';
      let q = tx<Row>('billing_tenants')
        .where({ tenant_ref: event.tenantRef })
        .first();
      if (this.isPostgres) q = q.forUpdate();
      const row = (await q) as Row | undefined;
      const record = next(row ? fromRow(row) : undefined);
      await tx('billing_tenants')
        .insert(toRow(record))
        .onConflict('tenant_ref')
        .merge();
      await tx('billing_handled_events').insert({
        event_id: event.id,
        tenant_ref: event.tenantRef,
        type: event.type,
        seq: event.seq,
        handled_at: now,
        at: event.at,
        partner_ref: event.partnerRef ?? null,
      });
      return record;
    });
  }

  /** One tenant's record, by entity ref. */
  async get(tenantRef: string): Promise<BillingRecord | undefined> {
    const row = await this.knex<Row>('billing_tenants')
      .where({ tenant_ref: tenantRef })
      .first();
    return row ? fromRow(row) : undefined;
  }

  /** The records that match, one page ordered by tenant name, and how many match. */
  async list(
    filter: TenantBillingFilter,
  ): Promise<{ items: BillingRecord[]; total: number }> {
    const base = () => {
      const q = this.knex<Row>({ t: 'billing_tenants' });
      if (filter.scope) applyPartnerScope(q, filter.scope, SCOPE_COLUMNS);
      if (filter.condition) q.where('t.condition_kind', filter.condition);
      if (filter.names) q.whereIn('t.tenant_name', filter.names);
      return q;
    };
    const [{ count }] = (await base().count({ count: '*' })) as Array<{
      count: number | string;
    }>;
    const rows = (await base()
      .select('t.*')
      .orderBy('t.tenant_name')
      .limit(filter.limit ?? 50)
      .offset(filter.offset ?? 0)) as Row[];
    return { items: rows.map(fromRow), total: Number(count) };
  }

  /** Stores a record computed without a lifecycle event (the reconcile's fresh look at the catalog). */
  async save(record: BillingRecord): Promise<void> {
    await this.knex('billing_tenants')
      .insert(toRow(record))
      .onConflict('tenant_ref')
      .merge();
  }

  /** Writes what the engine learnt of a tenant's Stripe objects. */
  async updateStripe(tenantRef: string, patch: StripePatch): Promise<void> {
    const columns: Partial<StripeRow> = {};
    const set = <K extends keyof StripeRow>(
      key: K,
      value: StripeRow[K] | undefined,
    ) => {
      if (value !== undefined) columns[key] = value;
    };
    set('stripe_customer_id', patch.customerId);
    set('stripe_subscription_id', patch.subscriptionId);
    set('stripe_item_id', patch.itemId);
    set('stripe_price_id', patch.priceId);
    set('stripe_status', patch.status);
    set('stripe_paused', patch.collectionPaused);
    set('stripe_quantity', patch.quantity);
    set('stripe_period_start', patch.currentPeriodStart);
    set('stripe_period_end', patch.currentPeriodEnd);
    set('stripe_generation', patch.generation);
    set('synced_at', patch.syncedAt);
    if (Object.keys(columns).length === 0) return;
    await this.knex('billing_tenants')
      .where({ tenant_ref: tenantRef })
      .update(columns);
  }

  /**
   * Sets a tenant's billing condition; `since` moves only when the kind
   * changes (a new error message of the same kind keeps it).
   */
  async setCondition(
    tenantRef: string,
    condition: { kind: BillingConditionKind; message: string },
    now: string,
  ): Promise<void> {
    await this.knex('billing_tenants')
      .where({ tenant_ref: tenantRef })
      .update({
        condition_kind: condition.kind,
        condition_message: condition.message,
        condition_since: this.knex.raw(
          'CASE WHEN condition_kind = ? THEN condition_since ELSE ? END',
          [condition.kind, now],
        ),
      });
  }

  /**
   * The tenants the billing reconcile compares with Stripe, by name: every
   * activated one (a customer each), and every one with a subscription.
   */
  async reconcileCandidates(): Promise<string[]> {
    const rows = await this.knex('billing_tenants')
      .where('activated', true)
      .orWhereNotNull('stripe_subscription_id')
      .orderBy('tenant_name')
      .select('tenant_ref');
    return rows.map(r => r.tenant_ref as string);
  }

  /** Every tenant record, by name (the reconcile's fresh look at the catalog). */
  async allRefs(): Promise<string[]> {
    const rows = await this.knex('billing_tenants')
      .orderBy('tenant_name')
      .select('tenant_ref');
    return rows.map(r => r.tenant_ref as string);
  }

  /** The live (active or paused) subscriptions on a price row, at any version. */
  async liveOnPrice(priceId: string): Promise<BillingRecord[]> {
    const rows = (await this.knex('billing_tenants')
      .where({ price_id: priceId })
      .whereIn('status', ['active', 'paused'])
      .orderBy('tenant_name')) as Row[];
    return rows.map(fromRow);
  }

  /**
   * Moves a record from one version of its price to another: the per-seat
   * amount and the MRR (rounded once, per tenant) — only if it is still on
   * `fromVersion` of that price; false otherwise (it moved or changed plan).
   */
  async movePrice(
    tenantRef: string,
    move: {
      priceId: string;
      fromVersion: number;
      toVersion: number;
      perSeatAmount: number;
    },
    now: string,
  ): Promise<boolean> {
    return this.knex.transaction(async tx => {
      let q = tx<Row>('billing_tenants')
        .where({
          tenant_ref: tenantRef,
          price_id: move.priceId,
          price_version: move.fromVersion,
        })
        .first();
      if (this.isPostgres) q = q.forUpdate();
      const row = (await q) as Row | undefined;
      if (!row) return false;
      const record = fromRow(row);
      const mrr = monthlyRecurring(
        move.perSeatAmount,
        record.seats,
        record.cycle ?? 'monthly',
      );
      await tx('billing_tenants')
        .where({ tenant_ref: tenantRef })
        .update({
          price_version: move.toVersion,
          per_seat_amount: move.perSeatAmount,
          mrr: record.status === 'active' ? mrr : 0,
          paused_mrr: record.status === 'paused' ? mrr : 0,
          updated_at: now,
        });
      return true;
    });
  }

  /** MRR and paused MRR per currency: in total, per partner, and of direct tenants. */
  async mrr(scope?: PermissionCriteria<PartnerScopeQuery>): Promise<MrrReport> {
    const rows = (await (() => {
      const q = this.knex({ t: 'billing_tenants' })
        .whereNotNull('t.currency')
        .whereIn('t.status', ['active', 'paused'])
        .select('t.partner_ref', 't.currency')
        .sum({ mrr: 't.mrr', paused: 't.paused_mrr' })
        .count({ n: '*' })
        .groupBy('t.partner_ref', 't.currency')
        .orderBy(['t.partner_ref', 't.currency']);
      if (scope) applyPartnerScope(q, scope, SCOPE_COLUMNS);
      return q;
    })()) as Array<{
      partner_ref: string | null;
      currency: string;
      mrr: number | string;
      paused: number | string;
      n: number | string;
    }>;
    const add = (list: MrrTotal[], r: (typeof rows)[number]) => {
      let t = list.find(x => x.currency === r.currency);
      if (!t) {
        t = { currency: r.currency, mrr: 0, pausedMrr: 0, subscriptions: 0 };
        list.push(t);
      }
      t.mrr += Number(r.mrr);
      t.pausedMrr += Number(r.paused);
      t.subscriptions += Number(r.n);
    };
    const report: MrrReport = { total: [], partners: [], direct: [] };
    for (const r of rows) {
      add(report.total, r);
      if (r.partner_ref) {
        let p = report.partners.find(x => x.partnerRef === r.partner_ref);
        if (!p) {
          p = { partnerRef: r.partner_ref, totals: [] };
          report.partners.push(p);
        }
        add(p.totals, r);
      } else {
        add(report.direct, r);
      }
    }
    const byCurrency = (a: MrrTotal, b: MrrTotal) =>
      a.currency < b.currency ? -1 : 1;
    report.total.sort(byCurrency);
    report.direct.sort(byCurrency);
    for (const p of report.partners) p.totals.sort(byCurrency);
    return report;
  }
}
