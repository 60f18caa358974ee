import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import { AuditActor } from '@internal/plugin-audit-common';
import { AuditTrailService } from '@internal/plugin-audit-node';
import {
  NewSavedReport,
  OPERATOR_REPORTS,
  REPORT_TITLES,
  SavedReport,
} from '@internal/plugin-billing-common';
import { DezkyAccess, normalizeScopeRef } from '@internal/plugin-dezky-node';
import { randomUUID } from 'crypto';
import {
  SavedReportScope,
  SavedReportStore,
} from '../database/SavedReportStore';

/** At most this many saved reports per partner (and for operators). */
export const MAX_SAVED_PER_OWNER = 200;

function scopeOf(access: DezkyAccess): SavedReportScope {
  if (access.role === 'operator') return 'all';
  if (access.role === 'partner-staff')
    return { partnerRefs: access.partnerRefs };
  throw new NotAllowedError(
    'saved reports are for operators and partner staff',
  );
}

/**
 * Saved reports (docs/reports.md#saved-reports): a partner's staff save
 * for their partner and see their partner's plus the operators'; operators
 * save for everyone and see and delete all. Every change is audited.
 */
export class SavedReportService {
  constructor(
    private readonly deps: {
      store: SavedReportStore;
      trail: AuditTrailService;
      now?: () => Date;
    },
  ) {}

  /** What the caller may see; an operator-only report is listed to operators only. */
  async list(access: DezkyAccess): Promise<SavedReport[]> {
    const scope = scopeOf(access);
    const items = await this.deps.store.list(scope);
    return scope === 'all'
      ? items
      : items.filter(r => !OPERATOR_REPORTS.includes(r.report));
  }

  async create(
    input: NewSavedReport,
    access: DezkyAccess,
    actor: AuditActor,
  ): Promise<SavedReport> {
    const scope = scopeOf(access);
    let partnerRef: string | undefined;
    if (scope === 'all') {
      if (input.partner !== undefined) {
        throw new InputError(
          'partner: operators save reports for everyone; leave it out (filter by partner in filters.partner)',
        );
      }
    } else {
      if (OPERATOR_REPORTS.includes(input.report)) {
        throw new NotAllowedError(
          `the ${REPORT_TITLES[input.report]} report is for operators only`,
        );
      }
      partnerRef = input.partner
        ? normalizeScopeRef(`partner:default/${input.partner}`)
        : undefined;
      if (partnerRef && !scope.partnerRefs.includes(partnerRef)) {
        throw new NotAllowedError(
          `you are not staff of partner ${input.partner}`,
        );
      }
      if (!partnerRef) {
        if (scope.partnerRefs.length !== 1) {
          throw new InputError(
            `partner: you are staff of ${scope.partnerRefs.length} partners; say which one this report is for`,
          );
        }
        partnerRef = scope.partnerRefs[0];
      }
    }
    const mine = (await this.deps.store.list(scope)).filter(
      r => (r.partnerRef ?? null) === (partnerRef ?? null),
    );
    if (mine.some(r => r.name === input.name)) {
      throw new ConflictError(
        `a saved report named "${input.name}" already exists; delete it first or choose another name`,
      );
    }
    if (mine.length >= MAX_SAVED_PER_OWNER) {
      throw new ConflictError(
        `at most ${MAX_SAVED_PER_OWNER} saved reports; delete some first`,
      );
    }
    const saved: SavedReport = {
      id: randomUUID(),
      name: input.name,
      report: input.report,
      filters: input.filters,
      ...(partnerRef ? { partnerRef } : {}),
      createdBy: actor.ref ?? 'unknown',
      createdAt: (this.deps.now?.() ?? new Date()).toISOString(),
    };
    await this.deps.store.insert(saved);
    await this.audit('billing.report.saved', saved, actor);
    return saved;
  }

  /** Deletes one the caller may delete: 404 if they cannot see it, 403 if it is the operators'. */
  async delete(
    id: string,
    access: DezkyAccess,
    actor: AuditActor,
  ): Promise<void> {
    const scope = scopeOf(access);
    const saved = await this.deps.store.get(id, scope);
    if (!saved) throw new NotFoundError(`no saved report ${id}`);
    if (scope !== 'all' && !saved.partnerRef) {
      throw new NotAllowedError(
        'this report was saved by an operator for everyone; only operators delete it',
      );
    }
    if (!(await this.deps.store.delete(id))) {
      throw new NotFoundError(`no saved report ${id}`);
    }
    await this.audit('billing.report.deleted', saved, actor);
  }

  private async audit(action: string, saved: SavedReport, actor: AuditActor) {
    await this.deps.trail.record([
      {
        at: (this.deps.now?.() ?? new Date()).toISOString(),
        actor,
        action,
        outcome: 'success',
        resource: {
          type: 'billing-saved-report',
          ref: saved.id,
          name: saved.name,
        },
        ...(saved.partnerRef ? { partner: saved.partnerRef } : {}),
        source: 'billing',
        metadata: { report: saved.report, filters: saved.filters },
      },
    ]);
  }
}
