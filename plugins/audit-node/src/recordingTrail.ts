import { createServiceFactory } from '@backstage/backend-plugin-api';
import { AuditEventInput } from '@internal/plugin-audit-common';
import { auditTrailServiceRef } from './trail';

/**
 * For tests of plugins that record into the audit trail without the audit
 * backend: a trail that keeps what it is given in `recorded`, and rejects
 * every record while `fail` is set (as a trail that cannot store does).
 *
 * @public
 */
export function recordingAuditTrail() {
  const state = { fail: false, recorded: [] as AuditEventInput[] };
  const factory = createServiceFactory({
    service: auditTrailServiceRef,
    deps: {},
    factory: () => ({
      async record(inputs: AuditEventInput[]) {
        if (state.fail) throw new Error('AUDIT EVENT NOT RECORDED: disk full');
        state.recorded.push(...inputs);
        return [];
      },
    }),
  });
  return { state, factory };
}
