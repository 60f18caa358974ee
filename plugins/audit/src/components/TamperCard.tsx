import { ReactNode } from 'react';
import { InfoCard } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  AuditStatus,
  AuditVerifyResult,
  auditChainVerifyPermission,
  auditCheckpointCreatePermission,
} from '@internal/plugin-audit-common';
import { countOf, formatTime } from '@internal/plugin-dezky-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import Alert from '@material-ui/lab/Alert';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { auditApiRef, errorMessage, isNotAllowed } from '../api';
import { shortHash } from './chainText';

const useStyles = makeStyles({
  mono: { fontFamily: 'monospace', wordBreak: 'break-all' },
});

function Fact(props: { label: string; children: ReactNode; testId?: string }) {
  return (
    <Typography variant="body2" component="div">
      <Typography variant="caption" color="textSecondary" component="span">
        {props.label}
      </Typography>{' '}
      <span data-testid={props.testId}>{props.children}</span>
    </Typography>
  );
}

/** The outcome of a verification: all good, or the first break. */
export function VerifyResult(props: { result: AuditVerifyResult }) {
  const { result } = props;
  const classes = useStyles();
  if (result.ok) {
    const checkpoints = result.checkpoints ?? 0;
    return (
      <Alert severity="success" data-testid="verify-result">
        Chain verified: {countOf(result.verified, 'event')},{' '}
        {countOf(checkpoints, 'checkpoint')}
      </Alert>
    );
  }
  const br = result.break;
  return (
    <Alert severity="error" data-testid="verify-result">
      {br ? (
        <>
          <strong>
            Break at seq {br.seq}: {br.kind}
          </strong>
          <div>
            Expected: <span className={classes.mono}>{br.expected}</span>
          </div>
          <div>
            Actual: <span className={classes.mono}>{br.actual}</span>
          </div>
          <div>{result.verified} events verified before the break.</div>
        </>
      ) : (
        <strong>The chain does not verify.</strong>
      )}
    </Alert>
  );
}

function StatusFacts(props: { status: AuditStatus }) {
  const { head, latestCheckpoint: cp } = props.status;
  const classes = useStyles();
  return (
    <Grid container spacing={2}>
      <Grid item xs={12} md={6}>
        <Typography variant="subtitle2">Chain head</Typography>
        {head ? (
          <>
            <Fact label="Seq" testId="head-seq">
              {head.seq}
            </Fact>
            <Fact label="Hash">
              <span
                className={classes.mono}
                title={head.hash}
                data-testid="head-hash"
              >
                {shortHash(head.hash)}
              </span>
            </Fact>
          </>
        ) : (
          <Typography variant="body2">No events recorded yet.</Typography>
        )}
      </Grid>
      <Grid item xs={12} md={6}>
        <Typography variant="subtitle2">Latest signed checkpoint</Typography>
        {cp ? (
          <>
            <Fact label="At">
              <span title={cp.at}>{formatTime(cp.at)}</span>
            </Fact>
            <Fact label="Seq" testId="checkpoint-seq">
              {cp.headSeq}
            </Fact>
            <Fact label="Reason">{cp.reason}</Fact>
            <Fact label="Key id">
              <span className={classes.mono}>{cp.kid}</span>
            </Fact>
          </>
        ) : (
          <Typography variant="body2">No checkpoint signed yet.</Typography>
        )}
      </Grid>
    </Grid>
  );
}

/**
 * The chain head, its latest signed checkpoint, a Verify button walking the
 * whole chain and "Sign checkpoint now". Shown to users the permission API
 * allows `audit.chain.verify` (operators); "Sign checkpoint now" only to
 * those it allows `audit.checkpoint.create`.
 */
export function TamperCard() {
  const api = useApi(auditApiRef);
  // what the server's policy decides now, not the groups of the sign-in
  const canVerify = usePermission({
    permission: auditChainVerifyPermission,
  }).allowed;
  const canSign = usePermission({
    permission: auditCheckpointCreatePermission,
  }).allowed;
  const status = useAsyncRetry(
    async () => (canVerify ? api.getStatus() : undefined),
    [api, canVerify],
  );
  const [verifyState, verify] = useAsyncFn(() => api.verify(), [api]);
  const [signState, sign] = useAsyncFn(async () => {
    const checkpoint = await api.createCheckpoint();
    status.retry();
    return checkpoint;
  }, [api, status.retry]);

  if (!canVerify) {
    return null;
  }
  // the route refusing after all (the policy changed since) hides it too
  if (status.error && isNotAllowed(status.error)) {
    return null;
  }
  // nothing until the status is read, so the card does not flash up empty
  if (status.loading && !status.value && !status.error) {
    return null;
  }

  return (
    <InfoCard
      title="Tamper evidence"
      subheader="Every event is hash-chained to the one before; checkpoints sign the head."
    >
      <div data-testid="tamper-card">
        {status.error ? (
          <Alert severity="warning">
            Could not read the chain status: {errorMessage(status.error)}
          </Alert>
        ) : (
          status.value && <StatusFacts status={status.value} />
        )}
        <Box mt={2} display="flex" style={{ gap: 8 }}>
          <Button
            variant="contained"
            color="primary"
            onClick={() => verify()}
            disabled={verifyState.loading}
          >
            {verifyState.loading ? 'Verifying…' : 'Verify'}
          </Button>
          {canSign && (
            <Button
              variant="outlined"
              onClick={() => sign()}
              disabled={signState.loading}
            >
              {signState.loading ? 'Signing…' : 'Sign checkpoint now'}
            </Button>
          )}
        </Box>
        {verifyState.value && (
          <Box mt={2}>
            <VerifyResult result={verifyState.value} />
          </Box>
        )}
        {verifyState.error && (
          <Box mt={2}>
            <Alert severity="warning" data-testid="verify-error">
              Could not verify: {errorMessage(verifyState.error)}
            </Alert>
          </Box>
        )}
        {signState.value && !signState.loading && (
          <Box mt={2}>
            <Alert severity="info" data-testid="sign-result">
              Signed checkpoint at seq {signState.value.headSeq} with key{' '}
              {signState.value.kid}.
            </Alert>
          </Box>
        )}
        {signState.error && (
          <Box mt={2}>
            <Alert severity="warning">
              Could not sign a checkpoint: {errorMessage(signState.error)}
            </Alert>
          </Box>
        )}
      </div>
    </InfoCard>
  );
}
