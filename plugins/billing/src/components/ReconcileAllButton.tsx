import { useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import Button from '@material-ui/core/Button';
import SyncIcon from '@material-ui/icons/Sync';
import { ReconcileSummary } from '@internal/plugin-billing-common';
import { ConfirmDialog, countOf } from '@internal/plugin-dezky-react';
import { billingApiRef, errorMessage } from '../api';

/** What a billing reconcile did, for people. */
export function reconcileText(s: ReconcileSummary): string {
  return (
    `Reconciled ${countOf(s.tenants, 'tenant')}: ${s.inSync} in sync, ` +
    `${s.outOfSync} out of sync; re-pricing: ${s.repricingMoved} moved, ` +
    `${s.repricingFailed} failed.`
  );
}

/**
 * "Reconcile all now" (operators): after a confirmation, the billing
 * reconcile over every tenant — compare each with Stripe, fix what differs,
 * retry the re-pricing that failed. `onDone` gets its summary, `onFailed`
 * the server's message.
 */
export function ReconcileAllButton(props: {
  onDone: (summary: ReconcileSummary) => void;
  onFailed: (message: string) => void;
}) {
  const { onDone, onFailed } = props;
  const api = useApi(billingApiRef);
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);

  const reconcile = async () => {
    setBusy(true);
    try {
      onDone(await api.reconcile());
    } catch (e) {
      onFailed(errorMessage(e));
    } finally {
      setBusy(false);
      setAsking(false);
    }
  };

  return (
    <>
      <Button
        variant="outlined"
        color="primary"
        startIcon={<SyncIcon />}
        disabled={busy}
        onClick={() => setAsking(true)}
      >
        Reconcile all now
      </Button>
      <ConfirmDialog
        open={asking}
        title="Reconcile every tenant's billing now?"
        confirmLabel="Reconcile all"
        busy={busy}
        onConfirm={reconcile}
        onCancel={() => setAsking(false)}
      >
        Billing compares every tenant with Stripe and changes in Stripe what
        differs from the subscription records (seats, prices, paused
        collection), and retries the subscriptions a price edit could not move
        yet. It runs on its own schedule too; this runs it now and may take a
        while.
      </ConfirmDialog>
    </>
  );
}
