import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import CircularProgress from '@material-ui/core/CircularProgress';
import Typography from '@material-ui/core/Typography';
import SyncIcon from '@material-ui/icons/Sync';
import {
  BillingConditionKind,
  TenantBilling,
} from '@internal/plugin-billing-common';
import { billingApiRef, errorMessage } from '../api';

/** Where a Sync now of one tenant stands: running, the condition it left, or why it failed. */
export interface SyncState {
  busy: boolean;
  after?: TenantBilling['condition'];
  error?: string;
}

/** The conditions a Sync now is offered for in lists: something differs from Stripe. */
export const SYNC_CONDITIONS: readonly BillingConditionKind[] = [
  'out-of-sync',
  'payment-failed',
];

/**
 * Sync now, per tenant: where each call stands, and `sync` to start one.
 * `onSynced` gets the server's answer (the tenant's billing as it is now)
 * to show in place.
 */
export function useSync(onSynced: (billing: TenantBilling) => void) {
  const api = useApi(billingApiRef);
  const [states, setStates] = useState<Record<string, SyncState>>({});
  const latest = useRef(onSynced);
  latest.current = onSynced;
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );

  const sync = useCallback(
    async (tenant: string) => {
      const set = (state: SyncState) => {
        if (mounted.current) setStates(s => ({ ...s, [tenant]: state }));
      };
      set({ busy: true });
      try {
        const billing = await api.syncTenant(tenant);
        set({ busy: false, after: billing.condition });
        if (mounted.current) latest.current(billing);
      } catch (error) {
        set({ busy: false, error: errorMessage(error) });
      }
    },
    [api],
  );

  return { states, sync };
}

/**
 * "Sync now": compares the tenant with Stripe and fixes what differs. Spins
 * while the call runs, then says how it went — the condition the tenant is
 * in now (with why, unless in sync), or the error. Callers show it only to
 * those the server allows `billing.tenant.sync` (operators).
 */
export function SyncButton(props: {
  state?: SyncState;
  onSync: () => void;
  size?: 'small' | 'medium';
}) {
  const { state, onSync, size = 'small' } = props;
  let said = null;
  if (state?.error) {
    said = (
      <Typography
        variant="caption"
        color="error"
        role="alert"
        data-testid="sync-error"
      >
        Sync failed: {state.error}
      </Typography>
    );
  } else if (state?.after && !state.busy) {
    said = (
      <Typography
        variant="caption"
        color="textSecondary"
        role="status"
        data-testid="sync-outcome"
      >
        Synced: now {state.after.kind}
        {state.after.kind !== 'in-sync' && ` (${state.after.message})`}
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
        onClick={onSync}
      >
        Sync now
      </Button>
      {said}
    </Box>
  );
}
