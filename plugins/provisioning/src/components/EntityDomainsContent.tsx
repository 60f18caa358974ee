import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Card from '@material-ui/core/Card';
import CardContent from '@material-ui/core/CardContent';
import CardHeader from '@material-ui/core/CardHeader';
import CircularProgress from '@material-ui/core/CircularProgress';
import Grid from '@material-ui/core/Grid';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import RefreshIcon from '@material-ui/icons/Refresh';
import Alert from '@material-ui/lab/Alert';
import {
  DMARC_POLICIES,
  DmarcPolicy,
  DnsCheckStatus,
  DomainRecordCheck,
  provisioningTenantDomainsManagePermission,
  TenantDomain,
  TenantDomainList,
} from '@internal/plugin-provisioning-common';
import {
  ConfirmDialog,
  DezkyTable,
  PageState,
  StatusChip,
  StatusTone,
} from '@internal/plugin-dezky-react';
import { errorMessage, isNotFound, provisioningApiRef } from '../api';
import { CopyButton } from './CopyButton';
import { tenantResourceRef } from './ReconcileButton';
import { Ago, DueIn } from './RelativeTime';

const useStyles = makeStyles(theme => ({
  mono: {
    fontFamily: 'monospace',
    fontSize: '0.85em',
    overflowWrap: 'anywhere',
  },
  publish: {
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

const CHECK_TONE: Record<DnsCheckStatus, StatusTone> = {
  ok: 'good',
  missing: 'bad',
  different: 'warning',
  pending: 'neutral',
  error: 'bad',
  unchecked: 'neutral',
};

/** What an unverified domain's card says under its name. */
function subheader(domain: TenantDomain, notOk: number): string {
  if (
    domain.records.every(
      r => r.status === 'unchecked' || r.status === 'pending',
    )
  ) {
    return 'Not checked yet: press Recheck, or wait for the scheduled check. The records to publish are below.';
  }
  return `${notOk} of ${domain.records.length} records not as expected: publish the records below.`;
}

const KIND_LABEL: Record<DomainRecordCheck['kind'], string> = {
  mx: 'MX',
  spf: 'SPF',
  dkim: 'DKIM',
  dmarc: 'DMARC',
  ownership: 'Ownership',
};

/** What the resolvers found for a record, said for people. */
function Found(props: { record: DomainRecordCheck }) {
  const { record } = props;
  const classes = useStyles();
  if (!record.found?.length) {
    const known =
      record.status !== 'pending' &&
      record.status !== 'error' &&
      record.status !== 'unchecked';
    return (
      <Typography variant="body2" color="textSecondary" component="span">
        {known ? 'nothing found' : '—'}
      </Typography>
    );
  }
  return (
    <>
      {record.found.map((value, i) => (
        <div key={i} className={classes.mono} data-testid="record-found">
          {value}
        </div>
      ))}
    </>
  );
}

/** The zone-file line to publish with its copy button. */
function Publish(props: { record: DomainRecordCheck }) {
  const { record } = props;
  const classes = useStyles();
  if (!record.publish) {
    return (
      <Typography variant="body2" color="textSecondary" component="span">
        Not known yet
      </Typography>
    );
  }
  return (
    <Box display="flex" alignItems="flex-start" style={{ gap: 4 }}>
      <code className={classes.publish} data-testid="record-publish">
        {record.publish}
      </code>
      <CopyButton
        text={record.publish}
        label={`Copy the ${KIND_LABEL[record.kind]} record of ${record.name}`}
      />
    </Box>
  );
}

function Records(props: { domain: TenantDomain }) {
  const classes = useStyles();
  return (
    <DezkyTable<DomainRecordCheck>
      columns={[
        {
          title: 'Record',
          render: r => (
            <>
              <strong>{KIND_LABEL[r.kind]}</strong>{' '}
              <span className={classes.mono}>
                {r.type} {r.name}
              </span>
            </>
          ),
        },
        {
          title: 'Status',
          render: r => (
            <StatusChip
              status={r.status === 'unchecked' ? 'not checked' : r.status}
              tone={CHECK_TONE[r.status]}
              data-testid="record-status"
            />
          ),
        },
        {
          title: 'Expected',
          render: r => (
            <span className={classes.mono}>{r.expected ?? '—'}</span>
          ),
        },
        {
          title: 'Found',
          render: r => (
            <>
              <Found record={r} />
              {r.message && (
                <Typography
                  variant="caption"
                  color={r.status === 'ok' ? 'textSecondary' : 'error'}
                  data-testid="record-message"
                >
                  {r.message}
                </Typography>
              )}
            </>
          ),
        },
        { title: 'Record to publish', render: r => <Publish record={r} /> },
      ]}
      data={props.domain.records}
      options={{ toolbar: false, paging: false, sorting: false }}
      rowProps={r => ({
        'data-testid': 'domain-record',
        'data-kind': r.kind,
        'data-status': r.status,
      })}
    />
  );
}

/** The DMARC policy: a select and a report address, saved after a confirmation. */
function DmarcForm(props: {
  tenant: string;
  domain: TenantDomain;
  onSaved: (domain: TenantDomain) => void;
}) {
  const { tenant, domain, onSaved } = props;
  const api = useApi(provisioningApiRef);
  const [policy, setPolicy] = useState<DmarcPolicy>(domain.dmarc.policy);
  const [rua, setRua] = useState(domain.dmarc.rua ?? '');
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  useEffect(() => {
    setPolicy(domain.dmarc.policy);
    setRua(domain.dmarc.rua ?? '');
  }, [domain.dmarc.policy, domain.dmarc.rua]);

  const trimmed = rua.trim();
  const changed =
    policy !== domain.dmarc.policy || trimmed !== (domain.dmarc.rua ?? '');
  const id = `dmarc-${domain.domain}`;

  const save = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const saved = await api.setDmarc(tenant, domain.domain, {
        policy,
        ...(trimmed ? { rua: trimmed } : {}),
      });
      setConfirming(false);
      onSaved(saved);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Box
      component="section"
      aria-label={`DMARC policy of ${domain.domain}`}
      mt={2}
    >
      <Typography variant="subtitle2">DMARC policy</Typography>
      <Box display="flex" alignItems="flex-start" style={{ gap: 16 }}>
        <TextField
          id={`${id}-policy`}
          select
          label="Policy"
          value={policy}
          onChange={e => setPolicy(e.target.value as DmarcPolicy)}
          variant="outlined"
          margin="dense"
          style={{ minWidth: 160 }}
        >
          {DMARC_POLICIES.map(p => (
            <MenuItem key={p} value={p}>
              {p}
            </MenuItem>
          ))}
        </TextField>
        <TextField
          id={`${id}-rua`}
          label="Aggregate reports to (rua)"
          value={rua}
          onChange={e => setRua(e.target.value)}
          helperText="Optional: an email address, published as rua=mailto:<address>."
          inputProps={{ maxLength: 254, spellCheck: false }}
          variant="outlined"
          margin="dense"
          style={{ minWidth: 320 }}
        />
        <Box pt={1}>
          <Button
            variant="outlined"
            color="primary"
            disabled={!changed}
            onClick={() => {
              setError(undefined);
              setConfirming(true);
            }}
          >
            Save DMARC policy
          </Button>
        </Box>
      </Box>
      <ConfirmDialog
        open={confirming}
        title={`Set the DMARC policy of ${domain.domain} to ${policy}?`}
        confirmLabel="Save"
        danger={policy === 'reject'}
        busy={busy}
        onCancel={() => setConfirming(false)}
        onConfirm={save}
      >
        {error && (
          <Alert severity="error" data-testid="dmarc-error">
            {error}
          </Alert>
        )}
        The expected DMARC record of {domain.domain} becomes{' '}
        <code>
          v=DMARC1; p={policy}
          {trimmed ? `; rua=mailto:${trimmed}` : ''}
        </code>
        : until it is published in the domain&apos;s DNS, the domain shows it as
        different and is not verified.
        {policy === 'reject' &&
          ' With reject, receivers refuse mail that fails SPF and DKIM alignment.'}
      </ConfirmDialog>
    </Box>
  );
}

function RecheckButton(props: {
  tenant: string;
  domain: string;
  onResult: (domain: TenantDomain) => void;
}) {
  const { tenant, domain, onResult } = props;
  const api = useApi(provisioningApiRef);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const recheck = async () => {
    setBusy(true);
    setError(undefined);
    try {
      onResult(await api.recheckDomain(tenant, domain));
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Box display="flex" flexDirection="column" alignItems="flex-end">
      <Button
        variant="outlined"
        color="primary"
        disabled={busy}
        aria-label={`Recheck ${domain}`}
        startIcon={busy ? <CircularProgress size={14} /> : <RefreshIcon />}
        onClick={recheck}
      >
        {busy ? 'Rechecking…' : 'Recheck'}
      </Button>
      {error && (
        <Typography
          variant="caption"
          color="error"
          role="alert"
          data-testid="recheck-error"
        >
          Recheck failed: {error}
        </Typography>
      )}
    </Box>
  );
}

function DomainCard(props: {
  tenant: string;
  domain: TenantDomain;
  mayManage: boolean;
  onChange: (domain: TenantDomain) => void;
}) {
  const { tenant, domain, mayManage, onChange } = props;
  const classes = useStyles();
  const notOk = domain.records.filter(r => r.status !== 'ok').length;
  return (
    <Card
      variant="outlined"
      component="section"
      aria-label={`Domain ${domain.domain}`}
      data-testid="domain-card"
      data-domain={domain.domain}
      data-verified={String(domain.verified)}
    >
      <CardHeader
        title={
          <Box display="flex" alignItems="center" style={{ gap: 8 }}>
            <span>{domain.domain}</span>
            <StatusChip
              status={domain.verified ? 'verified' : 'not verified'}
              tone={domain.verified ? 'good' : 'warning'}
              data-testid="domain-verified"
            />
          </Box>
        }
        titleTypographyProps={{ variant: 'h6' }}
        subheader={
          domain.verified
            ? 'Every record is published as expected.'
            : subheader(domain, notOk)
        }
        subheaderTypographyProps={{ variant: 'body2' }}
        action={
          mayManage ? (
            <RecheckButton
              tenant={tenant}
              domain={domain.domain}
              onResult={onChange}
            />
          ) : undefined
        }
      />
      <CardContent>
        <dl className={classes.facts} data-testid="domain-facts">
          <dt>Verified</dt>
          <dd data-testid="domain-verified-at">
            {domain.verifiedAt ? <Ago at={domain.verifiedAt} /> : 'never'}
            {domain.verifiedAt && !domain.verified && ' (not any more)'}
          </dd>
          <dt>Last checked</dt>
          <dd data-testid="domain-last-checked">
            {domain.lastCheckedAt ? <Ago at={domain.lastCheckedAt} /> : 'never'}
          </dd>
          {domain.nextCheckAt && (
            <>
              <dt>Next check</dt>
              <dd data-testid="domain-next-check">
                <DueIn at={domain.nextCheckAt} />
              </dd>
            </>
          )}
        </dl>
        <Box mt={2}>
          <Records domain={domain} />
        </Box>
        {mayManage ? (
          <DmarcForm tenant={tenant} domain={domain} onSaved={onChange} />
        ) : (
          <Typography
            variant="body2"
            style={{ marginTop: 16 }}
            data-testid="dmarc-setting"
          >
            DMARC policy: {domain.dmarc.policy}
            {domain.dmarc.rua ? `, reports to ${domain.dmarc.rua}` : ''}
          </Typography>
        )}
      </CardContent>
    </Card>
  );
}

interface DomainsState {
  name: string;
  value?: TenantDomainList;
  error?: Error;
}

/** The tenant's domains; `replace` shows a newer answer for one of them. */
function useDomains(name: string) {
  const api = useApi(provisioningApiRef);
  const current = useRef(name);
  const [state, setState] = useState<DomainsState>({ name });
  useEffect(() => {
    current.current = name;
    setState({ name });
    api.listDomains(name).then(
      value => {
        if (current.current === name) setState({ name, value });
      },
      error => {
        if (current.current === name) setState({ name, error });
      },
    );
  }, [api, name]);
  const replace = useCallback(
    (domain: TenantDomain) =>
      setState(s =>
        s.value
          ? {
              ...s,
              value: {
                ...s.value,
                items: s.value.items.map(d =>
                  d.domain === domain.domain ? domain : d,
                ),
              },
            }
          : s,
      ),
    [],
  );
  const fresh = state.name === name;
  return {
    value: fresh ? state.value : undefined,
    error: fresh ? state.error : undefined,
    replace,
  };
}

/**
 * The Domains tab of a Tenant's page: a card per mail domain of
 * `spec.domains` — verified or not, since when, when last checked; each
 * record (MX, SPF, DKIM, DMARC, ownership) expected vs found (ok, missing,
 * different with the value found) and the exact line to publish with a copy
 * button. Those allowed `provisioning.tenant.domains.manage` on the tenant
 * get Recheck (the new result replaces the card) and the DMARC policy,
 * saved after a confirmation.
 */
export function EntityDomainsContent() {
  const { entity } = useEntity();
  const name = entity.metadata.name;
  const domains = useDomains(name);
  const manage = usePermission({
    permission: provisioningTenantDomainsManagePermission,
    resourceRef: tenantResourceRef(name),
  });
  const notFound = isNotFound(domains.error);
  return (
    <PageState
      inline
      loading={!domains.value && !domains.error}
      error={notFound ? undefined : domains.error}
      empty={
        (notFound || domains.value?.items.length === 0) && {
          title: 'No mail domains for this tenant yet',
          description: notFound
            ? 'The provisioning engine has not picked this tenant up yet, or it is not yours to see.'
            : "The tenant's domains come from spec.domains in its YAML; they show here once the provisioning engine has read them.",
        }
      }
    >
      {() => (
        <Grid container spacing={3}>
          {domains.value!.items.map(d => (
            <Grid item xs={12} key={d.domain}>
              <DomainCard
                tenant={name}
                domain={d}
                mayManage={manage.allowed}
                onChange={domains.replace}
              />
            </Grid>
          ))}
        </Grid>
      )}
    </PageState>
  );
}
