import { Invoice } from '@internal/plugin-billing-common';

/**
 * What billing mirrors of Stripe's webhook events (pure): the invoice and
 * subscription fields read from `event.data.object` at the pinned API
 * version (docs/billing.md#webhooks-and-invoices), and the rules that keep an
 * older event from overwriting newer state.
 */

export type InvoiceStatus = Invoice['status'];

export const INVOICE_STATUSES: readonly InvoiceStatus[] = [
  'draft',
  'open',
  'paid',
  'uncollectible',
  'void',
];

/** The invoice events applied to `billing_invoices`. */
export const INVOICE_EVENTS = [
  'invoice.created',
  'invoice.updated',
  'invoice.finalized',
  'invoice.paid',
  'invoice.payment_failed',
  'invoice.voided',
  'invoice.marked_uncollectible',
] as const;

/** The subscription events applied to the tenant's Stripe mirror. */
export const SUBSCRIPTION_EVENTS = [
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
] as const;

/** Where an invoice status stands in Stripe's lifecycle: draft < open < paid | void | uncollectible. */
export function invoiceStatusRank(status: InvoiceStatus): number {
  switch (status) {
    case 'draft':
      return 0;
    case 'open':
      return 1;
    default:
      return 2;
  }
}

/** The state of a mirrored invoice an event would change. */
export interface InvoiceVersion {
  status: InvoiceStatus;
  /** `created` (unix seconds) of the event this state came from. */
  eventAt: number;
}

/**
 * Whether an event's invoice state replaces the stored one, whatever order
 * the events arrive in (Stripe's transitions, stripe.md §5):
 * - a later status in the lifecycle replaces an earlier one, never the
 *   reverse (`invoice.paid` before its `invoice.finalized` stays paid);
 * - of the final statuses only `uncollectible` moves on (to `paid` or
 *   `void`); `paid` and `void` are final;
 * - within one status the newer event wins (equal times: the one received
 *   later, which can only add what the earlier lacked).
 */
export function invoiceChange(
  stored: InvoiceVersion | undefined,
  incoming: InvoiceVersion,
): 'apply' | 'stale' {
  if (!stored) return 'apply';
  const from = invoiceStatusRank(stored.status);
  const to = invoiceStatusRank(incoming.status);
  if (to !== from) return to > from ? 'apply' : 'stale';
  if (stored.status !== incoming.status) {
    return stored.status === 'uncollectible' ? 'apply' : 'stale';
  }
  return incoming.eventAt >= stored.eventAt ? 'apply' : 'stale';
}

/** Unix seconds as ISO 8601 (UTC). */
export function isoOf(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString();
}

/** A Stripe id or an expanded object's id. */
function idOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const id = (value as { id?: unknown }).id;
    if (typeof id === 'string') return id;
  }
  return undefined;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads fields of a Stripe object, collecting what is malformed. */
class Reader {
  readonly problems: string[] = [];

  constructor(private readonly obj: Obj) {}

  string(key: string, required: true): string;
  string(key: string, required?: false): string | null;
  string(key: string, required = false): string | null {
    const v = this.obj[key];
    if (v === null || v === undefined) {
      if (required) this.problems.push(`${key} is missing`);
      return null;
    }
    if (typeof v !== 'string' || v.includes('\u0000')) {
      this.problems.push(`${key} is not a string`);
      return null;
    }
    return v;
  }

  /** A whole number (minor units, unix seconds); money is never fractional. */
  whole(key: string, required: true): number;
  whole(key: string, required?: false): number | null;
  whole(key: string, required = false): number | null {
    const v = this.obj[key];
    if (v === null || v === undefined) {
      if (required) this.problems.push(`${key} is missing`);
      return null;
    }
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
      this.problems.push(`${key} is not a whole number`);
      return null;
    }
    return v;
  }
}

/** The tenant an object names in `metadata.tenant`, as an entity ref in lower case. */
export function tenantRefOf(metadata: unknown): string | undefined {
  if (!isObj(metadata)) return undefined;
  const raw = metadata.tenant;
  if (typeof raw !== 'string' || !raw.trim() || raw.includes('\u0000')) {
    return undefined;
  }
  const ref = raw.trim().toLowerCase();
  return ref.includes(':') ? ref : `tenant:default/${ref}`;
}

/** What billing keeps of a Stripe invoice (a `billing_invoices` row without the tenant). */
export interface InvoiceFields {
  id: string;
  customerId: string;
  subscriptionId: string | null;
  /** `parent.subscription_details.metadata.tenant`, normalized. */
  metadataTenant?: string;
  number: string | null;
  status: InvoiceStatus;
  /** ISO 4217 in upper case, as billing stores currencies. */
  currency: string;
  total: number;
  amountDue: number;
  amountPaid: number;
  amountRemaining: number;
  periodStart: string | null;
  periodEnd: string | null;
  dueDate: string | null;
  hostedInvoiceUrl: string | null;
  invoicePdf: string | null;
  billingReason: string | null;
  createdAt: string;
}

/** The fields of an invoice event's object, or what is wrong with it. */
export function readInvoice(
  object: unknown,
): { invoice: InvoiceFields } | { problem: string } {
  if (!isObj(object)) return { problem: 'data.object is not an invoice' };
  const r = new Reader(object);
  const id = r.string('id', true);
  const customerId = idOf(object.customer);
  const status = r.string('status', true);
  const currency = r.string('currency', true);
  const total = r.whole('total', true);
  const amountDue = r.whole('amount_due', true);
  const amountPaid = r.whole('amount_paid', true);
  const amountRemaining = r.whole('amount_remaining', true);
  const created = r.whole('created', true);
  const periodStart = r.whole('period_start');
  const periodEnd = r.whole('period_end');
  const dueDate = r.whole('due_date');
  const fields = {
    number: r.string('number'),
    hostedInvoiceUrl: r.string('hosted_invoice_url'),
    invoicePdf: r.string('invoice_pdf'),
    billingReason: r.string('billing_reason'),
  };
  const details = isObj(object.parent)
    ? object.parent.subscription_details
    : undefined;
  const subscriptionId = isObj(details) ? idOf(details.subscription) : null;
  const metadataTenant = isObj(details)
    ? tenantRefOf(details.metadata)
    : undefined;
  const problems = [...r.problems];
  if (!customerId) problems.push('customer is missing');
  if (status && !INVOICE_STATUSES.includes(status as InvoiceStatus)) {
    problems.push(`status ${JSON.stringify(status)} is not an invoice status`);
  }
  if (currency && !/^[a-zA-Z]{3}$/.test(currency)) {
    problems.push('currency is not an ISO 4217 code');
  }
  if (problems.length) {
    return { problem: `malformed invoice: ${problems.join(', ')}` };
  }
  return {
    invoice: {
      id: id!,
      customerId: customerId!,
      subscriptionId: subscriptionId ?? null,
      ...(metadataTenant ? { metadataTenant } : {}),
      status: status as InvoiceStatus,
      currency: currency!.toUpperCase(),
      total: total!,
      amountDue: amountDue!,
      amountPaid: amountPaid!,
      amountRemaining: amountRemaining!,
      periodStart: periodStart === null ? null : isoOf(periodStart),
      periodEnd: periodEnd === null ? null : isoOf(periodEnd),
      dueDate: dueDate === null ? null : isoOf(dueDate),
      createdAt: isoOf(created!),
      ...fields,
    },
  };
}

/**
 * The invoice as stored after an applied event: the event's object, except
 * that what an invoice keeps once set (number, URLs, subscription) is never
 * replaced by null.
 */
export function mergeInvoice(
  stored: InvoiceFields | undefined,
  incoming: InvoiceFields,
): InvoiceFields {
  if (!stored) return incoming;
  return {
    ...incoming,
    subscriptionId: incoming.subscriptionId ?? stored.subscriptionId,
    number: incoming.number ?? stored.number,
    hostedInvoiceUrl: incoming.hostedInvoiceUrl ?? stored.hostedInvoiceUrl,
    invoicePdf: incoming.invoicePdf ?? stored.invoicePdf,
    dueDate: incoming.dueDate ?? stored.dueDate,
    billingReason: incoming.billingReason ?? stored.billingReason,
  };
}

/** What billing mirrors of a Stripe subscription onto the tenant's row. */
export interface SubscriptionFields {
  id: string;
  customerId: string;
  metadataTenant?: string;
  status: string;
  paused: boolean;
  /** Of the first item (billing's subscriptions have one: seats × price). */
  itemId: string | null;
  priceId: string | null;
  quantity: number | null;
  periodStart: string | null;
  periodEnd: string | null;
}

/** The fields of a subscription event's object, or what is wrong with it. */
export function readSubscription(
  object: unknown,
): { subscription: SubscriptionFields } | { problem: string } {
  if (!isObj(object)) return { problem: 'data.object is not a subscription' };
  const r = new Reader(object);
  const id = r.string('id', true);
  const status = r.string('status', true);
  const customerId = idOf(object.customer);
  const items = isObj(object.items) ? object.items.data : undefined;
  const first = Array.isArray(items) && isObj(items[0]) ? items[0] : undefined;
  const item = new Reader(first ?? {});
  const itemId = item.string('id');
  const quantity = item.whole('quantity');
  const periodStart = item.whole('current_period_start');
  const periodEnd = item.whole('current_period_end');
  const problems = [...r.problems, ...item.problems.map(p => `item ${p}`)];
  if (!customerId) problems.push('customer is missing');
  if (problems.length) {
    return { problem: `malformed subscription: ${problems.join(', ')}` };
  }
  const metadataTenant = tenantRefOf(object.metadata);
  return {
    subscription: {
      id: id!,
      customerId: customerId!,
      ...(metadataTenant ? { metadataTenant } : {}),
      status: status!,
      paused:
        object.pause_collection !== null &&
        object.pause_collection !== undefined,
      itemId,
      priceId: first ? idOf(first.price) ?? null : null,
      quantity,
      periodStart: periodStart === null ? null : isoOf(periodStart),
      periodEnd: periodEnd === null ? null : isoOf(periodEnd),
    },
  };
}
