import {
  ReportFilters,
  ReportId,
  SavedReport,
} from '@internal/plugin-billing-common';
import { Knex } from 'knex';

interface Row {
  id: string;
  name: string;
  report: string;
  filters: string;
  partner_ref: string | null;
  created_by: string;
  created_at: string;
}

const fromRow = (r: Row): SavedReport => ({
  id: r.id,
  name: r.name,
  report: r.report as ReportId,
  filters: JSON.parse(r.filters) as ReportFilters,
  ...(r.partner_ref ? { partnerRef: r.partner_ref } : {}),
  createdBy: r.created_by,
  createdAt: r.created_at,
});

/**
 * Who sees a saved report: `all` (operators), or the ones saved for these
 * partners plus the operators' ones (no partner) — applied in SQL.
 */
export type SavedReportScope = 'all' | { partnerRefs: string[] };

/** Saved reports (`billing_saved_reports`). */
export class SavedReportStore {
  constructor(private readonly knex: Knex) {}

  private scoped(scope: SavedReportScope) {
    const q = this.knex<Row>('billing_saved_reports');
    if (scope !== 'all') {
      q.where(w =>
        w.whereNull('partner_ref').orWhereIn('partner_ref', scope.partnerRefs),
      );
    }
    return q;
  }

  /** The saved reports the scope sees, by name. */
  async list(scope: SavedReportScope): Promise<SavedReport[]> {
    const rows = await this.scoped(scope).orderBy(['name', 'id']);
    return rows.map(fromRow);
  }

  async get(
    id: string,
    scope: SavedReportScope,
  ): Promise<SavedReport | undefined> {
    const row = await this.scoped(scope).where({ id }).first();
    return row ? fromRow(row) : undefined;
  }

  async insert(report: SavedReport): Promise<void> {
    await this.knex<Row>('billing_saved_reports').insert({
      id: report.id,
      name: report.name,
      report: report.report,
      filters: JSON.stringify(report.filters),
      partner_ref: report.partnerRef ?? null,
      created_by: report.createdBy,
      created_at: report.createdAt,
    });
  }

  /** Deletes one; false if there was none. */
  async delete(id: string): Promise<boolean> {
    return (
      (await this.knex('billing_saved_reports').where({ id }).delete()) > 0
    );
  }
}
