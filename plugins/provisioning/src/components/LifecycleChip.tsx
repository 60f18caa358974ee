import Tooltip from '@material-ui/core/Tooltip';
import {
  TenantLifecycle,
  TenantStatus,
} from '@internal/plugin-provisioning-common';
import { StatusChip, StatusTone } from '@internal/plugin-dezky-react';

const STATUS_TONE: Record<TenantStatus, StatusTone> = {
  active: 'good',
  suspended: 'warning',
  terminating: 'bad',
  terminated: 'neutral',
};

/** "active"; otherwise the status with where it comes from, "suspended · portal". */
export function lifecycleLabel(
  lifecycle: Pick<TenantLifecycle, 'status' | 'source'>,
): string {
  const { status, source } = lifecycle;
  return status === 'active' || !source ? status : `${status} · ${source}`;
}

/**
 * A tenant's effective status as a chip — active green, suspended orange,
 * terminating red, terminated grey — naming its source (git, portal) when
 * not active, with the server's description (who, when, why) in its
 * tooltip (and title). Carries `data-status` and `data-source` for tests.
 */
export function LifecycleChip(props: {
  lifecycle: TenantLifecycle;
  'data-testid'?: string;
}) {
  const { lifecycle } = props;
  return (
    <Tooltip title={lifecycle.description}>
      <span
        data-testid={props['data-testid'] ?? 'lifecycle-chip'}
        data-status={lifecycle.status}
        data-source={lifecycle.source ?? ''}
      >
        <StatusChip
          status={lifecycle.status}
          label={lifecycleLabel(lifecycle)}
          tone={STATUS_TONE[lifecycle.status]}
        />
      </span>
    </Tooltip>
  );
}
