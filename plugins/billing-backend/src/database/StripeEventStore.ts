import { StripeEventRecord } from '@internal/plugin-billing-common';
import { AuditEventInput } from '@internal/plugin-audit-common';
import { Knex } from 'knex';
import {
  INVOICE_EVENTS,
  InvoiceFields,
  invoiceChange,
  InvoiceStatus,
  isoOf,
  mergeInvoice,
  readInvoice,
  readSubscription,
  SUBSCRIPTION_EVENTS,
} from '../service/stripeMirror';

/** What of a verified Stripe event the store reads. */
export interface StripeEventInput {
  id: string;
  type: string;
  /** Unix seconds. */
  created: number;
  data: { object: unknown };
}

/** The tenant an event concerns. */
export interface EventTenant {
  tenantRef: string;
  tenantName: string;
  partnerRef?: string;
}

/** What applying one event came to (stored with it). */
export interface AppliedEvent {
  outcome: StripeEventRecord['outcome'];
  message: string;
  tenant?: EventTenant;
  /** The invoice as stored after the event (invoice events with a tenant). */
  invoice?: InvoiceFields;
  /** The subscription the event is about (subscription events). */
  subscriptionId?: string;
  /** The tenant's payment-failed condition was set (`set`) or cleared (`cleared`). */
  paymentFailed?: 'set' | 'cleared';
}

interface EventRow {
  id: string;
  type: string;
  object_id: string | null;
  tenant_ref: string | null;
  partner_ref: string | null;
  created: number | string;
  received_at: string;
  outcome: string;
  message: string | null;
}

interface TenantRow {
  tenant_ref: string;
  tenant_name: string;
  partner_ref: string | null;
  stripe_customer_id: string | null;
  stripe_subscription_id: string | null;
  stripe_event_at: number | string | null;
  payment_failed_invoice: string | null;
  condition_kind: string;
  condition_since: string;
}

const TENANT_COLUMNS = [
  'tenant_ref',
  'tenant_name',
  'partner_ref',
  'stripe_customer_id',
  'stripe_subscription_id',
  'stripe_event_at',
  'payment_failed_invoice',
  'condition_kind',
  'condition_since',
];

/** A `billing_invoices` row. */
export interface InvoiceRow {
  id: string;
  tenant_ref: string | null;
  tenant_name: string | null;
  partner_ref: string | null;
  customer_id: string;
  subscription_id: string | null;
  number: string | null;
  status: string;
  currency: string;
  total: number | string;
  amount_due: number | string;
  amount_paid: number | string;
  amount_remaining: number | string;
  period_start: string | null;
  period_end: string | null;
  due_date: string | null;
  hosted_invoice_url: string | null;
  invoice_pdf: string | null;
  billing_reason: string | null;
  created_at: string;
  event_at: number | string;
  updated_at: string;
}

const fieldsOf = (r: InvoiceRow): InvoiceFields => ({
  id: r.id,
  customerId: r.customer_id,
  subscriptionId: r.subscription_id,
  number: r.number,
  status: r.status as InvoiceStatus,
  currency: r.currency,
  total: Number(r.total),
  amountDue: Number(r.amount_due),
  amountPaid: Number(r.amount_paid),
  amountRemaining: Number(r.amount_remaining),
  periodStart: r.period_start,
  periodEnd: r.period_end,
  dueDate: r.due_date,
  hostedInvoiceUrl: r.hosted_invoice_url,
  invoicePdf: r.invoice_pdf,
  billingReason: r.billing_reason,
  createdAt: r.created_at,
});

const tenantOfRow = (t: TenantRow): EventTenant => ({
  tenantRef: t.tenant_ref,
  tenantName: t.tenant_name,
  ...(t.partner_ref ? { partnerRef: t.partner_ref } : {}),
});

const recordOf = (r: EventRow): StripeEventRecord => ({
  id: r.id,
  type: r.type,
  ...(r.object_id ? { objectId: r.object_id } : {}),
  ...(r.tenant_ref ? { tenantRef: r.tenant_ref } : {}),
  ...(r.partner_ref ? { partnerRef: r.partner_ref } : {}),
  createdAt: isoOf(Number(r.created)),
  receivedAt: r.received_at,
  outcome: r.outcome as StripeEventRecord['outcome'],
  ...(r.message ? { message: r.message } : {}),
});

const isInvoiceEvent = (type: string) =>
  (INVOICE_EVENTS as readonly string[]).includes(type);
const isSubscriptionEvent = (type: string) =>
  (SUBSCRIPTION_EVENTS as readonly string[]).includes(type);
const TERMINAL: readonly string[] = ['paid', 'void', 'uncollectible'];

/**
 * Stripe's webhook events as received (`billing_stripe_events`, once by
 * event id) and what they change: the invoice mirror (`billing_invoices`)
 * and the Stripe columns and payment-failed condition of `billing_tenants`.
 * Recording an event and applying it are one transaction.
 */
/** Thrown inside a transaction to roll back the delivery of an event id already stored. */
const DUPLICATE = Symbol('duplicate Stripe event');

export class StripeEventStore {
  constructor(private readonly knex: Knex) {}

  private get isPostgres() {
    return this.knex.client.config.client === 'pg';
  }

  /**
   * Records the event and applies it, in one transaction, with the audit
   * event `auditOf` makes of the outcome (kept for {@link unaudited}; none:
   * nothing to audit). An event id already recorded resolves `duplicate`
   * and changes nothing (concurrent deliveries of one id: the second waits
   * for the first).
   */
  async receive(
    event: StripeEventInput,
    now: string,
    auditOf?: (applied: AppliedEvent) => AuditEventInput | undefined,
  ): Promise<AppliedEvent | 'duplicate'> {
    try {
      return await this.knex.transaction(async tx => {
        // applied first, recorded after: one statement fewer per delivery
        // than insert-then-update; a repeat (rare) is applied in vain and
        // rolled back
        const applied = await this.apply(tx, event, now);
        const audit = auditOf?.(applied);
        // one row with its outcome; an id already stored (or being stored
        // by a concurrent delivery: the insert waits for it) inserts nothing,
        // and this transaction rolls back everything it applied
        const inserted = await tx('billing_stripe_events')
          .insert({
            id: event.id,
            type: event.type,
            object_id: objectIdOf(event.data.object),
            created: event.created,
            received_at: now,
            outcome: applied.outcome,
            message: applied.message,
            tenant_ref: applied.tenant?.tenantRef ?? null,
            partner_ref: applied.tenant?.partnerRef ?? null,
            audit: audit ? JSON.stringify(audit) : null,
          })
          .onConflict('id')
          .ignore()
          .returning('id');
        if (inserted.length === 0) throw DUPLICATE;
        return applied;
      });
    } catch (error) {
      if (error === DUPLICATE) return 'duplicate';
      throw error;
    }
  }

  /** Audit events of applied events not yet in the audit chain, oldest first. */
  async unaudited(
    limit: number,
  ): Promise<Array<{ id: string; audit: AuditEventInput }>> {
    const rows = (await this.knex('billing_stripe_events')
      .whereNull('audited_at')
      .whereNotNull('audit')
      .orderBy([
        { column: 'received_at', order: 'asc' },
        { column: 'id', order: 'asc' },
      ])
      .limit(limit)
      .select('id', 'audit')) as Array<{ id: string; audit: string }>;
    return rows.map(r => ({ id: r.id, audit: JSON.parse(r.audit) }));
  }

  /** Marks these events' audit events as recorded in the audit chain. */
  async markAudited(ids: string[], now: string): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) {
      await this.knex('billing_stripe_events')
        .whereIn('id', ids.slice(i, i + 500))
        .update({ audited_at: now });
    }
  }

  /** The events received, newest first, optionally of one type. */
  async listEvents(filter: {
    type?: string;
    limit: number;
    offset: number;
  }): Promise<{ items: StripeEventRecord[]; total: number }> {
    const base = () => {
      const q = this.knex<EventRow>('billing_stripe_events');
      if (filter.type) q.where('type', filter.type);
      return q;
    };
    const [{ count }] = (await base().count({ count: '*' })) as Array<{
      count: number | string;
    }>;
    const rows = (await base()
      .select('*')
      .orderBy([
        { column: 'received_at', order: 'desc' },
        { column: 'created', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(filter.limit)
      .offset(filter.offset)) as EventRow[];
    return { items: rows.map(recordOf), total: Number(count) };
  }

  private apply(
    tx: Knex.Transaction,
    event: StripeEventInput,
    now: string,
  ): Promise<AppliedEvent> {
    if (isInvoiceEvent(event.type)) return this.applyInvoice(tx, event, now);
    if (isSubscriptionEvent(event.type)) {
      return this.applySubscription(tx, event, now);
    }
    return Promise.resolve({
      outcome: 'ignored',
      message: `${event.type} is not handled by billing`,
    });
  }

  /** A tenant row, locked for the rest of the transaction on PostgreSQL. */
  private async tenantRow(
    tx: Knex.Transaction,
    where: Partial<TenantRow>,
  ): Promise<TenantRow | undefined> {
    let q = tx('billing_tenants')
      .where(where)
      .orderBy('tenant_ref')
      .first(TENANT_COLUMNS);
    if (this.isPostgres) q = q.forUpdate();
    return (await q) as TenantRow | undefined;
  }

  /**
   * The tenant of a Stripe object: the one whose customer it is, else the
   * one its metadata names if that tenant has no customer yet.
   */
  private async tenantOf(
    tx: Knex.Transaction,
    customerId: string,
    metadataTenant: string | undefined,
  ): Promise<TenantRow | string> {
    const byCustomer = await this.tenantRow(tx, {
      stripe_customer_id: customerId,
    });
    if (byCustomer) return byCustomer;
    if (!metadataTenant) {
      return `no tenant has Stripe customer ${customerId} (and metadata.tenant is not set)`;
    }
    const named = await this.tenantRow(tx, { tenant_ref: metadataTenant });
    if (!named) {
      return `no tenant has Stripe customer ${customerId}, and ${metadataTenant} (metadata.tenant) has no billing record`;
    }
    if (named.stripe_customer_id) {
      return `${metadataTenant} (metadata.tenant) has Stripe customer ${named.stripe_customer_id}, not ${customerId}`;
    }
    return named;
  }

  private async applyInvoice(
    tx: Knex.Transaction,
    event: StripeEventInput,
    now: string,
  ): Promise<AppliedEvent> {
    const read = readInvoice(event.data.object);
    if ('problem' in read) return { outcome: 'ignored', message: read.problem };
    const incoming = read.invoice;
    const tenantRow = await this.tenantOf(
      tx,
      incoming.customerId,
      incoming.metadataTenant,
    );
    if (typeof tenantRow === 'string') {
      return { outcome: 'ignored', message: tenantRow };
    }
    const tenant = tenantOfRow(tenantRow);
    let q = tx<InvoiceRow>('billing_invoices')
      .where({ id: incoming.id })
      .first();
    if (this.isPostgres) q = q.forUpdate();
    const row = (await q) as InvoiceRow | undefined;
    const stored = row ? fieldsOf(row) : undefined;
    const change = invoiceChange(
      row && { status: stored!.status, eventAt: Number(row.event_at) },
      { status: incoming.status, eventAt: event.created },
    );
    let invoice = stored ?? incoming;
    if (change === 'apply') {
      invoice = mergeInvoice(stored, incoming);
      await tx('billing_invoices')
        .insert(
          invoiceRow(
            invoice,
            tenant,
            Math.max(event.created, Number(row?.event_at ?? 0)),
            now,
          ),
        )
        .onConflict('id')
        .merge();
    }
    const paymentFailed = await this.paymentCondition(
      tx,
      event.type,
      invoice,
      tenantRow,
      now,
    );
    const label = invoice.number ?? invoice.id;
    if (change === 'stale' && !paymentFailed) {
      return {
        outcome: 'stale',
        message: `invoice ${label} is ${
          row!.status
        } (as of an event created ${isoOf(Number(row!.event_at))}); this ${
          incoming.status
        } state is older`,
        tenant,
        invoice,
      };
    }
    const parts = [
      change === 'apply'
        ? `invoice ${label} is ${invoice.status}`
        : `invoice ${label} stays ${invoice.status} (newer)`,
    ];
    if (paymentFailed === 'set') parts.push('payment failed: tenant flagged');
    if (paymentFailed === 'cleared') {
      parts.push('payment-failed condition cleared');
    }
    return {
      outcome: 'applied',
      message: parts.join('; '),
      tenant,
      invoice,
      ...(paymentFailed ? { paymentFailed } : {}),
    };
  }

  /**
   * The tenant's payment-failed condition, from the invoice as stored after
   * the event: a failed payment of an invoice still open flags the tenant;
   * that invoice paid, voided or written off clears it.
   */
  private async paymentCondition(
    tx: Knex.Transaction,
    type: string,
    invoice: InvoiceFields,
    tenant: TenantRow,
    now: string,
  ): Promise<'set' | 'cleared' | undefined> {
    const where = { tenant_ref: tenant.tenant_ref };
    if (type === 'invoice.payment_failed' && invoice.status === 'open') {
      const kindChanges = tenant.condition_kind !== 'payment-failed';
      await tx('billing_tenants')
        .where(where)
        .update({
          payment_failed_invoice: invoice.id,
          condition_kind: 'payment-failed',
          condition_message: `Payment of invoice ${
            invoice.number ?? invoice.id
          } failed`,
          condition_since: kindChanges ? now : tenant.condition_since,
          updated_at: now,
        });
      return 'set';
    }
    if (
      TERMINAL.includes(invoice.status) &&
      tenant.payment_failed_invoice === invoice.id
    ) {
      await tx('billing_tenants')
        .where(where)
        .update({
          payment_failed_invoice: null,
          ...(tenant.condition_kind === 'payment-failed'
            ? {
                condition_kind: 'in-sync',
                condition_message: 'in sync with Stripe',
                condition_since: now,
              }
            : {}),
          updated_at: now,
        });
      return 'cleared';
    }
    return undefined;
  }

  private async applySubscription(
    tx: Knex.Transaction,
    event: StripeEventInput,
    now: string,
  ): Promise<AppliedEvent> {
    const read = readSubscription(event.data.object);
    if ('problem' in read) return { outcome: 'ignored', message: read.problem };
    const sub = read.subscription;
    const tenantRow = await this.tenantOf(
      tx,
      sub.customerId,
      sub.metadataTenant,
    );
    if (typeof tenantRow === 'string') {
      return { outcome: 'ignored', message: tenantRow };
    }
    const tenant = tenantOfRow(tenantRow);
    const known = tenantRow.stripe_subscription_id;
    if (known && known !== sub.id) {
      return {
        outcome: 'ignored',
        message: `subscription ${sub.id} is not the tenant's (${known})`,
        tenant,
        subscriptionId: sub.id,
      };
    }
    const seen = tenantRow.stripe_event_at;
    if (seen !== null && event.created < Number(seen)) {
      return {
        outcome: 'stale',
        message: `subscription ${
          sub.id
        }: the tenant's mirror is from a newer event (created ${isoOf(
          Number(seen),
        )})`,
        tenant,
        subscriptionId: sub.id,
      };
    }
    await tx('billing_tenants')
      .where({ tenant_ref: tenantRow.tenant_ref })
      .update({
        stripe_subscription_id: sub.id,
        stripe_item_id: sub.itemId,
        stripe_price_id: sub.priceId,
        stripe_quantity: sub.quantity,
        stripe_status: sub.status,
        stripe_paused: sub.paused,
        stripe_period_start: sub.periodStart,
        stripe_period_end: sub.periodEnd,
        stripe_event_at: event.created,
        updated_at: now,
      });
    return {
      outcome: 'applied',
      message: `subscription ${sub.id} is ${sub.status}${
        sub.paused ? ' (collection paused)' : ''
      }, ${sub.quantity ?? 0} seats`,
      tenant,
      subscriptionId: sub.id,
    };
  }
}

function objectIdOf(object: unknown): string | null {
  const id = (object as { id?: unknown } | null)?.id;
  return typeof id === 'string' && !id.includes('\u0000') ? id : null;
}

function invoiceRow(
  i: InvoiceFields,
  tenant: EventTenant,
  eventAt: number,
  now: string,
): InvoiceRow {
  return {
    id: i.id,
    tenant_ref: tenant.tenantRef,
    tenant_name: tenant.tenantName,
    partner_ref: tenant.partnerRef ?? null,
    customer_id: i.customerId,
    subscription_id: i.subscriptionId,
    number: i.number,
    status: i.status,
    currency: i.currency,
    total: i.total,
    amount_due: i.amountDue,
    amount_paid: i.amountPaid,
    amount_remaining: i.amountRemaining,
    period_start: i.periodStart,
    period_end: i.periodEnd,
    due_date: i.dueDate,
    hosted_invoice_url: i.hostedInvoiceUrl,
    invoice_pdf: i.invoicePdf,
    billing_reason: i.billingReason,
    created_at: i.createdAt,
    event_at: eventAt,
    updated_at: now,
  };
}
