import { ReportId } from '@internal/plugin-billing-common';
import { healthReport } from './healthReport';
import { cohortsReport, growthReport } from './lifecycleReports';
import {
  mrrReport,
  partnersReport,
  revenueByPlanReport,
  topTenantsReport,
} from './snapshotReports';
import { ReportRunner } from './types';

/**
 * The reports' SQL, by id (docs/reports.md). A report not in this map is
 * answered 404 "not built".
 */
export const REPORT_RUNNERS: Partial<Record<ReportId, ReportRunner>> = {
  mrr: mrrReport,
  'revenue-by-plan': revenueByPlanReport,
  'top-tenants': topTenantsReport,
  partners: partnersReport,
  growth: growthReport,
  cohorts: cohortsReport,
  health: healthReport,
};
