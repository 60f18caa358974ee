import { tenantPhase } from './phase';
import { STEP_STATUSES, StepStatus } from './types';

const OK_BEFORE = '2026-12-01T00:00:00.000Z';
const step = (status: StepStatus, wasOk = false) => ({
  status,
  lastOkAt: wasOk ? OK_BEFORE : undefined,
});

describe('tenantPhase', () => {
  it.each([
    ['no steps needed', [], 'active'],
    ['all skipped', [step('skipped'), step('skipped')], 'active'],
    ['all ok', [step('ok', true), step('ok', true)], 'active'],
    ['ok and skipped', [step('ok', true), step('skipped')], 'active'],
    ['one pending', [step('ok', true), step('pending')], 'pending'],
    ['an error never ok', [step('ok', true), step('error')], 'pending'],
    ['an error after ok', [step('ok', true), step('error', true)], 'degraded'],
    [
      'degraded wins over pending',
      [step('pending'), step('error', true)],
      'degraded',
    ],
    ['paused before converging', [step('ok', true), step('paused')], 'pending'],
    ['paused after ok', [step('paused', true)], 'pending'],
    ['skipped after ok', [step('skipped', true), step('ok', true)], 'active'],
  ] as const)('%s: %s', (_name, steps, phase) => {
    expect(tenantPhase(steps)).toBe(phase);
  });

  it('is active exactly when every needed step is ok, degraded exactly when one was ok and is in error', () => {
    // every combination of three steps, each with or without an ok before
    const states = STEP_STATUSES.flatMap(s => [step(s), step(s, true)]);
    for (const a of states) {
      for (const b of states) {
        for (const c of states) {
          const steps = [a, b, c];
          const needed = steps.filter(s => s.status !== 'skipped');
          const phase = tenantPhase(steps);
          const degraded = needed.some(s => s.status === 'error' && s.lastOkAt);
          expect(phase === 'degraded').toBe(degraded);
          expect(phase === 'active').toBe(
            !degraded && needed.every(s => s.status === 'ok'),
          );
        }
      }
    }
  });
});
