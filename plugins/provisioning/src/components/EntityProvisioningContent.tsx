import { useCallback, useEffect, useRef, useState } from 'react';
import { InfoCard } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Card from '@material-ui/core/Card';
import CardContent from '@material-ui/core/CardContent';
import CardHeader from '@material-ui/core/CardHeader';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import { alpha, makeStyles, useTheme } from '@material-ui/core/styles';
import Alert from '@material-ui/lab/Alert';
import {
  DnsRecord,
  ProvisioningAttempt,
  StepDetail,
  TenantPhase,
  TenantProvisioningDetail,
} from '@internal/plugin-provisioning-common';
import {
  DezkyTable,
  PageState,
  StatusChip,
  formatDuration,
  formatTime,
  formatValue,
} from '@internal/plugin-dezky-react';
import { errorMessage, isNotFound, provisioningApiRef } from '../api';
import { CopyButton } from './CopyButton';
import { DangerZone } from './DangerZone';
import { LifecycleChip } from './LifecycleChip';
import { PhaseChip } from './PhaseChip';
import { ComparisonRow, compare } from './provisioningText';
import { ReconcileButton } from './ReconcileButton';
import { Ago, RetryCountdown } from './RelativeTime';
import { useReconcile } from './useReconcile';

/** How often the tab re-reads while a step is pending or has a retry due (or the tenant is not known yet). */
export const POLL_MS = 3_000;

const PHASE_MEANING: Record<TenantPhase, string> = {
  pending: 'Not every step it needs is ok yet.',
  active: 'Every step it needs is ok.',
  degraded: 'A step it needs is in error after having been ok.',
};

const useStyles = makeStyles(theme => ({
  mono: {
    fontFamily: 'monospace',
    fontSize: '0.85em',
    overflowWrap: 'anywhere',
  },
  value: {
    fontFamily: 'monospace',
    fontSize: '0.85em',
    overflowWrap: 'anywhere',
    userSelect: 'all',
  },
  facts: {
    display: 'grid',
    gridTemplateColumns: 'max-content 1fr',
    columnGap: theme.spacing(2),
    rowGap: theme.spacing(0.5),
    margin: 0,
    '& dt': { color: theme.palette.text.secondary },
    '& dd': { margin: 0 },
  },
}));

interface DetailState {
  name: string;
  value?: TenantProvisioningDetail;
  error?: Error;
  /** A later read failed: the last answer stays. */
  refreshError?: string;
}

/**
 * A tenant's provisioning in detail; `refresh` re-reads it keeping what is
 * on screen, `set` shows a newer answer (a reconcile's).
 */
function useTenantDetail(name: string) {
  const api = useApi(provisioningApiRef);
  const current = useRef(name);
  const [state, setState] = useState<DetailState>({ name });

  const load = useCallback(
    (n: string) =>
      api.getTenant(n).then(
        value => {
          if (current.current === n) setState({ name: n, value });
        },
        error => {
          if (current.current !== n) return;
          setState(s =>
            s.name === n && s.value
              ? { ...s, refreshError: errorMessage(error) }
              : { name: n, error },
          );
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
  const set = useCallback(
    (value: TenantProvisioningDetail) =>
      setState(s => (s.name === value.tenant ? { name: s.name, value } : s)),
    [],
  );
  const fresh = state.name === name;
  return {
    value: fresh ? state.value : undefined,
    error: fresh ? state.error : undefined,
    refreshError: fresh ? state.refreshError : undefined,
    refresh,
    set,
  };
}

function Facts(props: { step: StepDetail }) {
  const { step } = props;
  const classes = useStyles();
  return (
    <dl className={classes.facts} data-testid="step-facts">
      <dt>Since</dt>
      <dd>
        <Ago at={step.lastTransitionTime} />
      </dd>
      <dt>Attempts</dt>
      <dd data-testid="step-attempts">{step.attempts}</dd>
      {step.nextAttemptAt && (
        <>
          <dt>Next retry</dt>
          <dd>
            <RetryCountdown at={step.nextAttemptAt} />
          </dd>
        </>
      )}
      <dt>Last attempt</dt>
      <dd>
        <Ago at={step.lastAttemptAt} />
      </dd>
      <dt>Last ok</dt>
      <dd>
        <Ago at={step.lastOkAt} />
      </dd>
    </dl>
  );
}

/** What exists outside, with its ids (`external`). */
function Exists(props: { external?: Record<string, string> }) {
  const classes = useStyles();
  const entries = Object.entries(props.external ?? {});
  return (
    <Box mt={2} data-testid="step-external">
      <Typography variant="subtitle2">What exists</Typography>
      {entries.length === 0 ? (
        <Typography variant="body2" color="textSecondary">
          Nothing yet.
        </Typography>
      ) : (
        <dl className={classes.facts}>
          {entries.map(([key, id]) => (
            <Box key={key} display="contents">
              <dt>{key}</dt>
              <dd className={classes.value}>{id}</dd>
            </Box>
          ))}
        </dl>
      )}
    </Box>
  );
}

/** Desired vs observed side by side, the fields that differ highlighted and said. */
function Comparison(props: { step: StepDetail }) {
  const { step } = props;
  const classes = useStyles();
  const theme = useTheme();
  if (!step.desired && !step.observed) {
    return (
      <Typography variant="body2" color="textSecondary">
        Nothing asked of this system for the tenant.
      </Typography>
    );
  }
  const rows = compare(step.desired, step.observed, step.differences);
  const value = (v: unknown) => (
    <span className={classes.mono}>{formatValue(v)}</span>
  );
  return (
    <>
      <Typography
        variant="body2"
        color={step.differences.length ? 'error' : 'textSecondary'}
        data-testid="step-differences"
      >
        {step.differences.length === 0 &&
          (step.observed ? 'In sync.' : 'Not observed yet.')}
        {step.differences.length === 1 &&
          `1 difference: ${step.differences[0]}`}
        {step.differences.length > 1 &&
          `${step.differences.length} differences: ${step.differences.join(
            ', ',
          )}`}
      </Typography>
      <DezkyTable<ComparisonRow>
        columns={[
          {
            title: 'Field',
            render: r => (
              <>
                <span className={classes.mono}>{r.field}</span>
                {r.differs && (
                  <Typography variant="caption" color="error" component="span">
                    {' '}
                    differs
                  </Typography>
                )}
              </>
            ),
          },
          { title: 'Desired', render: r => value(r.desired) },
          { title: 'Observed', render: r => value(r.observed) },
        ]}
        data={rows}
        options={{
          toolbar: false,
          paging: false,
          sorting: false,
          rowStyle: (r: ComparisonRow) =>
            r.differs
              ? { background: alpha(theme.palette.warning.main, 0.15) }
              : {},
        }}
        rowProps={r => ({
          'data-testid': 'comparison-row',
          'data-field': r.field,
          'data-differs': String(r.differs),
        })}
      />
    </>
  );
}

/** A DNS record's value with a button copying it. */
function CopyableValue(props: { record: DnsRecord }) {
  const { record } = props;
  const classes = useStyles();
  return (
    <Box display="flex" alignItems="flex-start" style={{ gap: 4 }}>
      <span className={classes.value}>{record.value}</span>
      <CopyButton
        text={record.value}
        label={`Copy the ${record.type} value of ${record.name}`}
      />
    </Box>
  );
}

/** The records Stalwart asks to publish, per mail domain. */
function DnsRecords(props: { zones: TenantProvisioningDetail['dnsRecords'] }) {
  const classes = useStyles();
  return (
    <Box mt={2} data-testid="dns-records">
      <Typography variant="subtitle2">DNS records to publish</Typography>
      {props.zones.length === 0 && (
        <Typography variant="body2" color="textSecondary">
          No DNS records read from Stalwart yet.
        </Typography>
      )}
      {props.zones.map(zone => (
        <Box
          key={zone.domain}
          mt={1}
          component="section"
          aria-label={`DNS records of ${zone.domain}`}
        >
          <Typography variant="body2">
            <strong>{zone.domain}</strong>{' '}
            <Typography
              variant="caption"
              color="textSecondary"
              component="span"
            >
              read <Ago at={zone.readAt} />
            </Typography>
          </Typography>
          <DezkyTable<DnsRecord>
            columns={[
              {
                title: 'Name',
                render: r => <span className={classes.value}>{r.name}</span>,
              },
              { title: 'Type', field: 'type' },
              { title: 'Value', render: r => <CopyableValue record={r} /> },
            ]}
            data={zone.records}
            options={{ toolbar: false, sorting: false }}
            rowProps={r => ({
              'data-testid': 'dns-record',
              'data-name': r.name,
              'data-type': r.type,
            })}
          />
        </Box>
      ))}
    </Box>
  );
}

function StepCard(props: {
  step: StepDetail;
  dnsRecords?: TenantProvisioningDetail['dnsRecords'];
}) {
  const { step, dnsRecords } = props;
  return (
    <Card
      variant="outlined"
      component="section"
      aria-label={`${step.step} step`}
      data-testid="step-card"
      data-step={step.step}
    >
      <CardHeader
        title={step.step}
        titleTypographyProps={{ variant: 'h6' }}
        subheader={step.reason}
        subheaderTypographyProps={{ variant: 'body2' }}
        action={<StatusChip status={step.status} data-testid="step-status" />}
      />
      <CardContent>
        {step.message && (
          <Typography
            variant="body2"
            color={step.status === 'error' ? 'error' : 'textPrimary'}
            data-testid="step-message"
            gutterBottom
          >
            {step.message}
          </Typography>
        )}
        <Grid container spacing={3}>
          <Grid item xs={12} md={4}>
            <Facts step={step} />
            <Exists external={step.external} />
          </Grid>
          <Grid item xs={12} md={8}>
            <Typography variant="subtitle2">Desired vs observed</Typography>
            <Comparison step={step} />
          </Grid>
        </Grid>
        {dnsRecords && <DnsRecords zones={dnsRecords} />}
      </CardContent>
    </Card>
  );
}

function Attempts(props: { attempts: ProvisioningAttempt[] }) {
  const classes = useStyles();
  if (props.attempts.length === 0) {
    return (
      <Typography color="textSecondary" data-testid="no-attempts">
        No attempts yet.
      </Typography>
    );
  }
  return (
    <DezkyTable<ProvisioningAttempt>
      columns={[
        { title: 'When', render: a => formatTime(a.startedAt) },
        { title: 'Step', field: 'step' },
        { title: 'Trigger', field: 'trigger' },
        {
          title: 'Took',
          render: a =>
            formatDuration(Date.parse(a.finishedAt) - Date.parse(a.startedAt)),
        },
        {
          title: 'Status',
          render: a => <StatusChip status={a.status} />,
        },
        { title: 'Message', render: a => a.message ?? '' },
        {
          title: 'Changes',
          render: a =>
            a.changes.length === 0 ? (
              '—'
            ) : (
              <ul style={{ margin: 0, paddingLeft: 16 }}>
                {a.changes.map((c, i) => (
                  <li key={i} className={classes.mono}>
                    {c}
                  </li>
                ))}
              </ul>
            ),
        },
      ]}
      data={props.attempts}
      options={{ toolbar: false, sorting: false }}
      rowProps={a => ({
        'data-testid': 'provisioning-attempt',
        'data-step': a.step,
      })}
    />
  );
}

/**
 * The Provisioning tab of a Tenant's page: its phase; a card per step with
 * its status, reason and message, since when, attempts, next retry, what
 * exists outside (the ids) and desired vs observed with the differences
 * highlighted — Stalwart's with the DNS records to publish per domain; the
 * recent attempts; Reconcile for those the server allows; its status
 * (active, suspended, terminating, terminated) and the Danger zone to
 * suspend, resume or terminate it. Re-read every 3 s
 * while a step is pending or in error with a retry due, so a retry's outcome
 * shows without a click.
 */
export function EntityProvisioningContent() {
  const { entity } = useEntity();
  const name = entity.metadata.name;
  const detail = useTenantDetail(name);
  const { set, refresh } = detail;
  const onResult = useCallback(
    ({ tenant }: { tenant: TenantProvisioningDetail }) => set(tenant),
    [set],
  );
  const { states, reconcile } = useReconcile(onResult);

  const notFound = isNotFound(detail.error);
  // the engine is still at work: a step pending, or in error with a retry
  const working = Boolean(
    detail.value?.steps.some(
      s =>
        s.status === 'pending' ||
        (s.status === 'error' && s.nextAttemptAt !== undefined),
    ),
  );
  useEffect(() => {
    if (!working && !notFound) return undefined;
    const id = setInterval(refresh, POLL_MS);
    return () => clearInterval(id);
  }, [working, notFound, refresh]);

  return (
    <PageState
      inline
      loading={!detail.value && !detail.error}
      error={notFound ? undefined : detail.error}
      empty={
        notFound && {
          title: 'No provisioning for this tenant yet',
          description:
            'The provisioning engine has not picked this tenant up yet (it reads new tenants from the catalog), or it is not yours to see. This tab checks again every few seconds.',
        }
      }
    >
      {() => {
        const tenant = detail.value!;
        return (
          <Grid container spacing={3}>
            <Grid item xs={12}>
              <InfoCard
                title="Provisioning"
                action={
                  <ReconcileButton
                    tenant={tenant.tenant}
                    state={states[tenant.tenant]}
                    onReconcile={() => reconcile(tenant.tenant)}
                    size="medium"
                  />
                }
              >
                <Box display="flex" alignItems="center" style={{ gap: 8 }}>
                  <LifecycleChip lifecycle={tenant.lifecycle} />
                  <PhaseChip phase={tenant.phase} />
                  <Typography variant="body2" data-testid="phase-meaning">
                    {PHASE_MEANING[tenant.phase]}
                  </Typography>
                  {working && (
                    <Typography variant="caption" color="textSecondary">
                      Checking again every {POLL_MS / 1000} s while a step is
                      pending or a retry is due.
                    </Typography>
                  )}
                </Box>
                {detail.refreshError && (
                  <Alert severity="warning" style={{ marginTop: 16 }}>
                    Refresh failed: {detail.refreshError}
                  </Alert>
                )}
              </InfoCard>
            </Grid>
            {tenant.steps.map(step => (
              <Grid item xs={12} key={step.step}>
                <StepCard
                  step={step}
                  dnsRecords={
                    step.step === 'stalwart' ? tenant.dnsRecords : undefined
                  }
                />
              </Grid>
            ))}
            <Grid item xs={12}>
              <InfoCard title="Recent attempts">
                <Attempts attempts={tenant.attempts} />
              </InfoCard>
            </Grid>
            <Grid item xs={12}>
              <DangerZone tenant={tenant} onResult={set} onRefused={refresh} />
            </Grid>
          </Grid>
        );
      }}
    </PageState>
  );
}
