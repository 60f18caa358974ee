import { useEffect, useId, useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import CircularProgress from '@material-ui/core/CircularProgress';
import Divider from '@material-ui/core/Divider';
import IconButton from '@material-ui/core/IconButton';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import CloseIcon from '@material-ui/icons/Close';
import DeleteIcon from '@material-ui/icons/Delete';
import PowerSettingsNewIcon from '@material-ui/icons/PowerSettingsNew';
import Alert from '@material-ui/lab/Alert';
import ToggleButton from '@material-ui/lab/ToggleButton';
import ToggleButtonGroup from '@material-ui/lab/ToggleButtonGroup';
import {
  Flag,
  FLAG_STATES,
  FLAG_TYPES,
  FlagScope,
  FlagState,
  FlagType,
} from '@internal/plugin-flags-common';
import { errorMessage, flagsApiRef } from '../api';
import { ConfirmDialog, formatTime } from '@internal/plugin-dezky-react';
import { FlagHistory } from './FlagHistory';
import {
  changeErrorText,
  draftOf,
  FlagDraft,
  flagPatch,
  hiddenScopeText,
  SCOPE_AXES,
  usesScope,
} from './flagText';
import { RolloutControl } from './RolloutControl';
import { ScopePicker } from './ScopePicker';
import { ScopeOptions } from './useScopeOptions';
import { useRolloutPreview } from './useRolloutPreview';

const useStyles = makeStyles(theme => ({
  panel: {
    width: 560,
    maxWidth: '100vw',
    padding: theme.spacing(2, 3, 3, 3),
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(2),
  },
  key: { fontFamily: 'monospace', wordBreak: 'break-all' },
  kill: {
    background: theme.palette.error.main,
    color: theme.palette.error.contrastText,
    '&:hover': { background: theme.palette.error.dark },
  },
}));

const STATE_HELP: Record<FlagState, string> = {
  off: 'Off for every tenant.',
  on: 'On for every tenant.',
  targeted:
    'On for the tenants that match every list below that has values; with no values at all, for nobody.',
  rollout:
    'On for a share of the tenants that match the scope (empty lists match everyone), chosen by a stable hash of tenant and key.',
};

/**
 * "≈ N of M tenants" for the rule being edited, saved or not, as the server
 * computes it with the real hash over the catalog's tenants.
 */
function Preview(props: { flagKey: string; draft: FlagDraft }) {
  const { flagKey, draft } = props;
  const enabled = usesScope(draft.state);
  const preview = useRolloutPreview(
    {
      key: flagKey,
      state: draft.state,
      pct: draft.state === 'rollout' ? draft.pct : 0,
      scope: draft.scope,
    },
    enabled,
  );
  if (!enabled) return null;
  let text: string;
  if (preview.error) {
    text = `Preview unavailable: ${errorMessage(preview.error)}`;
  } else if (!preview.value) {
    text = 'Counting tenants…';
  } else if (draft.state === 'rollout') {
    text = `≈ ${preview.value.matching} of ${preview.value.total} tenants`;
  } else {
    text = `${preview.value.matching} of ${preview.value.total} tenants in scope`;
  }
  return (
    <Box display="flex" alignItems="center" style={{ gap: 8 }}>
      <Typography
        variant="body2"
        color={preview.error ? 'error' : 'textPrimary'}
        data-testid="rollout-preview"
        aria-live="polite"
      >
        {text}
      </Typography>
      {preview.loading && preview.value && <CircularProgress size={12} />}
    </Box>
  );
}

/**
 * A flag's detail panel: description and type, the state, the rollout with
 * its live preview, the scope, Save (only when something changed, sending
 * only what changed), the kill switch, Delete and the history. Without
 * `canEdit` (partner staff) it only shows.
 */
export function FlagPanel(props: {
  flag: Flag;
  canEdit: boolean;
  options: ScopeOptions;
  onChanged: (flag: Flag) => void;
  onDeleted: (key: string) => void;
  onClose: () => void;
}) {
  const { flag, canEdit, options, onChanged, onDeleted, onClose } = props;
  const api = useApi(flagsApiRef);
  const classes = useStyles();
  const [draft, setDraft] = useState<FlagDraft>(() => draftOf(flag));
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string>();
  const [confirm, setConfirm] = useState<'kill' | 'delete'>();
  const [busy, setBusy] = useState(false);
  const [generation, setGeneration] = useState(0);
  const id = useId();

  // a saved or killed flag comes back from the server: start from it
  useEffect(() => {
    setDraft(draftOf(flag));
  }, [flag]);

  const patch = flagPatch(flag, draft);
  const dirty = Object.keys(patch).length > 0;
  const descriptionMissing = draft.description.trim() === '';
  const readOnly = !canEdit;
  const set = (changes: Partial<FlagDraft>) =>
    setDraft(d => ({ ...d, ...changes }));
  const setScope = (axis: keyof FlagScope, values: string[]) =>
    setDraft(d => ({ ...d, scope: { ...d.scope, [axis]: values } }));

  const save = async () => {
    setSaving(true);
    setError(undefined);
    try {
      const updated = await api.updateFlag(flag.key, patch);
      onChanged(updated);
      setGeneration(g => g + 1);
    } catch (e) {
      setError(changeErrorText(e));
    } finally {
      setSaving(false);
    }
  };

  const runConfirmed = async () => {
    setBusy(true);
    setError(undefined);
    try {
      if (confirm === 'kill') {
        const killed = await api.killFlag(flag.key);
        onChanged(killed);
        setGeneration(g => g + 1);
        setConfirm(undefined);
      } else if (confirm === 'delete') {
        await api.deleteFlag(flag.key);
        setConfirm(undefined);
        onDeleted(flag.key);
      }
    } catch (e) {
      setConfirm(undefined);
      setError(changeErrorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Box className={classes.panel} data-testid="flag-panel">
      <Box display="flex" alignItems="flex-start">
        <Box flex={1}>
          <Typography variant="overline" color="textSecondary">
            Feature flag
          </Typography>
          <Typography variant="h5" component="h2" className={classes.key}>
            {flag.key}
          </Typography>
          <Typography variant="caption" color="textSecondary">
            Updated {formatTime(flag.updatedAt, { seconds: false })} · created{' '}
            {formatTime(flag.createdAt, { seconds: false })}
            {flag.owner ? ` · owner ${flag.owner}` : ''}
          </Typography>
        </Box>
        <IconButton aria-label="Close" onClick={onClose}>
          <CloseIcon />
        </IconButton>
      </Box>

      {readOnly ? (
        <Box>
          <Typography variant="body1">
            {flag.description || <em>No description</em>}
          </Typography>
          <Typography variant="body2" color="textSecondary">
            Type: {flag.type}
          </Typography>
        </Box>
      ) : (
        <Box display="flex" style={{ gap: 16 }}>
          <TextField
            id={`${id}-description`}
            label="Description"
            value={draft.description}
            onChange={e => set({ description: e.target.value })}
            error={descriptionMissing}
            helperText={
              descriptionMissing ? 'A description is required' : undefined
            }
            required
            multiline
            fullWidth
            variant="outlined"
            size="small"
          />
          <TextField
            id={`${id}-type`}
            select
            label="Type"
            value={draft.type}
            onChange={e => set({ type: e.target.value as FlagType })}
            variant="outlined"
            size="small"
            style={{ minWidth: 150 }}
          >
            {FLAG_TYPES.map(t => (
              <MenuItem key={t} value={t}>
                {t}
              </MenuItem>
            ))}
          </TextField>
        </Box>
      )}

      <Box>
        <Typography variant="subtitle2" gutterBottom>
          State
        </Typography>
        <ToggleButtonGroup
          exclusive
          size="small"
          aria-label="State"
          value={draft.state}
          onChange={(_event, value: FlagState | null) => {
            if (value) set({ state: value });
          }}
        >
          {FLAG_STATES.map(s => (
            <ToggleButton key={s} value={s} disabled={readOnly}>
              {s}
            </ToggleButton>
          ))}
        </ToggleButtonGroup>
        <Typography
          variant="caption"
          color="textSecondary"
          display="block"
          style={{ marginTop: 4 }}
        >
          {STATE_HELP[draft.state]}
        </Typography>
      </Box>

      {draft.state === 'rollout' && (
        <RolloutControl
          pct={draft.pct}
          disabled={readOnly}
          onChange={pct => set({ pct })}
        />
      )}
      <Preview flagKey={flag.key} draft={draft} />

      {usesScope(draft.state) && (
        <Box data-testid="flag-scope">
          <Typography variant="subtitle2" gutterBottom>
            Scope
          </Typography>
          {SCOPE_AXES.map(({ axis, label }) => (
            <ScopePicker
              key={axis}
              label={label}
              value={draft.scope[axis]}
              options={options[axis]}
              readOnly={readOnly}
              onChange={values => setScope(axis, values)}
            />
          ))}
          {flag.hidden && (
            <Typography
              variant="caption"
              color="textSecondary"
              data-testid="flag-scope-hidden"
            >
              Also in this scope, not shown to you:{' '}
              {hiddenScopeText(flag.hidden)}.
            </Typography>
          )}
        </Box>
      )}

      {error && (
        <Alert severity="error" data-testid="flag-error">
          {error}
        </Alert>
      )}

      {canEdit && (
        <Box display="flex" alignItems="center" style={{ gap: 8 }}>
          <Button
            variant="contained"
            color="primary"
            disabled={!dirty || saving || descriptionMissing}
            onClick={save}
            startIcon={saving ? <CircularProgress size={16} /> : undefined}
          >
            Save
          </Button>
          {dirty && (
            <Button onClick={() => setDraft(draftOf(flag))} disabled={saving}>
              Discard
            </Button>
          )}
          <Box flex={1} />
          <Button
            variant="contained"
            className={classes.kill}
            startIcon={<PowerSettingsNewIcon />}
            onClick={() => setConfirm('kill')}
          >
            Kill switch
          </Button>
          <Button
            variant="outlined"
            startIcon={<DeleteIcon />}
            onClick={() => setConfirm('delete')}
          >
            Delete
          </Button>
        </Box>
      )}

      <Divider />
      <FlagHistory flagKey={flag.key} generation={generation} />

      <ConfirmDialog
        open={confirm === 'kill'}
        title={`Kill ${flag.key}?`}
        confirmLabel="Kill"
        danger
        busy={busy}
        onConfirm={runConfirmed}
        onCancel={() => setConfirm(undefined)}
      >
        Turns the flag off for every tenant right away (state off, rollout 0 %).
        {dirty ? ' Your unsaved changes in this panel are discarded.' : ''}
      </ConfirmDialog>
      <ConfirmDialog
        open={confirm === 'delete'}
        title={`Delete ${flag.key}?`}
        confirmLabel="Delete"
        danger
        busy={busy}
        onConfirm={runConfirmed}
        onCancel={() => setConfirm(undefined)}
      >
        The flag is removed for every tenant. Its past changes stay in the audit
        trail.
      </ConfirmDialog>
    </Box>
  );
}
