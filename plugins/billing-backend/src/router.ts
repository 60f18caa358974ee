import {
  DezkyAccessService,
  pageQuery,
  RouterKit,
  tenantName,
} from '@internal/plugin-dezky-node';
import type {
  BillingConditionKind,
  BillingStatus,
} from '@internal/plugin-billing-common';
import {
  BILLING_CONDITION_KINDS,
  BILLING_CYCLES,
  billingPriceManagePermission,
  billingPriceReadPermission,
  billingTenantReadPermission,
  billingTenantSyncPermission,
  isCurrency,
  MAX_PER_SEAT_MINOR,
} from '@internal/plugin-billing-common';
import { billingTenantResourceRef } from '@internal/plugin-billing-node';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { addInvoiceRoutes } from './invoiceRoutes';
import { addPayoutRoutes } from './payoutRoutes';
import { addReportRoutes } from './reportRoutes';
import { ReportService } from './service/ReportService';
import { SavedReportService } from './service/SavedReportService';
import { MrrHistoryService } from './service/MrrHistoryService';
import { PayoutService } from './service/PayoutService';
import { BillingReconciler } from './service/BillingReconciler';
import { InvoiceService } from './service/InvoiceService';
import { WebhookService } from './service/WebhookService';
import { PriceService } from './service/PriceService';
import {
  BillingScope,
  publicRecord,
  TenantBillingService,
} from './service/TenantBillingService';

export interface RouterOptions {
  kit: RouterKit;
  prices: PriceService;
  tenants: TenantBillingService;
  reconciler: BillingReconciler;
  invoices: InvoiceService;
  webhooks: WebhookService;
  payouts: PayoutService;
  snapshots: MrrHistoryService;
  reports: ReportService;
  saved: SavedReportService;
  access: DezkyAccessService;
  status: BillingStatus;
}

const tenantsQuery = z
  .object({
    condition: z
      .enum(BILLING_CONDITION_KINDS as [string, ...string[]], {
        error: `must be one of ${BILLING_CONDITION_KINDS.join(', ')}`,
      })
      .optional(),
    ...pageQuery(),
  })
  .strict();

const plan = z
  .string({ error: 'is required' })
  .regex(
    /^[a-z][a-z0-9-]{0,31}$/,
    'must be a plan key as Tenant entities name it in spec.plan (a lowercase letter, then up to 31 lowercase letters, digits or "-")',
  );
const currency = z
  .string({ error: 'is required' })
  .refine(isCurrency, 'must be an ISO 4217 code in upper case, e.g. EUR');
const cycle = z.enum(BILLING_CYCLES as ['monthly', 'yearly'], {
  error: `must be one of ${BILLING_CYCLES.join(', ')}`,
});
const perSeatAmount = z
  .number({ error: 'must be a whole number of minor units (cents)' })
  .int('must be a whole number of minor units (cents)')
  .min(0, 'must be at least 0')
  .max(MAX_PER_SEAT_MINOR, `must be at most ${MAX_PER_SEAT_MINOR}`);

const listQuery = z
  .object({
    plan: plan.optional(),
    currency: currency.optional(),
    cycle: cycle.optional(),
  })
  .strict();
const createBody = z.object({ plan, currency, cycle, perSeatAmount }).strict();
const patchBody = z
  .object({
    perSeatAmount,
    version: z
      .number({ error: 'is required: the version you edited' })
      .int('must be a whole number')
      .min(1, 'must be at least 1'),
  })
  .strict();
const priceId = z.string().uuid('must be a price id');
const impactQuery = z
  .object({
    perSeatAmount: z.coerce
      .number({ error: 'is required: the new amount in minor units' })
      .pipe(perSeatAmount),
  })
  .strict();

/**
 * The billing API (docs/billing.md#api): authorize → parse → delegate.
 * Operators manage the price catalog; partner staff read it.
 */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { kit, prices, tenants, reconciler, status, invoices, webhooks } =
    options;
  const { payouts, snapshots } = options;
  const router = Router();
  router.use(kit.defaults());
  router.use(kit.jsonParser());

  router.get('/status', async (req, res) => {
    await kit.authorize(req, billingPriceReadPermission);
    res.json(status);
  });

  router.get('/prices', async (req, res) => {
    await kit.authorize(req, billingPriceReadPermission);
    res.json({ items: await prices.list(kit.query(req, listQuery)) });
  });

  router.get('/prices/:id/impact', async (req, res) => {
    await kit.authorize(req, billingPriceManagePermission);
    const id = kit.param(req, 'id', priceId);
    const query = kit.query(req, impactQuery);
    res.json(await prices.impact(id, query.perSeatAmount));
  });

  router.post('/prices', async (req, res) => {
    const credentials = await kit.authorize(req, billingPriceManagePermission);
    const input = kit.body(req, createBody);
    res.status(201).json(await prices.create(input, credentials));
  });

  router.patch('/prices/:id', async (req, res) => {
    const credentials = await kit.authorize(req, billingPriceManagePermission);
    const id = kit.param(req, 'id', priceId);
    const { perSeatAmount: amount, version } = kit.body(req, patchBody);
    res.json(await prices.updateAmount(id, amount, version, credentials));
  });

  /** What the caller may see of tenants' billing (the partner scope, pushed into SQL). */
  const tenantScope = async (req: express.Request): Promise<BillingScope> => {
    const scope = await kit.partnerScope(
      req,
      billingTenantReadPermission,
      billingTenantResourceRef,
    );
    return scope.all ? undefined : scope.criteria;
  };

  router.get('/prices/:id', async (req, res) => {
    await kit.authorize(req, billingPriceReadPermission);
    const detail = await prices.get(kit.param(req, 'id', priceId));
    // the re-pricing outcomes name tenants: partner staff see their own only
    const visible = await tenants.visible(
      detail.repricing.map(o => o.tenant),
      await tenantScope(req),
    );
    res.json({
      ...detail,
      repricing: detail.repricing.filter(o => visible.has(o.tenant)),
    });
  });

  router.get('/tenants', async (req, res) => {
    const scope = await tenantScope(req);
    const query = kit.query(req, tenantsQuery);
    res.json(
      await tenants.list(
        {
          ...(query.condition
            ? { condition: query.condition as BillingConditionKind }
            : {}),
          limit: query.limit,
          offset: query.offset,
        },
        scope,
      ),
    );
  });

  router.get('/tenants/:name', async (req, res) => {
    const scope = await tenantScope(req);
    res.json(await tenants.get(kit.param(req, 'name', tenantName), scope));
  });

  router.get('/mrr', async (req, res) => {
    res.json(await tenants.mrr(await tenantScope(req)));
  });

  addInvoiceRoutes(router, { kit, invoices, webhooks, tenantScope });
  addPayoutRoutes(router, { kit, payouts, snapshots, tenantScope });
  addReportRoutes(router, {
    kit,
    reports: options.reports,
    saved: options.saved,
    access: options.access,
    tenantScope,
  });

  router.post('/tenants/:name/sync', async (req, res) => {
    await kit.authorize(req, billingTenantSyncPermission);
    const name = kit.param(req, 'name', tenantName);
    const record = await tenants.record(name, undefined);
    await reconciler.syncTenant(record);
    res.json(publicRecord(await tenants.record(name, undefined)));
  });

  router.post('/reconcile', async (req, res) => {
    await kit.authorize(req, billingTenantSyncPermission);
    res.json(await reconciler.reconcile());
  });

  return router;
}
