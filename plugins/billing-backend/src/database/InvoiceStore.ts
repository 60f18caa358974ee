import { PermissionCriteria } from '@backstage/plugin-permission-common';
import { Invoice, InvoiceList } from '@internal/plugin-billing-common';
import {
  applyPartnerScope,
  PartnerScopeQuery,
} from '@internal/plugin-dezky-node';
import { Knex } from 'knex';
import { InvoiceRow } from './StripeEventStore';

const SCOPE_COLUMNS = {
  partnerRef: 'i.partner_ref',
  tenantRef: 'i.tenant_ref',
};

const invoiceOf = (r: InvoiceRow): Invoice => ({
  id: r.id,
  ...(r.tenant_name ? { tenant: r.tenant_name } : {}),
  ...(r.tenant_ref ? { tenantRef: r.tenant_ref } : {}),
  ...(r.partner_ref ? { partnerRef: r.partner_ref } : {}),
  customerId: r.customer_id,
  ...(r.subscription_id ? { subscriptionId: r.subscription_id } : {}),
  ...(r.number ? { number: r.number } : {}),
  status: r.status as Invoice['status'],
  currency: r.currency,
  total: Number(r.total),
  amountDue: Number(r.amount_due),
  amountPaid: Number(r.amount_paid),
  amountRemaining: Number(r.amount_remaining),
  ...(r.period_start ? { periodStart: r.period_start } : {}),
  ...(r.period_end ? { periodEnd: r.period_end } : {}),
  ...(r.due_date ? { dueDate: r.due_date } : {}),
  ...(r.hosted_invoice_url ? { hostedInvoiceUrl: r.hosted_invoice_url } : {}),
  ...(r.invoice_pdf ? { invoicePdf: r.invoice_pdf } : {}),
  ...(r.billing_reason ? { billingReason: r.billing_reason } : {}),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** The filters of `GET /invoices` and `GET /tenants/:name/invoices`. */
export interface InvoiceFilter {
  /** What the caller may see (pushed into SQL); absent: everything. */
  scope?: PermissionCriteria<PartnerScopeQuery>;
  tenantRef?: string;
  tenantName?: string;
  partnerRef?: string;
  status?: Invoice['status'];
  limit: number;
  offset: number;
}

/** Reads of the invoices mirrored from Stripe (`billing_invoices`). */
export class InvoiceStore {
  constructor(private readonly knex: Knex) {}

  /** The invoices that match, newest first, one page, and how many match. */
  async list(filter: InvoiceFilter): Promise<InvoiceList> {
    const base = () => {
      const q = this.knex<InvoiceRow>({ i: 'billing_invoices' });
      if (filter.scope) applyPartnerScope(q, filter.scope, SCOPE_COLUMNS);
      if (filter.tenantRef) q.where('i.tenant_ref', filter.tenantRef);
      if (filter.tenantName) q.where('i.tenant_name', filter.tenantName);
      if (filter.partnerRef) q.where('i.partner_ref', filter.partnerRef);
      if (filter.status) q.where('i.status', filter.status);
      return q;
    };
    const [{ count }] = (await base().count({ count: '*' })) as Array<{
      count: number | string;
    }>;
    const rows = (await base()
      .select('i.*')
      .orderBy([
        { column: 'i.created_at', order: 'desc' },
        { column: 'i.id', order: 'desc' },
      ])
      .limit(filter.limit)
      .offset(filter.offset)) as InvoiceRow[];
    return { items: rows.map(invoiceOf), total: Number(count) };
  }
}
