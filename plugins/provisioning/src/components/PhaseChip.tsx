import { TenantPhase } from '@internal/plugin-provisioning-common';
import { StatusChip, StatusTone } from '@internal/plugin-dezky-react';

const PHASE_TONE: Record<TenantPhase, StatusTone> = {
  pending: 'neutral',
  active: 'good',
  degraded: 'bad',
};

/** A tenant's phase as a chip: pending grey, active green, degraded red. */
export function PhaseChip(props: {
  phase: TenantPhase;
  'data-testid'?: string;
}) {
  return (
    <StatusChip
      status={props.phase}
      tone={PHASE_TONE[props.phase]}
      data-testid={props['data-testid'] ?? 'phase-chip'}
    />
  );
}
