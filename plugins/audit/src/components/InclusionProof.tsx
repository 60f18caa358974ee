import { useApiHolder } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  AuditEvent,
  auditChainVerifyPermission,
  checkInclusion,
} from '@internal/plugin-audit-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import { makeStyles } from '@material-ui/core/styles';
import Alert from '@material-ui/lab/Alert';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import { auditApiRef, errorMessage } from '../api';
import { shortHash } from './chainText';

const useStyles = makeStyles({
  mono: { fontFamily: 'monospace' },
});

type Outcome =
  | { kind: 'not-yet'; treeSize: number }
  | { kind: 'verified'; treeSize: number; rootHash: string }
  | { kind: 'failed'; treeSize: number; reason: string };

/**
 * "Prove inclusion" for an event: fetches the latest signed checkpoint note,
 * then the server's inclusion proof of the event in that tree, and checks
 * the proof in the browser (`plugin-audit-common`'s RFC 9162
 * verifier) against the note's root.
 * Offered to users the permission API allows `audit.chain.verify`
 * (operators), when an audit API is at hand.
 */
export function InclusionProof(props: { event: AuditEvent }) {
  const { event } = props;
  const api = useApiHolder().get(auditApiRef);
  const classes = useStyles();
  // what the server's policy decides now, not the groups of the sign-in
  const { allowed } = usePermission({ permission: auditChainVerifyPermission });
  const [state, prove] = useAsyncFn(async (): Promise<Outcome> => {
    if (!api) throw new Error('The audit API is not available');
    // the latest signed note at the time of asking
    const note = await api.latestCheckpointNote();
    if (event.seq > note.treeSize) {
      return { kind: 'not-yet', treeSize: note.treeSize };
    }
    const proof = await api.inclusionProof(event.seq, note.treeSize);
    const check = checkInclusion({
      checkpoint: note,
      proof,
      eventHash: event.hash,
      seq: event.seq,
    });
    return check.ok
      ? { kind: 'verified', treeSize: note.treeSize, rootHash: note.rootHash }
      : { kind: 'failed', treeSize: note.treeSize, reason: check.reason };
  }, [api, event]);

  if (!api || !allowed) return null;

  const outcome = state.loading ? undefined : state.value;
  return (
    <Box mb={2} data-testid="inclusion-proof">
      <Button
        variant="outlined"
        size="small"
        onClick={() => prove()}
        disabled={state.loading}
      >
        {state.loading ? 'Proving…' : 'Prove inclusion'}
      </Button>
      {outcome?.kind === 'verified' && (
        <Box mt={1}>
          <Alert severity="success" data-testid="inclusion-result">
            Included in the signed tree of size {outcome.treeSize} (root{' '}
            <span className={classes.mono} title={outcome.rootHash}>
              {shortHash(outcome.rootHash)}
            </span>
            ): verified
          </Alert>
        </Box>
      )}
      {outcome?.kind === 'failed' && (
        <Box mt={1}>
          <Alert severity="error" data-testid="inclusion-result">
            <strong>Proof does not verify</strong> against the signed tree of
            size {outcome.treeSize}: {outcome.reason}.
          </Alert>
        </Box>
      )}
      {outcome?.kind === 'not-yet' && (
        <Box mt={1}>
          <Alert severity="info" data-testid="inclusion-result">
            Not yet in the latest signed tree (size {outcome.treeSize}); sign a
            checkpoint first
          </Alert>
        </Box>
      )}
      {state.error && !state.loading && (
        <Box mt={1}>
          <Alert severity="warning" data-testid="inclusion-error">
            Could not prove inclusion: {errorMessage(state.error)}
          </Alert>
        </Box>
      )}
    </Box>
  );
}
