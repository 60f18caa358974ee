import { useState } from 'react';
import { InfoCard } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import LinearProgress from '@material-ui/core/LinearProgress';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import Alert from '@material-ui/lab/Alert';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import {
  AuditArchiveBatch,
  AuditArchiveRunResult,
  auditApiRef,
  errorMessage,
  isNotAllowed,
} from '../api';
import { ConfirmDialog } from './ConfirmDialog';
import { formatBytes, formatCount, formatTime, shortHash } from './format';

const useStyles = makeStyles({
  mono: { fontFamily: 'monospace', fontSize: '0.85em' },
  nowrap: { whiteSpace: 'nowrap' },
});

/** Something the card does, for its result line and its confirmations. */
type Action =
  | { kind: 'run' }
  | { kind: 'restore'; batch: AuditArchiveBatch }
  | { kind: 'drop'; batch: AuditArchiveBatch };

const seqRange = (b: { fromSeq: number; toSeq: number }) =>
  `${b.fromSeq}–${b.toSeq}`;

const plural = (n: number, one: string, many: string) =>
  `${formatCount(n)} ${n === 1 ? one : many}`;

/** What a run did: the batches and events it archived, or the server's word. */
function describeRun(result: AuditArchiveRunResult): string {
  const archived = result.batches;
  if (archived.length === 0) {
    return (
      result.message ??
      result.skipped ??
      'Nothing to archive: no events are older than the retention period.'
    );
  }
  const events = result.events ?? archived.reduce((n, b) => n + b.count, 0);
  const range = seqRange({
    fromSeq: Math.min(...archived.map(b => b.fromSeq)),
    toSeq: Math.max(...archived.map(b => b.toSeq)),
  });
  const batches = plural(archived.length, 'batch', 'batches');
  return `Archived ${batches} with ${plural(
    events,
    'event',
    'events',
  )} (seq ${range}).`;
}

/** What went wrong, phrased for the action that failed. */
function failure(action: Action | undefined, error: unknown): string {
  const why = errorMessage(error);
  switch (action?.kind) {
    case 'restore':
      return `Could not restore seq ${seqRange(action.batch)}: ${why}`;
    case 'drop':
      return `Could not drop the restored copy of seq ${seqRange(
        action.batch,
      )}: ${why}`;
    default:
      return `Could not archive: ${why}`;
  }
}

function BatchRow(props: {
  batch: AuditArchiveBatch;
  busy: boolean;
  disabled: boolean;
  onRestore: () => void;
  onDrop: () => void;
  onSearch?: () => void;
}) {
  const { batch: b, busy, disabled, onRestore, onDrop, onSearch } = props;
  const classes = useStyles();
  return (
    <TableRow data-testid="archive-batch-row">
      <TableCell className={classes.nowrap} title={b.archivedAt}>
        {formatTime(b.archivedAt)}
      </TableCell>
      <TableCell className={classes.nowrap} title={b.objectKey}>
        {seqRange(b)}
      </TableCell>
      <TableCell align="right">{formatCount(b.count)}</TableCell>
      <TableCell align="right" className={classes.nowrap}>
        <span title={`${formatCount(b.bytes)} bytes`}>
          {formatBytes(b.bytes)}
        </span>
      </TableCell>
      <TableCell>
        <span
          className={classes.mono}
          title={b.manifestSha256}
          data-testid="archive-manifest"
        >
          {shortHash(b.manifestSha256)}
        </span>
      </TableCell>
      <TableCell>
        {b.restoredAt ? (
          <Chip
            size="small"
            color="primary"
            label="Restored"
            title={`Restored ${formatTime(b.restoredAt)}`}
          />
        ) : (
          <Typography variant="body2" color="textSecondary">
            In S3
          </Typography>
        )}
      </TableCell>
      <TableCell>
        <Box display="flex" style={{ gap: 8 }}>
          {b.restoredAt ? (
            <>
              {onSearch && (
                <Button
                  size="small"
                  color="primary"
                  onClick={onSearch}
                  className={classes.nowrap}
                >
                  Search this range
                </Button>
              )}
              <Button
                size="small"
                variant="outlined"
                onClick={onDrop}
                disabled={disabled}
                className={classes.nowrap}
              >
                {busy ? 'Dropping…' : 'Drop restored copy'}
              </Button>
            </>
          ) : (
            <Button
              size="small"
              variant="outlined"
              onClick={onRestore}
              disabled={disabled}
            >
              {busy ? 'Restoring…' : 'Restore'}
            </Button>
          )}
        </Box>
      </TableCell>
    </TableRow>
  );
}

/**
 * The batches of events archived to cold storage (S3), with "Run now" and,
 * per batch, Restore / Drop restored copy and "Search this range". Renders
 * nothing for users the server does not let list the batches.
 */
export function ColdStorageCard(props: {
  /** After a run, a restore or a drop: the events shown may have changed. */
  onChanged?: () => void;
  /** "Search this range" on a restored batch: show the archive tier. */
  onSearchArchive?: (batch: AuditArchiveBatch) => void;
}) {
  const { onChanged, onSearchArchive } = props;
  const api = useApi(auditApiRef);
  const classes = useStyles();
  const batches = useAsyncRetry(() => api.listArchiveBatches(), [api]);
  // the action kept while its dialog fades out, so its title stays put
  const [confirming, setConfirming] = useState<{
    action: Action;
    open: boolean;
  }>();
  const [last, setLast] = useState<Action>();

  const [actState, act] = useAsyncFn(
    async (action: Action): Promise<string> => {
      setLast(action);
      try {
        if (action.kind === 'run') {
          return describeRun(await api.runArchive());
        }
        const range = seqRange(action.batch);
        if (action.kind === 'restore') {
          const { restored } = await api.restoreBatch(action.batch.id);
          return `Restored ${plural(
            restored,
            'event',
            'events',
          )} of seq ${range}: search them with the tier “Archived (restored)”.`;
        }
        await api.dropRestoredBatch(action.batch.id);
        return `Dropped the restored copy of seq ${range}; the batch stays archived in S3.`;
      } finally {
        // even a failed run may have archived some batches
        batches.retry();
        onChanged?.();
      }
    },
    [api, batches.retry, onChanged],
  );

  if (batches.error && isNotAllowed(batches.error)) {
    return null;
  }
  // nothing until the server has said whether this user may see it
  if (batches.loading && !batches.value && !batches.error) {
    return null;
  }

  const ask = (action: Action) => setConfirming({ action, open: true });
  const cancel = () => setConfirming(c => c && { ...c, open: false });
  const confirm = () => {
    if (confirming?.open) act(confirming.action);
    cancel();
  };
  const asking = confirming?.open ? confirming.action.kind : undefined;
  const dropping =
    confirming?.action.kind === 'drop' ? confirming.action.batch : undefined;
  const busyId =
    actState.loading && last?.kind !== 'run' ? last?.batch.id : undefined;

  let body;
  if (batches.error) {
    body = (
      <Alert severity="warning">
        Could not list the archived batches: {errorMessage(batches.error)}
      </Alert>
    );
  } else if (!batches.value || batches.value.length === 0) {
    body = (
      <Typography variant="body2" data-testid="archive-empty">
        Nothing archived yet: events stay hot for the retention period.
      </Typography>
    );
  } else {
    body = (
      <Table
        size="small"
        aria-label="Archived batches"
        data-testid="archive-batches"
      >
        <TableHead>
          <TableRow>
            <TableCell>Archived at</TableCell>
            <TableCell>Seq range</TableCell>
            <TableCell align="right">Events</TableCell>
            <TableCell align="right">Size</TableCell>
            <TableCell>Manifest SHA-256</TableCell>
            <TableCell>Status</TableCell>
            <TableCell />
          </TableRow>
        </TableHead>
        <TableBody>
          {batches.value.map(b => (
            <BatchRow
              key={b.id}
              batch={b}
              busy={busyId === b.id}
              disabled={actState.loading}
              onRestore={() => act({ kind: 'restore', batch: b })}
              onDrop={() => ask({ kind: 'drop', batch: b })}
              onSearch={onSearchArchive && (() => onSearchArchive(b))}
            />
          ))}
        </TableBody>
      </Table>
    );
  }

  const runButton = (
    <Button
      variant="outlined"
      onClick={() => ask({ kind: 'run' })}
      disabled={actState.loading}
      className={classes.nowrap}
    >
      {actState.loading && last?.kind === 'run' ? 'Archiving…' : 'Run now'}
    </Button>
  );

  return (
    <InfoCard
      title="Cold storage"
      subheader="Events older than the retention move to S3 in batches with a SHA-256 manifest; restore a batch to search it."
      action={runButton}
    >
      <div data-testid="cold-storage-card">
        {batches.loading && <LinearProgress />}
        {body}
        {actState.value && !actState.loading && (
          <Box mt={2}>
            <Alert severity="info" data-testid="archive-result">
              {actState.value}
            </Alert>
          </Box>
        )}
        {actState.error && !actState.loading && (
          <Box mt={2}>
            <Alert severity="warning" data-testid="archive-error">
              {failure(last, actState.error)}
            </Alert>
          </Box>
        )}
      </div>
      <ConfirmDialog
        open={asking === 'run'}
        title="Archive events older than the retention to S3 now?"
        confirmLabel="Archive now"
        onConfirm={confirm}
        onCancel={cancel}
      >
        Archived events are searched by restoring their batch.
      </ConfirmDialog>
      <ConfirmDialog
        open={asking === 'drop'}
        title={
          dropping ? `Drop the restored copy of seq ${seqRange(dropping)}?` : ''
        }
        confirmLabel="Drop"
        onConfirm={confirm}
        onCancel={cancel}
      >
        Its events are no longer searchable; the batch stays archived in S3 and
        can be restored again.
      </ConfirmDialog>
    </InfoCard>
  );
}
