import { InvoiceList } from '@internal/plugin-billing-common';
import { InvoiceStore } from '../database/InvoiceStore';
import { InvoiceStatus } from './stripeMirror';
import { BillingScope, TenantBillingService } from './TenantBillingService';

/** One page of a list. */
export interface Page {
  limit: number;
  offset: number;
}

/** The invoices mirrored from Stripe, as a caller may see them. */
export class InvoiceService {
  constructor(
    private readonly deps: {
      store: InvoiceStore;
      /** Whether the caller sees a tenant at all (404 otherwise, as `GET /tenants/:name`). */
      tenants: Pick<TenantBillingService, 'get'>;
    },
  ) {}

  /** A tenant's invoices, newest first; 404 for a tenant outside the scope. */
  async listOfTenant(
    name: string,
    page: Page,
    scope: BillingScope,
  ): Promise<InvoiceList> {
    const tenant = await this.deps.tenants.get(name, scope);
    return this.deps.store.list({ tenantRef: tenant.tenantRef, ...page });
  }

  /**
   * Invoices by partner name, tenant name and status, newest first; the
   * scope is pushed into SQL, so a partner name outside it gives no rows.
   */
  list(
    query: Page & { partner?: string; tenant?: string; status?: InvoiceStatus },
    scope: BillingScope,
  ): Promise<InvoiceList> {
    return this.deps.store.list({
      ...(scope ? { scope } : {}),
      ...(query.partner
        ? { partnerRef: `partner:default/${query.partner.toLowerCase()}` }
        : {}),
      ...(query.tenant ? { tenantName: query.tenant } : {}),
      ...(query.status ? { status: query.status } : {}),
      limit: query.limit,
      offset: query.offset,
    });
  }
}
