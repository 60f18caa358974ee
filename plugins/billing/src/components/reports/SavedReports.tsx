import { useEffect, useId, useState } from 'react';
import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import IconButton from '@material-ui/core/IconButton';
import MenuItem from '@material-ui/core/MenuItem';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemText from '@material-ui/core/ListItemText';
import TextField from '@material-ui/core/TextField';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import BookmarkBorderIcon from '@material-ui/icons/BookmarkBorder';
import DeleteIcon from '@material-ui/icons/Delete';
import FolderOpenIcon from '@material-ui/icons/FolderOpen';
import Alert from '@material-ui/lab/Alert';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import {
  REPORT_TITLES,
  ReportFilters,
  ReportId,
  SavedReport,
} from '@internal/plugin-billing-common';
import { ConfirmDialog } from '@internal/plugin-dezky-react';
import { billingApiRef, errorMessage } from '../../api';
import { Option } from '../filterOptions';
import { DIRECT } from './reportQuery';

/** The longest name the server takes. */
const MAX_NAME = 100;

/** A saved report's filters for people: `2026-01-01 – 2026-06-30 · EUR · partner nord · by seats · top 25`. */
export function filtersText(filters: ReportFilters): string {
  const parts: string[] = [];
  if (filters.from || filters.to) {
    parts.push(`${filters.from ?? '…'} – ${filters.to ?? 'today'}`);
  } else {
    parts.push('last 12 months');
  }
  if (filters.partner) {
    parts.push(
      filters.partner === DIRECT ? 'direct' : `partner ${filters.partner}`,
    );
  }
  if (filters.currency) parts.push(filters.currency);
  if (filters.interval === 'day') parts.push('per day');
  if (filters.by === 'seats') parts.push('by seats');
  if (filters.limit) parts.push(`top ${filters.limit}`);
  return parts.join(' · ');
}

/** Whom a saved report is for: a partner's staff, or everyone (an operator's). */
function scopeText(saved: SavedReport): string {
  if (!saved.partnerRef) return 'for everyone';
  // partner:default/nordlicht-it → nordlicht-it
  return `for ${saved.partnerRef.split(/[:/]/).pop()}`;
}

/**
 * "Save report": the report on screen with the filters chosen (a default
 * range stays "the last 12 months"), under a name; partner staff save it
 * for their partner — staff of several partners say which (the one the
 * report is filtered to, to begin with) — operators for everyone (the
 * server decides).
 */
function SaveReportDialog(props: {
  open: boolean;
  report: ReportId;
  filters: ReportFilters;
  isOperator: boolean;
  /** The partners a staff member is staff of (the catalog shows them no other). */
  partners: Option[];
  onClose: () => void;
  onSaved: (saved: SavedReport) => void;
}) {
  const { open, report, filters, isOperator, partners, onClose, onSaved } =
    props;
  const api = useApi(billingApiRef);
  const id = useId();
  const [name, setName] = useState('');
  const [partner, setPartner] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const choosePartner = !isOperator && partners.length > 1;
  useEffect(() => {
    if (open) {
      setName('');
      setPartner(
        partners.some(p => p.value === filters.partner) ? filters.partner! : '',
      );
      setError(undefined);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open]);
  const trimmed = name.trim();
  const valid =
    trimmed.length > 0 &&
    trimmed.length <= MAX_NAME &&
    (!choosePartner || partner !== '');

  const save = async () => {
    if (!valid) return;
    setBusy(true);
    setError(undefined);
    try {
      onSaved(
        await api.saveReport({
          name: trimmed,
          report,
          filters,
          ...(choosePartner ? { partner } : {}),
        }),
      );
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <ConfirmDialog
      open={open}
      title="Save report"
      confirmLabel="Save"
      busy={busy}
      confirmDisabled={!valid}
      onConfirm={save}
      onCancel={onClose}
    >
      <Typography variant="body2" component="div" data-testid="save-summary">
        {REPORT_TITLES[report]} · {filtersText(filters)}
      </Typography>
      <Typography variant="body2" color="textSecondary" component="div">
        {isOperator
          ? 'Saved for everyone: operators and every partner’s staff see it (staff with their own partner’s figures only).'
          : 'Saved for your partner: its staff and the operators see it.'}
      </Typography>
      {choosePartner && (
        <TextField
          select
          required
          fullWidth
          margin="normal"
          id={`${id}-partner`}
          label="For partner"
          value={partner}
          onChange={e => setPartner(String(e.target.value))}
          helperText="Its staff see the report"
          data-testid="save-partner"
        >
          {partners.map(p => (
            <MenuItem key={p.value} value={p.value}>
              {p.label}
            </MenuItem>
          ))}
        </TextField>
      )}
      <TextField
        required
        fullWidth
        margin="normal"
        id={`${id}-name`}
        label="Name"
        value={name}
        onChange={e => setName(e.target.value)}
        onKeyDown={e => {
          if (e.key === 'Enter') save();
        }}
        error={trimmed.length > MAX_NAME}
        helperText={
          trimmed.length > MAX_NAME
            ? `At most ${MAX_NAME} characters`
            : 'e.g. EUR MRR this year'
        }
      />
      {error && (
        <Alert severity="error" data-testid="save-error">
          {error}
        </Alert>
      )}
    </ConfirmDialog>
  );
}

/** Delete, or why not: partner staff do not delete the operators' reports. */
function DeleteButton(props: {
  saved: SavedReport;
  isOperator: boolean;
  onDelete: () => void;
}) {
  const { saved, isOperator, onDelete } = props;
  const forbidden = !isOperator && !saved.partnerRef;
  const button = (
    <IconButton
      edge="end"
      aria-label={`Delete ${saved.name}`}
      disabled={forbidden}
      onClick={onDelete}
    >
      <DeleteIcon />
    </IconButton>
  );
  if (!forbidden) return button;
  return (
    <Tooltip title="Saved by an operator for everyone: only operators delete it">
      <span>{button}</span>
    </Tooltip>
  );
}

/**
 * The saved reports the user may see (their partner's and the operators'):
 * Open applies one's report and filters, Delete asks first. And "Save
 * report" for the report on screen.
 */
export function SavedReports(props: {
  report: ReportId;
  filters: ReportFilters;
  isOperator: boolean;
  /** The partners the user may see (staff: their own). */
  partners: Option[];
  onOpen: (saved: SavedReport) => void;
}) {
  const { report, filters, isOperator, partners, onOpen } = props;
  const api = useApi(billingApiRef);
  const saved = useAsyncRetry(() => api.savedReports(), [api]);
  const [listing, setListing] = useState(false);
  const [saving, setSaving] = useState(false);
  const [deleting, setDeleting] = useState<SavedReport>();
  const [busy, setBusy] = useState(false);
  const [deleteError, setDeleteError] = useState<string>();
  const items = saved.value?.items ?? [];

  const remove = async () => {
    if (!deleting) return;
    setBusy(true);
    setDeleteError(undefined);
    try {
      await api.deleteSavedReport(deleting.id);
      setDeleting(undefined);
      saved.retry();
    } catch (e) {
      setDeleteError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  let body;
  if (saved.error) {
    body = (
      <Typography color="error" data-testid="saved-error">
        Saved reports unavailable: {errorMessage(saved.error)}
      </Typography>
    );
  } else if (saved.loading && !saved.value) {
    body = <Progress />;
  } else if (items.length === 0) {
    body = (
      <Typography color="textSecondary" data-testid="saved-none">
        No saved reports yet: choose a report and its filters, then Save report.
      </Typography>
    );
  } else {
    body = (
      <List dense>
        {items.map(s => (
          <ListItem
            key={s.id}
            data-testid="saved-report"
            data-saved={s.id}
            divider
          >
            <ListItemText
              primary={s.name}
              secondary={`${
                REPORT_TITLES[s.report] ?? s.report
              } · ${filtersText(s.filters)} · ${scopeText(s)}`}
            />
            <Button
              size="small"
              color="primary"
              aria-label={`Open ${s.name}`}
              onClick={() => {
                setListing(false);
                onOpen(s);
              }}
            >
              Open
            </Button>
            <DeleteButton
              saved={s}
              isOperator={isOperator}
              onDelete={() => {
                setDeleteError(undefined);
                setDeleting(s);
              }}
            />
          </ListItem>
        ))}
      </List>
    );
  }

  return (
    <>
      <Button
        variant="outlined"
        startIcon={<FolderOpenIcon />}
        onClick={() => setListing(true)}
      >
        {saved.value ? `Saved reports (${items.length})` : 'Saved reports'}
      </Button>
      <Button
        variant="outlined"
        color="primary"
        startIcon={<BookmarkBorderIcon />}
        onClick={() => setSaving(true)}
      >
        Save report
      </Button>
      <Dialog
        open={listing}
        onClose={() => setListing(false)}
        fullWidth
        maxWidth="sm"
        aria-labelledby="saved-reports-title"
      >
        <DialogTitle id="saved-reports-title">Saved reports</DialogTitle>
        <DialogContent>{body}</DialogContent>
        <DialogActions>
          <Button onClick={() => setListing(false)}>Close</Button>
        </DialogActions>
      </Dialog>
      <SaveReportDialog
        open={saving}
        report={report}
        filters={filters}
        isOperator={isOperator}
        partners={partners}
        onClose={() => setSaving(false)}
        onSaved={() => {
          setSaving(false);
          saved.retry();
        }}
      />
      <ConfirmDialog
        open={deleting !== undefined}
        title={`Delete the saved report “${deleting?.name ?? ''}”?`}
        confirmLabel="Delete"
        danger
        busy={busy}
        onConfirm={remove}
        onCancel={() => setDeleting(undefined)}
      >
        {deleting?.partnerRef
          ? 'It is gone for the partner’s staff and the operators.'
          : 'It is gone for everyone: operators and every partner’s staff.'}
        {deleteError && (
          <Alert severity="error" data-testid="delete-error">
            {deleteError}
          </Alert>
        )}
      </ConfirmDialog>
    </>
  );
}
