import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import CircularProgress from '@material-ui/core/CircularProgress';
import Typography from '@material-ui/core/Typography';
import SyncIcon from '@material-ui/icons/Sync';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  provisioningTenantReconcilePermission,
  ReconcileResult,
} from '@internal/plugin-provisioning-common';
import { OUTCOME_TEXT } from './provisioningText';

/** Where a reconcile on demand of one tenant stands. */
export interface ReconcileState {
  busy: boolean;
  outcome?: ReconcileResult['outcome'];
  error?: string;
}

/** The ref the reconcile permission is decided for: the Tenant entity's. */
export const tenantResourceRef = (name: string) =>
  `tenant:default/${name.toLocaleLowerCase('en-US')}`;

/**
 * Reconcile, for the users the server's policy allows
 * `provisioning.tenant.reconcile` on this tenant (operators; partner staff
 * for their partner's tenants); nothing for the others. Spins while the
 * call runs, then says how it went: its outcome or its error.
 */
export function ReconcileButton(props: {
  tenant: string;
  state?: ReconcileState;
  onReconcile: () => void;
  size?: 'small' | 'medium';
}) {
  const { tenant, state, onReconcile, size = 'small' } = props;
  const { allowed } = usePermission({
    permission: provisioningTenantReconcilePermission,
    resourceRef: tenantResourceRef(tenant),
  });
  if (!allowed) return null;
  let said = null;
  if (state?.error) {
    said = (
      <Typography
        variant="caption"
        color="error"
        data-testid="reconcile-error"
        role="alert"
      >
        Reconcile failed: {state.error}
      </Typography>
    );
  } else if (state?.outcome && !state.busy) {
    said = (
      <Typography
        variant="caption"
        color="textSecondary"
        data-testid="reconcile-outcome"
        role="status"
      >
        {OUTCOME_TEXT[state.outcome]}
      </Typography>
    );
  }
  return (
    <Box display="flex" flexDirection="column" alignItems="flex-start">
      <Button
        variant="outlined"
        color="primary"
        size={size}
        disabled={state?.busy}
        startIcon={state?.busy ? <CircularProgress size={14} /> : <SyncIcon />}
        onClick={onReconcile}
      >
        Reconcile
      </Button>
      {said}
    </Box>
  );
}
