import { auditActorOf } from '@internal/plugin-audit-node';
import {
  isCurrency,
  REPORT_IDS,
  ReportFilters,
  ReportId,
} from '@internal/plugin-billing-common';
import {
  DezkyAccessService,
  RouterKit,
  sendCsv,
} from '@internal/plugin-dezky-node';
import express from 'express';
import { z } from 'zod';
import { ReportService } from './service/ReportService';
import { SavedReportService } from './service/SavedReportService';
import { BillingScope } from './service/TenantBillingService';

export interface ReportRoutesOptions {
  kit: RouterKit;
  reports: ReportService;
  saved: SavedReportService;
  access: DezkyAccessService;
  /** What the caller may see of tenants' billing (the router's partner scope). */
  tenantScope: (req: express.Request) => Promise<BillingScope>;
}

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a day, YYYY-MM-DD')
  .refine(
    d =>
      !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) &&
      new Date(`${d}T00:00:00Z`).toISOString().startsWith(d),
    'must be a real calendar day',
  );

/** The filters, as a saved report keeps them (JSON types). */
const filterShape = {
  from: day.optional(),
  to: day.optional(),
  partner: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
      'must be a partner name (letters, digits, ".", "_" and "-") or "direct"',
    )
    .optional(),
  currency: z
    .string()
    .refine(isCurrency, 'must be an ISO 4217 code in upper case, e.g. EUR')
    .optional(),
  interval: z
    .enum(['month', 'day'], { error: 'must be month or day' })
    .optional(),
  by: z.enum(['mrr', 'seats'], { error: 'must be mrr or seats' }).optional(),
  limit: z
    .number({ error: 'must be a whole number from 1 to 100' })
    .int('must be a whole number from 1 to 100')
    .min(1, 'must be at least 1')
    .max(100, 'must be at most 100')
    .optional(),
};
const savedFilters = z.object(filterShape).strict();
const reportQuery = z
  .object({
    ...filterShape,
    limit: z.coerce
      .number({ error: 'must be a whole number from 1 to 100' })
      .pipe(filterShape.limit.unwrap())
      .optional(),
  })
  .strict();
const reportId = z.enum(REPORT_IDS as [ReportId, ...ReportId[]], {
  error: `must be one of ${REPORT_IDS.join(', ')}`,
});
const savedBody = z
  .object({
    name: z
      .string({ error: 'is required' })
      .trim()
      .min(1, 'must not be empty')
      .max(100, 'must be at most 100 characters'),
    report: reportId,
    filters: savedFilters.default({}),
    partner: filterShape.partner,
  })
  .strict();
const savedId = z.string().uuid('must be a saved report id');

/**
 * Reports and saved reports (docs/reports.md): scope → parse → delegate.
 * `GET /reports/:report` answers JSON, `GET /reports/:report.csv` the same
 * rows as CSV; partner staff get their partners' rows only (in SQL).
 */
export function addReportRoutes(
  router: express.Router,
  options: ReportRoutesOptions,
): void {
  const { kit, reports, saved, access, tenantScope } = options;
  const accessOf = async (req: express.Request) => {
    const credentials = await kit.credentials(req);
    return {
      credentials,
      access: await access.forCredentials(credentials),
    };
  };

  router.get('/reports/saved', async (req, res) => {
    const caller = await accessOf(req);
    res.json({ items: await saved.list(caller.access) });
  });

  router.post('/reports/saved', async (req, res) => {
    const caller = await accessOf(req);
    const body = kit.body(req, savedBody);
    res
      .status(201)
      .json(
        await saved.create(
          { ...body, filters: body.filters as ReportFilters },
          caller.access,
          auditActorOf(caller.credentials),
        ),
      );
  });

  router.delete('/reports/saved/:id', async (req, res) => {
    const caller = await accessOf(req);
    const id = kit.param(req, 'id', savedId);
    await saved.delete(id, caller.access, auditActorOf(caller.credentials));
    res.status(204).end();
  });

  router.get('/reports/:report', async (req, res) => {
    const scope = await tenantScope(req);
    const raw = String(req.params.report);
    const csv = raw.endsWith('.csv');
    req.params.report = csv ? raw.slice(0, -'.csv'.length) : raw;
    const report = kit.param(req, 'report', reportId);
    const filters = kit.query(req, reportQuery) as ReportFilters;
    const result = await reports.run(report, filters, scope);
    if (!csv) {
      res.json(result);
      return;
    }
    sendCsv(
      res,
      `${report}-${result.from}-${result.to}.csv`,
      result.columns.map(c => c.key),
      result.rows,
    );
  });
}
