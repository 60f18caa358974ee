import { useCallback, useEffect, useRef, useState } from 'react';
import { InfoCard } from '@backstage/core-components';
import { identityApiRef, useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import CircularProgress from '@material-ui/core/CircularProgress';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import PersonAddIcon from '@material-ui/icons/PersonAdd';
import Alert from '@material-ui/lab/Alert';
import { provisioningTenantMembersManagePermission } from '@internal/plugin-provisioning-common';
import {
  ConfirmDialog,
  DezkyTable,
  PageState,
  StatusChip,
  formatTime,
} from '@internal/plugin-dezky-react';
import {
  errorMessage,
  isNotFound,
  MEMBER_ROLES,
  MemberActionResult,
  MemberRole,
  provisioningApiRef,
  ProvisioningApi,
  TenantMember,
  TenantMemberList,
} from '../api';
import { CopyButton } from './CopyButton';
import { tenantResourceRef } from './ReconcileButton';

/** What a row action does, its button and its confirmation. */
type RowAction = 'suspend' | 'resume' | 'logout' | 'reset-password' | 'remove';

const ACTION_TEXT: Record<
  RowAction,
  { button: string; confirm: string; title: (name: string) => string }
> = {
  suspend: {
    button: 'Suspend',
    confirm: 'Suspend member',
    title: n => `Suspend ${n}?`,
  },
  resume: {
    button: 'Resume',
    confirm: 'Resume member',
    title: n => `Resume ${n}?`,
  },
  logout: {
    button: 'Force logout',
    confirm: 'Force logout',
    title: n => `Force ${n} out?`,
  },
  'reset-password': {
    button: 'Reset password',
    confirm: 'Reset password',
    title: n => `Reset the password of ${n}?`,
  },
  remove: {
    button: 'Remove',
    confirm: 'Remove member',
    title: n => `Remove ${n} from this tenant?`,
  },
};

const ACTION_EXPLAINED: Record<RowAction, string> = {
  suspend:
    'They cannot sign in and their mailbox is frozen (mail still arrives); their password is kept. Resume undoes it.',
  resume: 'They can sign in again with the password they had.',
  logout:
    'Their own sessions end now; they sign in again with their password. Nobody else is signed out.',
  'reset-password':
    'Their SSO and mailbox password become a new one-time password, shown once: hand it to them.',
  remove:
    'Their mailbox, SSO identity and files account of this tenant are deleted; what they use in another tenant is kept. This cannot be undone.',
};

/** The actions nobody may take on themselves. */
const NOT_ON_ONESELF: RowAction[] = ['suspend', 'logout', 'remove'];

/**
 * Who the signed-in user is, as the server compares it with a member:
 * their email and their user entity's name, in lower case.
 */
function useSelf(): Set<string> {
  const identity = useApi(identityApiRef);
  const [names, setNames] = useState<Set<string>>(new Set());
  useEffect(() => {
    let live = true;
    Promise.all([
      identity.getProfileInfo().catch(() => ({ email: undefined })),
      identity
        .getBackstageIdentity()
        .catch(() => ({ userEntityRef: undefined })),
    ]).then(([profile, id]) => {
      if (!live) return;
      const ref = id.userEntityRef?.replace(/^user:(default\/)?/i, '');
      setNames(
        new Set(
          [profile.email, ref]
            .filter((s): s is string => !!s)
            .map(s => s.toLocaleLowerCase('en-US')),
        ),
      );
    });
    return () => {
      live = false;
    };
  }, [identity]);
  return names;
}

const isSelf = (self: Set<string>, m: TenantMember) =>
  self.has(m.email.toLocaleLowerCase('en-US')) ||
  self.has(m.username.toLocaleLowerCase('en-US'));

/** The steps of an action that failed, said. */
function FailedSteps(props: { result: MemberActionResult }) {
  const failed = props.result.steps.filter(s => s.status === 'failed');
  if (failed.length === 0) return null;
  return (
    <Alert severity="warning" data-testid="member-steps-failed">
      Not everything was done; provisioning retries:{' '}
      {failed.map(s => `${s.step}: ${s.message}`).join('; ')}
    </Alert>
  );
}

/**
 * The one-time password, shown once: held only by the dialog that shows
 * it (the parent forgets the result when it closes).
 */
function OneTimePassword(props: { result: MemberActionResult }) {
  const { result } = props;
  if (!result.oneTimePassword) {
    return (
      <Typography variant="body2" data-testid="no-password">
        No new password was needed: the person signs in with the password they
        already have.
      </Typography>
    );
  }
  const opens =
    result.passwordFor?.map(p => (p === 'sso' ? 'sign-in' : 'mailbox')) ?? [];
  return (
    <Box mt={1}>
      <Typography variant="body2" gutterBottom>
        One-time password{opens.length ? ` (${opens.join(' and ')})` : ''}: copy
        it now and hand it to the person. It is not stored and is shown only
        this once.
      </Typography>
      <Box display="flex" alignItems="center" style={{ gap: 8 }}>
        <code
          data-testid="one-time-password"
          style={{ fontSize: '1.2em', userSelect: 'all' }}
        >
          {result.oneTimePassword}
        </code>
        <CopyButton
          text={result.oneTimePassword}
          label="Copy the one-time password"
        />
      </Box>
    </Box>
  );
}

/** The answer of Add member or Reset password, with its password shown once. */
function PasswordDialog(props: {
  title: string;
  result?: MemberActionResult;
  onClose: () => void;
}) {
  const { title, result, onClose } = props;
  return (
    <Dialog
      open={!!result}
      onClose={onClose}
      aria-labelledby="member-password-title"
      data-testid="password-dialog"
    >
      <DialogTitle id="member-password-title">{title}</DialogTitle>
      <DialogContent>
        {result && (
          <>
            <FailedSteps result={result} />
            <OneTimePassword result={result} />
          </>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose} color="primary" variant="contained">
          Done
        </Button>
      </DialogActions>
    </Dialog>
  );
}

const EMAIL = /^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;

/** Add member: name, email, role; then its one-time password, once. */
function AddMemberDialog(props: {
  open: boolean;
  tenant: string;
  onCancel: () => void;
  onCreated: (result: MemberActionResult) => void;
}) {
  const { open, tenant, onCancel, onCreated } = props;
  const api = useApi(provisioningApiRef);
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<MemberRole>('member');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (!open) return;
    setName('');
    setEmail('');
    setRole('member');
    setError(undefined);
  }, [open]);
  const valid = name.trim().length > 0 && EMAIL.test(email.trim());
  const add = async () => {
    setBusy(true);
    setError(undefined);
    try {
      onCreated(
        await api.createMember(tenant, {
          name: name.trim(),
          email: email.trim(),
          role,
        }),
      );
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog
      open={open}
      onClose={busy ? undefined : onCancel}
      aria-labelledby="add-member-title"
      data-testid="add-member-dialog"
    >
      <DialogTitle id="add-member-title">Add member</DialogTitle>
      <DialogContent>
        {error && (
          <Alert severity="error" data-testid="add-member-error">
            {error}
          </Alert>
        )}
        <Typography variant="body2">
          Creates their sign-in, a mailbox on the tenant&apos;s primary domain
          and a files account; a person already on the platform is added to this
          tenant.
        </Typography>
        <TextField
          id="member-name"
          label="Name"
          value={name}
          onChange={e => setName(e.target.value)}
          disabled={busy}
          inputProps={{ maxLength: 150 }}
          variant="outlined"
          margin="normal"
          fullWidth
          required
        />
        <TextField
          id="member-email"
          label="Email"
          value={email}
          onChange={e => setEmail(e.target.value)}
          disabled={busy}
          inputProps={{ maxLength: 254, spellCheck: false }}
          variant="outlined"
          margin="normal"
          fullWidth
          required
        />
        <TextField
          id="member-role"
          select
          label="Role"
          value={role}
          onChange={e => setRole(e.target.value as MemberRole)}
          disabled={busy}
          variant="outlined"
          margin="normal"
          fullWidth
        >
          {MEMBER_ROLES.map(r => (
            <MenuItem key={r} value={r}>
              {r}
            </MenuItem>
          ))}
        </TextField>
      </DialogContent>
      <DialogActions>
        <Button onClick={onCancel} disabled={busy}>
          Cancel
        </Button>
        <Button
          onClick={add}
          color="primary"
          variant="contained"
          disabled={busy || !valid}
          startIcon={busy ? <CircularProgress size={16} /> : undefined}
        >
          Add
        </Button>
      </DialogActions>
    </Dialog>
  );
}

function RowActions(props: {
  member: TenantMember;
  self: boolean;
  onAction: (action: RowAction) => void;
}) {
  const { member, self, onAction } = props;
  const actions: RowAction[] = [
    member.suspended ? 'resume' : 'suspend',
    'logout',
    'reset-password',
    'remove',
  ];
  return (
    <Box display="flex" flexWrap="wrap" style={{ gap: 4 }}>
      {actions.map(action => {
        const refused = self && NOT_ON_ONESELF.includes(action);
        const button = (
          <Button
            size="small"
            variant="outlined"
            color={action === 'remove' ? 'secondary' : 'default'}
            disabled={refused}
            aria-label={`${ACTION_TEXT[action].button} ${member.name}`}
            onClick={() => onAction(action)}
          >
            {ACTION_TEXT[action].button}
          </Button>
        );
        return refused ? (
          <Tooltip
            key={action}
            title={`You cannot ${
              action === 'logout' ? 'force out' : action
            } yourself`}
          >
            {/* a disabled button takes no pointer events: the span shows the tooltip */}
            <span data-testid={`self-${action}`}>{button}</span>
          </Tooltip>
        ) : (
          <span key={action}>{button}</span>
        );
      })}
    </Box>
  );
}

interface MembersState {
  name: string;
  value?: TenantMemberList;
  error?: Error;
}

function useMembers(name: string) {
  const api = useApi(provisioningApiRef);
  const current = useRef(name);
  const [state, setState] = useState<MembersState>({ name });
  const load = useCallback(
    (n: string) =>
      api.listMembers(n).then(
        value => {
          if (current.current === n) setState({ name: n, value });
        },
        error => {
          if (current.current === n) setState({ name: n, error });
        },
      ),
    [api],
  );
  useEffect(() => {
    current.current = name;
    setState({ name });
    load(name);
  }, [name, load]);
  const refresh = useCallback(() => load(current.current), [load]);
  const fresh = state.name === name;
  return {
    value: fresh ? state.value : undefined,
    error: fresh ? state.error : undefined,
    refresh,
  };
}

const yesNo = (v: boolean) => (v ? 'yes' : 'no');

/**
 * The Members tab of a Tenant's page: its people (name, email, role in this
 * tenant, SSO active, mailbox, last sign-in, MFA). Those allowed
 * `provisioning.tenant.members.manage` get Add member (its one-time
 * password shown once, with a copy button, and forgotten when the dialog
 * closes) and, per row, Suspend or Resume, Force logout, Reset password
 * (a new one-time password, shown once) and Remove, each behind a
 * confirmation; the signed-in user's own row has Suspend, Force logout and
 * Remove disabled, saying why.
 */
export function EntityMembersContent() {
  const { entity } = useEntity();
  const tenant = entity.metadata.name;
  const title = entity.metadata.title ?? tenant;
  const members = useMembers(tenant);
  const api = useApi(provisioningApiRef);
  const self = useSelf();
  const manage = usePermission({
    permission: provisioningTenantMembersManagePermission,
    resourceRef: tenantResourceRef(tenant),
  });

  const [adding, setAdding] = useState(false);
  const [pending, setPending] = useState<{
    action: RowAction;
    member: TenantMember;
  }>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  // the one-time password lives here only while its dialog is open
  const [shown, setShown] = useState<{
    title: string;
    result: MemberActionResult;
  }>();

  const run = async (
    action: RowAction,
    member: TenantMember,
    call: (a: ProvisioningApi) => Promise<MemberActionResult>,
  ) => {
    setBusy(true);
    setError(undefined);
    try {
      const result = await call(api);
      setPending(undefined);
      if (action === 'reset-password') {
        setShown({ title: `New password for ${member.name}`, result });
      } else {
        const failed = result.steps.filter(s => s.status === 'failed');
        let said = `${ACTION_TEXT[action].button}: done for ${member.name}.`;
        if (action === 'logout' && result.sessionsEnded !== undefined) {
          said = `${member.name}: ${result.sessionsEnded} session${
            result.sessionsEnded === 1 ? '' : 's'
          } ended.`;
        }
        if (failed.length > 0) {
          said += ` Not everything was done; provisioning retries: ${failed
            .map(s => `${s.step}: ${s.message}`)
            .join('; ')}`;
        }
        setNotice(said);
      }
      members.refresh();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const confirm = () => {
    if (!pending) return;
    const { action, member } = pending;
    run(action, member, a =>
      action === 'remove'
        ? a.removeMember(tenant, member.id)
        : a.memberAction(tenant, member.id, action),
    );
  };

  const notFound = isNotFound(members.error);
  const mayManage = manage.allowed;

  return (
    <InfoCard
      title="Members"
      action={
        mayManage ? (
          <Button
            variant="contained"
            color="primary"
            startIcon={<PersonAddIcon />}
            onClick={() => setAdding(true)}
            disabled={members.value?.provisioned === false}
          >
            Add member
          </Button>
        ) : undefined
      }
    >
      {notice && (
        <Alert
          severity="success"
          onClose={() => setNotice(undefined)}
          data-testid="member-notice"
          style={{ marginBottom: 16 }}
        >
          {notice}
        </Alert>
      )}
      <PageState
        inline
        loading={!members.value && !members.error}
        error={notFound ? undefined : members.error}
        empty={
          (notFound && {
            title: 'No members to show',
            description:
              'The provisioning engine has not picked this tenant up yet, or it is not yours to see.',
          }) ||
          (members.value?.provisioned === false && {
            title: 'No members yet',
            description:
              "The tenant's sign-in group does not exist yet: members can be added once provisioning has created it.",
          })
        }
      >
        {() => (
          <DezkyTable<TenantMember>
            columns={[
              { title: 'Name', field: 'name' },
              { title: 'Email', field: 'email' },
              { title: 'Role', field: 'role' },
              {
                title: 'SSO active',
                render: m =>
                  m.suspended ? (
                    <StatusChip status="suspended" />
                  ) : (
                    yesNo(m.ssoActive)
                  ),
              },
              {
                title: 'Mailbox',
                render: m =>
                  m.mailbox ? `${m.mailbox.address} (${m.mailbox.state})` : '—',
              },
              {
                title: 'Last sign-in',
                render: m =>
                  m.lastSignIn
                    ? formatTime(m.lastSignIn, { seconds: false })
                    : 'never',
              },
              { title: 'MFA', render: m => yesNo(m.mfa) },
              ...(mayManage
                ? [
                    {
                      title: 'Actions',
                      render: (m: TenantMember) => (
                        <RowActions
                          member={m}
                          self={isSelf(self, m)}
                          onAction={action => {
                            setError(undefined);
                            setPending({ action, member: m });
                          }}
                        />
                      ),
                    },
                  ]
                : []),
            ]}
            data={members.value!.items}
            options={{ toolbar: false, paging: false }}
            emptyContent={
              <Typography
                color="textSecondary"
                style={{ padding: 16 }}
                data-testid="no-members"
              >
                No members in {title} yet.
              </Typography>
            }
            rowProps={m => ({
              'data-testid': 'member-row',
              'data-member': m.email,
            })}
          />
        )}
      </PageState>

      <AddMemberDialog
        open={adding}
        tenant={tenant}
        onCancel={() => setAdding(false)}
        onCreated={result => {
          setAdding(false);
          setShown({
            title: `${result.member?.name ?? 'Member'} added`,
            result,
          });
          members.refresh();
        }}
      />

      <PasswordDialog
        title={shown?.title ?? ''}
        result={shown?.result}
        onClose={() => setShown(undefined)}
      />

      <ConfirmDialog
        open={!!pending}
        title={
          pending ? ACTION_TEXT[pending.action].title(pending.member.name) : ''
        }
        confirmLabel={pending ? ACTION_TEXT[pending.action].confirm : ''}
        danger={pending?.action === 'remove' || pending?.action === 'suspend'}
        busy={busy}
        onCancel={() => setPending(undefined)}
        onConfirm={confirm}
      >
        {error && (
          <Alert severity="error" data-testid="member-action-error">
            {error}
          </Alert>
        )}
        {pending && (
          <>
            {pending.member.name} ({pending.member.email}):{' '}
            {ACTION_EXPLAINED[pending.action]}
          </>
        )}
      </ConfirmDialog>
    </InfoCard>
  );
}
