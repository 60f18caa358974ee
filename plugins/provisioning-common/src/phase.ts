import { StepCondition, TenantPhase } from './types';

/**
 * A tenant's phase from its step conditions. The steps it needs are those
 * not `skipped`; `degraded` wins over the rest (a needed step in error that
 * was ok before), then `active` when every needed step is ok (also when it
 * needs none), else `pending` — a `paused` step is not ok, so a tenant whose
 * provisioning is switched off before it converged stays pending.
 */
export function tenantPhase(
  steps: readonly Pick<StepCondition, 'status' | 'lastOkAt'>[],
): TenantPhase {
  const needed = steps.filter(s => s.status !== 'skipped');
  if (needed.some(s => s.status === 'error' && s.lastOkAt !== undefined)) {
    return 'degraded';
  }
  return needed.every(s => s.status === 'ok') ? 'active' : 'pending';
}
