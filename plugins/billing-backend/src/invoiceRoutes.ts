import { billingTenantSyncPermission } from '@internal/plugin-billing-common';
import { pageQuery, RouterKit, tenantName } from '@internal/plugin-dezky-node';
import express from 'express';
import { z } from 'zod';
import { InvoiceService } from './service/InvoiceService';
import { INVOICE_STATUSES, InvoiceStatus } from './service/stripeMirror';
import { BillingScope } from './service/TenantBillingService';
import { WebhookService } from './service/WebhookService';

export interface InvoiceRoutesOptions {
  kit: RouterKit;
  invoices: InvoiceService;
  webhooks: WebhookService;
  /** What the caller may see of tenants' billing (the router's partner scope). */
  tenantScope: (req: express.Request) => Promise<BillingScope>;
}

const partnerName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
    'must be a partner name: letters, digits, ".", "_" and "-"',
  );
const status = z.enum(INVOICE_STATUSES as [InvoiceStatus, ...InvoiceStatus[]], {
  error: `must be one of ${INVOICE_STATUSES.join(', ')}`,
});

const tenantInvoicesQuery = z.object({ ...pageQuery() }).strict();
const invoicesQuery = z
  .object({
    partner: partnerName.optional(),
    tenant: tenantName.optional(),
    status: status.optional(),
    ...pageQuery(),
  })
  .strict();
const eventsQuery = z
  .object({
    type: z
      .string()
      .regex(
        /^[a-z][a-z0-9_.]{0,99}$/,
        'must be a Stripe event type, e.g. invoice.paid',
      )
      .optional(),
    ...pageQuery(),
  })
  .strict();

/**
 * The invoice mirror and the received Stripe events
 * (docs/billing.md#webhooks-and-invoices): scope or authorize → parse →
 * delegate. Invoices follow the tenant read scope (in SQL); the events are
 * for operators.
 */
export function addInvoiceRoutes(
  router: express.Router,
  options: InvoiceRoutesOptions,
): void {
  const { kit, invoices, webhooks, tenantScope } = options;

  router.get('/tenants/:name/invoices', async (req, res) => {
    const scope = await tenantScope(req);
    const name = kit.param(req, 'name', tenantName);
    const page = kit.query(req, tenantInvoicesQuery);
    res.json(await invoices.listOfTenant(name, page, scope));
  });

  router.get('/invoices', async (req, res) => {
    const scope = await tenantScope(req);
    res.json(await invoices.list(kit.query(req, invoicesQuery), scope));
  });

  router.get('/stripe/events', async (req, res) => {
    await kit.authorize(req, billingTenantSyncPermission);
    res.json(await webhooks.events(kit.query(req, eventsQuery)));
  });
}
