import { ReactNode, useState } from 'react';
import { InfoCard } from '@backstage/core-components';
import { usePermission } from '@backstage/plugin-permission-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import Alert from '@material-ui/lab/Alert';
import {
  LifecycleActionResult,
  provisioningTenantSuspendPermission,
  provisioningTenantTerminatePermission,
  TenantProvisioningDetail,
} from '@internal/plugin-provisioning-common';
import { ConfirmDialog, formatTime } from '@internal/plugin-dezky-react';
import { ProvisioningApi } from '../api';
import { tenantResourceRef } from './ReconcileButton';
import { TeardownCountdown } from './RelativeTime';
import { useLifecycleAction } from './useLifecycleAction';

/** The longest reason the server takes (after trimming). */
export const REASON_MAX = 500;

/** The confirmation each action asks for first. */
type Dialog = 'suspend' | 'resume' | 'terminate' | 'cancel';

const useStyles = makeStyles(theme => ({
  danger: {
    color: theme.palette.error.main,
    borderColor: theme.palette.error.main,
    flexShrink: 0,
  },
  row: {
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'space-between',
    gap: theme.spacing(2),
    padding: theme.spacing(1.5, 0),
    borderTop: `1px solid ${theme.palette.divider}`,
  },
}));

/** One thing the user may do: what it does, and its button. */
function ActionRow(props: {
  title: string;
  children: ReactNode;
  button: string;
  onClick: () => void;
}) {
  const classes = useStyles();
  return (
    <div className={classes.row}>
      <div>
        <Typography variant="subtitle2">{props.title}</Typography>
        <Typography variant="body2" color="textSecondary">
          {props.children}
        </Typography>
      </div>
      <Button
        variant="outlined"
        className={classes.danger}
        onClick={props.onClick}
      >
        {props.button}
      </Button>
    </div>
  );
}

function ReasonField(props: {
  value: string;
  onChange: (value: string) => void;
  disabled: boolean;
  keptWith: string;
}) {
  return (
    <TextField
      id="lifecycle-reason"
      label="Reason"
      value={props.value}
      onChange={e => props.onChange(e.target.value)}
      disabled={props.disabled}
      helperText={`Required. Kept with the ${props.keptWith} and in the audit trail (at most ${REASON_MAX} characters).`}
      inputProps={{ maxLength: REASON_MAX, 'aria-required': true }}
      variant="outlined"
      margin="normal"
      multiline
      minRows={2}
      fullWidth
    />
  );
}

/**
 * The Danger zone of a tenant: its status as a sentence (who, when, why),
 * and the lifecycle actions the server's policy lets the user take on it —
 * Suspend and Resume (`provisioning.tenant.suspend`), Terminate and Cancel
 * termination (`provisioning.tenant.terminate`) — each behind a
 * confirmation: a reason for Suspend, a reason and the tenant's name typed
 * out for Terminate. A suspension or termination from git has no button:
 * it says to change `spec.status` in the YAML. While terminating, a
 * countdown to the teardown; once terminated, the date and no actions.
 *
 * `onResult` gets the tenant as the server answers it after an action;
 * `onRefused` is called when the server refuses one (its message stays in
 * the dialog), so what is on screen can be read again.
 */
export function DangerZone(props: {
  tenant: TenantProvisioningDetail;
  onResult: (tenant: TenantProvisioningDetail) => void;
  onRefused?: () => void;
}) {
  const { tenant, onResult, onRefused } = props;
  const { lifecycle } = tenant;
  const { status, source } = lifecycle;
  const name = tenant.tenant;
  const title = tenant.title ?? name;

  const resourceRef = tenantResourceRef(name);
  const suspendPermission = usePermission({
    permission: provisioningTenantSuspendPermission,
    resourceRef,
  });
  const terminatePermission = usePermission({
    permission: provisioningTenantTerminatePermission,
    resourceRef,
  });
  const maySuspend = suspendPermission.allowed;
  const mayTerminate = terminatePermission.allowed;
  const deciding = suspendPermission.loading || terminatePermission.loading;

  const [dialog, setDialog] = useState<Dialog>();
  const [reason, setReason] = useState('');
  const [typedName, setTypedName] = useState('');
  const action = useLifecycleAction(
    (result: LifecycleActionResult) => onResult(result.tenant),
    onRefused,
  );
  const { busy, error } = action.state;

  const open = (next: Dialog) => {
    setReason('');
    setTypedName('');
    action.clear();
    setDialog(next);
  };
  const close = () => setDialog(undefined);
  const confirm = async (
    call: (api: ProvisioningApi) => Promise<LifecycleActionResult>,
  ) => {
    if (await action.run(call)) setDialog(undefined);
  };
  const hasReason = reason.trim().length > 0;
  const refusal = error && (
    <Alert severity="error" data-testid="lifecycle-error">
      {error}
    </Alert>
  );

  const rows: ReactNode[] = [];
  if (status === 'active' && maySuspend) {
    rows.push(
      <ActionRow
        key="suspend"
        title="Suspend this tenant"
        button="Suspend"
        onClick={() => open('suspend')}
      >
        Nobody of the tenant can sign in, its mailboxes are frozen and its files
        disabled; nothing is deleted. Resume undoes it.
      </ActionRow>,
    );
  }
  if (status === 'suspended' && source === 'portal' && maySuspend) {
    rows.push(
      <ActionRow
        key="resume"
        title="Resume this tenant"
        button="Resume"
        onClick={() => open('resume')}
      >
        Lifts the suspension set in the portal: its people can sign in again.
      </ActionRow>,
    );
  }
  if ((status === 'active' || status === 'suspended') && mayTerminate) {
    rows.push(
      <ActionRow
        key="terminate"
        title="Terminate this tenant"
        button="Terminate"
        onClick={() => open('terminate')}
      >
        Suspended at once and torn down when the grace period ends: its
        accounts, mailboxes and files are deleted. Until then, Cancel
        termination undoes it.
      </ActionRow>,
    );
  }
  if (status === 'terminating' && source === 'portal' && mayTerminate) {
    rows.push(
      <ActionRow
        key="cancel"
        title="Cancel the termination"
        button="Cancel termination"
        onClick={() => open('cancel')}
      >
        Lifts the termination before the teardown: nothing is deleted.
      </ActionRow>,
    );
  }

  let note: ReactNode = null;
  if (status === 'suspended' && source === 'git') {
    note =
      "Suspended in git: to resume it, change spec.status in the tenant's YAML (a Resume here cannot lift it).";
  } else if (status === 'terminating' && source === 'git') {
    note =
      "Cancelled in git: to keep the tenant, change spec.status in the tenant's YAML before the grace period ends.";
  } else if (status === 'terminated') {
    note = `Terminated on ${formatTime(lifecycle.terminatedAt, {
      seconds: false,
    })}. Its records and audit trail are kept; nothing can be done here any more.`;
  } else if (!deciding && rows.length === 0) {
    note = 'You may not suspend, resume or terminate this tenant.';
  }

  return (
    <InfoCard title="Danger zone">
      <section aria-label="Danger zone" data-testid="danger-zone">
        <Typography variant="body2" data-testid="lifecycle-description">
          Status: {lifecycle.description}
        </Typography>
        {status === 'terminating' && lifecycle.graceEndsAt && (
          <Typography variant="body2" color="error">
            <TeardownCountdown at={lifecycle.graceEndsAt} />
          </Typography>
        )}
        {note && (
          <Typography
            variant="body2"
            color="textSecondary"
            data-testid="lifecycle-note"
            style={{ marginTop: 8 }}
          >
            {note}
          </Typography>
        )}
        {rows.length > 0 && <Box mt={2}>{rows}</Box>}
      </section>

      <ConfirmDialog
        open={dialog === 'suspend'}
        title={`Suspend ${title}?`}
        confirmLabel="Suspend tenant"
        danger
        busy={busy}
        confirmDisabled={!hasReason}
        onCancel={close}
        onConfirm={() => confirm(api => api.suspend(name, reason.trim()))}
      >
        {refusal}
        Nobody of {title} can sign in (their sessions end), its mailboxes are
        frozen and its files disabled; nothing is deleted. Resume lifts it.
        <ReasonField
          value={reason}
          onChange={setReason}
          disabled={busy}
          keptWith="suspension"
        />
      </ConfirmDialog>

      <ConfirmDialog
        open={dialog === 'resume'}
        title={`Resume ${title}?`}
        confirmLabel="Resume tenant"
        busy={busy}
        onCancel={close}
        onConfirm={() => confirm(api => api.resume(name))}
      >
        {refusal}
        Lifts the suspension set in the portal: the tenant&apos;s people can
        sign in again, its mail and files come back.
      </ConfirmDialog>

      <ConfirmDialog
        open={dialog === 'terminate'}
        title={`Terminate ${title}?`}
        confirmLabel="Terminate tenant"
        danger
        busy={busy}
        confirmDisabled={!hasReason || typedName !== name}
        onCancel={close}
        onConfirm={() =>
          confirm(api => api.terminate(name, reason.trim(), typedName))
        }
      >
        {refusal}
        {title} is suspended at once and torn down when the grace period ends:
        its accounts, mailboxes and files are deleted. Until then, Cancel
        termination undoes it.
        <ReasonField
          value={reason}
          onChange={setReason}
          disabled={busy}
          keptWith="termination"
        />
        <TextField
          id="lifecycle-confirm-name"
          label="Type the tenant's name to confirm"
          value={typedName}
          onChange={e => setTypedName(e.target.value)}
          disabled={busy}
          helperText={`Type ${name} exactly.`}
          inputProps={{ autoComplete: 'off', spellCheck: false }}
          variant="outlined"
          margin="normal"
          fullWidth
        />
      </ConfirmDialog>

      <ConfirmDialog
        open={dialog === 'cancel'}
        title={`Cancel the termination of ${title}?`}
        confirmLabel="Resume tenant"
        busy={busy}
        onCancel={close}
        onConfirm={() => confirm(api => api.resume(name))}
      >
        {refusal}
        {title} is not torn down: the termination set in the portal is lifted
        and the tenant resumed.
      </ConfirmDialog>
    </InfoCard>
  );
}
