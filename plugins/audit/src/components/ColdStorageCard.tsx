import { useState } from 'react';
import { InfoCard, TableColumn } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  auditChainVerifyPermission,
  auditCheckpointCreatePermission,
} from '@internal/plugin-audit-common';
import {
  ConfirmDialog,
  countOf,
  DezkyTable,
  formatBytes,
  formatCount,
  formatTime,
} from '@internal/plugin-dezky-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import LinearProgress from '@material-ui/core/LinearProgress';
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
import { shortHash } from './chainText';

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

/** What a run did: the batches and events it archived, or the server's word. */
function describeRun(result: AuditArchiveRunResult): string {
  const archived = result.batches;
  if (archived.length === 0) {
    return (
      result.skipped ??
      'Nothing to archive: no events are older than the retention period.'
    );
  }
  const events = result.events ?? archived.reduce((n, b) => n + b.count, 0);
  const range = seqRange({
    fromSeq: Math.min(...archived.map(b => b.fromSeq)),
    toSeq: Math.max(...archived.map(b => b.toSeq)),
  });
  return `Archived ${countOf(
    archived.length,
    'batch',
    'batches',
  )} with ${countOf(events, 'event')} (seq ${range}).`;
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

/** The Status cell: restored (since when), or only in S3. */
function BatchStatus(props: { batch: AuditArchiveBatch }) {
  const { restoredAt } = props.batch;
  return restoredAt ? (
    <Chip
      size="small"
      color="primary"
      label="Restored"
      title={`Restored ${formatTime(restoredAt)}`}
    />
  ) : (
    <Typography variant="body2" color="textSecondary">
      In S3
    </Typography>
  );
}

/**
 * A batch's buttons: "Search this range" once restored (anyone who sees
 * the card), Restore or "Drop restored copy" (`canChange`).
 */
function BatchActions(props: {
  batch: AuditArchiveBatch;
  canChange: boolean;
  busy: boolean;
  disabled: boolean;
  onRestore: () => void;
  onDrop: () => void;
  onSearch?: () => void;
}) {
  const { batch, canChange, busy, disabled, onRestore, onDrop, onSearch } =
    props;
  const classes = useStyles();
  if (!batch.restoredAt) {
    return canChange ? (
      <Button
        size="small"
        variant="outlined"
        onClick={onRestore}
        disabled={disabled}
      >
        {busy ? 'Restoring…' : 'Restore'}
      </Button>
    ) : null;
  }
  return (
    <Box display="flex" style={{ gap: 8 }}>
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
      {canChange && (
        <Button
          size="small"
          variant="outlined"
          onClick={onDrop}
          disabled={disabled}
          className={classes.nowrap}
        >
          {busy ? 'Dropping…' : 'Drop restored copy'}
        </Button>
      )}
    </Box>
  );
}

/**
 * The batches of events archived to cold storage (S3), with "Run now" and,
 * per batch, Restore / Drop restored copy and "Search this range". Shown to
 * users the permission API allows `audit.chain.verify` (operators); "Run
 * now", Restore and Drop only to those it allows `audit.checkpoint.create`.
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
  // what the server's policy decides now, not the groups of the sign-in
  const canList = usePermission({
    permission: auditChainVerifyPermission,
  }).allowed;
  const canChange = usePermission({
    permission: auditCheckpointCreatePermission,
  }).allowed;
  const batches = useAsyncRetry(
    async () => (canList ? api.listArchiveBatches() : undefined),
    [api, canList],
  );
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
          return `Restored ${countOf(
            restored,
            'event',
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

  if (!canList) {
    return null;
  }
  // the route refusing after all (the policy changed since) hides it too
  if (batches.error && isNotAllowed(batches.error)) {
    return null;
  }
  // nothing until the list is read, so the card does not flash up empty
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
    // the table hands its own copies of the rows to the cells
    const byId = new Map(batches.value.map(b => [b.id, b]));
    const batchOf = (row: AuditArchiveBatch) => byId.get(row.id) ?? row;
    const columns: TableColumn<AuditArchiveBatch>[] = [
      {
        title: 'Archived at',
        field: 'archivedAt',
        render: b => (
          <span className={classes.nowrap} title={b.archivedAt}>
            {formatTime(b.archivedAt)}
          </span>
        ),
      },
      {
        title: 'Seq range',
        field: 'fromSeq',
        render: b => (
          <span className={classes.nowrap} title={b.objectKey}>
            {seqRange(b)}
          </span>
        ),
      },
      {
        title: 'Events',
        field: 'count',
        type: 'numeric',
        render: b => formatCount(b.count),
      },
      {
        title: 'Size',
        field: 'bytes',
        type: 'numeric',
        render: b => (
          <span
            className={classes.nowrap}
            title={`${formatCount(b.bytes)} bytes`}
          >
            {formatBytes(b.bytes)}
          </span>
        ),
      },
      {
        title: 'Manifest SHA-256',
        field: 'manifestSha256',
        render: b => (
          <span
            className={classes.mono}
            title={b.manifestSha256}
            data-testid="archive-manifest"
          >
            {shortHash(b.manifestSha256)}
          </span>
        ),
      },
      {
        title: 'Status',
        field: 'restoredAt',
        render: b => <BatchStatus batch={b} />,
      },
      {
        title: '',
        sorting: false,
        render: row => {
          const b = batchOf(row);
          return (
            <BatchActions
              batch={b}
              canChange={canChange}
              busy={busyId === b.id}
              disabled={actState.loading}
              onRestore={() => act({ kind: 'restore', batch: b })}
              onDrop={() => ask({ kind: 'drop', batch: b })}
              onSearch={onSearchArchive && (() => onSearchArchive(b))}
            />
          );
        },
      },
    ];
    body = (
      <div data-testid="archive-batches">
        <DezkyTable<AuditArchiveBatch>
          columns={columns}
          data={batches.value}
          options={{ toolbar: false }}
          rowProps={b => ({
            'data-testid': 'archive-batch-row',
            'data-batch': String(b.id),
          })}
        />
      </div>
    );
  }

  const runButton = canChange ? (
    <Button
      variant="outlined"
      onClick={() => ask({ kind: 'run' })}
      disabled={actState.loading}
      className={classes.nowrap}
    >
      {actState.loading && last?.kind === 'run' ? 'Archiving…' : 'Run now'}
    </Button>
  ) : undefined;

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
        danger
        onConfirm={confirm}
        onCancel={cancel}
      >
        Its events are no longer searchable; the batch stays archived in S3 and
        can be restored again.
      </ConfirmDialog>
    </InfoCard>
  );
}
