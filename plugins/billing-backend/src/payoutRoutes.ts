import { auditActorOf } from '@internal/plugin-audit-node';
import {
  billingPayoutManagePermission,
  isCurrency,
  Payout,
  PAYOUT_STATES,
  PayoutState,
} from '@internal/plugin-billing-common';
import {
  normalizeScopeRef,
  pageQuery,
  RouterKit,
  sendCsv,
} from '@internal/plugin-dezky-node';
import express from 'express';
import { z } from 'zod';
import { MrrHistoryService } from './service/MrrHistoryService';
import { PayoutService } from './service/PayoutService';
import { BillingScope } from './service/TenantBillingService';

export interface PayoutRoutesOptions {
  kit: RouterKit;
  payouts: PayoutService;
  snapshots: MrrHistoryService;
  /** What the caller may see of tenants' billing (the router's partner scope). */
  tenantScope: (req: express.Request) => Promise<BillingScope>;
}

const month = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month, YYYY-MM (e.g. 2026-11)');
const day = z
  .string({ error: 'is required: the day it was paid, YYYY-MM-DD' })
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a day, YYYY-MM-DD')
  .refine(
    d => new Date(`${d}T00:00:00Z`).toISOString().startsWith(d),
    'must be a real calendar day',
  );
const partnerName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
    'must be a partner name: letters, digits, ".", "_" and "-"',
  );

const payoutsQuery = z
  .object({
    partner: partnerName.optional(),
    month: month.optional(),
    currency: z
      .string()
      .refine(isCurrency, 'must be an ISO 4217 code in upper case, e.g. EUR')
      .optional(),
    state: z
      .enum(PAYOUT_STATES as [PayoutState, ...PayoutState[]], {
        error: `must be one of ${PAYOUT_STATES.join(', ')}`,
      })
      .optional(),
    ...pageQuery(),
  })
  .strict();
/** The CSV columns of `GET /payouts.csv`, the Payout fields (amounts in minor units). */
const PAYOUT_CSV_COLUMNS: Array<keyof Payout> = [
  'id',
  'partnerRef',
  'month',
  'currency',
  'grossMrr',
  'marginPct',
  'amount',
  'state',
  'snapshotDay',
  'generatedAt',
  'closedAt',
  'paidOn',
  'paidReference',
  'paidBy',
];
const CSV_PAGE = 1000;
const generateBody = z.object({ month: month.optional() }).strict();
const paidBody = z
  .object({
    reference: z
      .string({ error: 'is required: the transfer reference' })
      .trim()
      .min(1, 'must not be empty')
      .max(200, 'must be at most 200 characters'),
    paidOn: day,
  })
  .strict();
const payoutId = z.string().uuid('must be a payout id');
const daysQuery = z
  .object({ ...pageQuery({ defaultLimit: 400, maxLimit: 5000 }) })
  .strict();

/**
 * The payout ledger and the MRR history
 * (docs/billing.md#payouts-and-mrr-history): scope or authorize → parse →
 * delegate. Payouts follow the tenant read scope, on the partner column (in
 * SQL); every write and the snapshot days are operators'.
 */
export function addPayoutRoutes(
  router: express.Router,
  options: PayoutRoutesOptions,
): void {
  const { kit, payouts, snapshots, tenantScope } = options;

  router.get('/payouts', async (req, res) => {
    const scope = await tenantScope(req);
    const { partner, ...query } = kit.query(req, payoutsQuery);
    res.json(
      await payouts.list(
        {
          ...query,
          ...(partner
            ? { partnerRef: normalizeScopeRef(`partner:default/${partner}`) }
            : {}),
        },
        scope,
      ),
    );
  });

  // the same filters as /payouts, every matching row (no paging)
  router.get('/payouts.csv', async (req, res) => {
    const scope = await tenantScope(req);
    const { partner, limit, offset, ...query } = kit.query(req, payoutsQuery);
    const filter = {
      ...query,
      ...(partner
        ? { partnerRef: normalizeScopeRef(`partner:default/${partner}`) }
        : {}),
    };
    const rows: Payout[] = [];
    for (let total = Infinity; rows.length < total; ) {
      const page = await payouts.list(
        { ...filter, limit: CSV_PAGE, offset: rows.length },
        scope,
      );
      rows.push(...page.items);
      total = page.items.length === 0 ? rows.length : page.total;
    }
    sendCsv(
      res,
      `payouts${query.month ? `-${query.month}` : ''}.csv`,
      PAYOUT_CSV_COLUMNS,
      rows as unknown as Array<Record<string, unknown>>,
    );
  });

  router.post('/payouts/generate', async (req, res) => {
    const credentials = await kit.authorize(req, billingPayoutManagePermission);
    const body = kit.body(req, generateBody);
    res.json(await payouts.generate(body.month, auditActorOf(credentials)));
  });

  router.post('/payouts/:id/paid', async (req, res) => {
    const credentials = await kit.authorize(req, billingPayoutManagePermission);
    const id = kit.param(req, 'id', payoutId);
    const paid = kit.body(req, paidBody);
    res.json(await payouts.markPaid(id, paid, auditActorOf(credentials)));
  });

  router.post('/snapshots', async (req, res) => {
    const credentials = await kit.authorize(req, billingPayoutManagePermission);
    res.json(await snapshots.takeToday(auditActorOf(credentials)));
  });

  router.get('/snapshots/days', async (req, res) => {
    await kit.authorize(req, billingPayoutManagePermission);
    const { limit, offset } = kit.query(req, daysQuery);
    res.json({ items: await snapshots.days(limit, offset) });
  });
}
