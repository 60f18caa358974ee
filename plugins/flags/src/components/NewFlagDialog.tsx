import { FormEvent, useEffect, useId, useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import Button from '@material-ui/core/Button';
import CircularProgress from '@material-ui/core/CircularProgress';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Alert from '@material-ui/lab/Alert';
import { Flag, FLAG_TYPES, FlagType } from '@internal/plugin-flags-common';
import { flagsApiRef, isConflict } from '../api';
import { changeErrorText, KEY_PATTERN } from './flagText';

/**
 * "New flag": key, description and type. The flag starts off; the server's
 * refusal (a taken key, a bad field) is shown in the dialog.
 */
export function NewFlagDialog(props: {
  open: boolean;
  onClose: () => void;
  onCreated: (flag: Flag) => void;
}) {
  const { open, onClose, onCreated } = props;
  const api = useApi(flagsApiRef);
  const titleId = useId();
  const [key, setKey] = useState('');
  const [description, setDescription] = useState('');
  const [type, setType] = useState<FlagType>('release');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  useEffect(() => {
    if (open) {
      setKey('');
      setDescription('');
      setType('release');
      setError(undefined);
    }
  }, [open]);

  const keyValid = KEY_PATTERN.test(key);
  const keyError = key !== '' && !keyValid;
  const valid = keyValid && description.trim() !== '';

  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    if (!valid || busy) return;
    setBusy(true);
    setError(undefined);
    try {
      const flag = await api.createFlag({
        key,
        description: description.trim(),
        type,
      });
      onCreated(flag);
    } catch (e) {
      setError(
        isConflict(e)
          ? `A flag with the key ${key} already exists.`
          : changeErrorText(e),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      open={open}
      onClose={busy ? undefined : onClose}
      aria-labelledby={titleId}
      fullWidth
      maxWidth="sm"
    >
      <form onSubmit={submit} noValidate>
        <DialogTitle id={titleId}>New flag</DialogTitle>
        <DialogContent>
          <TextField
            required
            fullWidth
            margin="normal"
            id={`${titleId}-key`}
            label="Key"
            value={key}
            onChange={e => setKey(e.target.value)}
            error={keyError}
            helperText="Lower case letters, digits, _ and -, up to 64 characters. It cannot be changed later."
            inputProps={{ spellCheck: false, maxLength: 64 }}
          />
          <TextField
            required
            fullWidth
            multiline
            margin="normal"
            id={`${titleId}-description`}
            label="Description"
            value={description}
            onChange={e => setDescription(e.target.value)}
            helperText="What the flag switches, for whoever finds it later."
          />
          <TextField
            select
            fullWidth
            margin="normal"
            id={`${titleId}-type`}
            label="Type"
            value={type}
            onChange={e => setType(e.target.value as FlagType)}
          >
            {FLAG_TYPES.map(t => (
              <MenuItem key={t} value={t}>
                {t}
              </MenuItem>
            ))}
          </TextField>
          {error && (
            <Alert severity="error" data-testid="new-flag-error">
              {error}
            </Alert>
          )}
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose} disabled={busy}>
            Cancel
          </Button>
          <Button
            type="submit"
            color="primary"
            variant="contained"
            disabled={!valid || busy}
            startIcon={busy ? <CircularProgress size={16} /> : undefined}
          >
            Create
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
