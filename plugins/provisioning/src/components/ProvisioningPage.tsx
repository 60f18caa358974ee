import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import {
  Content,
  ContentHeader,
  Link,
  TableColumn,
} from '@backstage/core-components';
import { useApi, useAppSearchParams } from '@backstage/frontend-plugin-api';
import {
  EntityRefLink,
  useEntityRefLink,
} from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Grid from '@material-ui/core/Grid';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import {
  PROVISIONING_STEPS,
  ProvisioningStep,
  ProvisioningSummary,
  STEP_STATUSES,
  StepCondition,
  TENANT_PHASES,
  TENANT_STATUSES,
  TenantPhase,
  TenantProvisioning,
  TenantProvisioningList,
} from '@internal/plugin-provisioning-common';
import {
  ServerPagedTable,
  FilterSelect,
  formatCount,
  PageState,
  StatusChip,
} from '@internal/plugin-dezky-react';
import { errorMessage, ListTenantsFilters, provisioningApiRef } from '../api';
import {
  ProvisioningView,
  readView,
  viewFilters,
  viewParams,
} from './pageQuery';
import { LifecycleChip } from './LifecycleChip';
import { PhaseChip } from './PhaseChip';
import { isConverging, lastError, truncate } from './provisioningText';
import { Ago, RetryCountdown } from './RelativeTime';
import {
  ReconcileButton,
  ReconcileState,
  tenantResourceRef,
} from './ReconcileButton';
import { useReconcile } from './useReconcile';

/** How often the page re-reads while a step it shows is pending or in error. */
export const AUTO_REFRESH_MS = 10_000;
/** The characters of an error message a step cell shows; the rest is in its tooltip. */
export const MESSAGE_CHARS = 80;

interface ListState {
  /** The filters this state is for (JSON). */
  key: string;
  value?: TenantProvisioningList;
  /** The first read failed: nothing to show. */
  error?: Error;
  /** A later read failed: the last answer stays. */
  refreshError?: string;
}

/**
 * One page of tenants for the filters; `refresh` re-reads it keeping the
 * rows on screen, `replace` puts a tenant's newer state in its row. New
 * filters start over; answers for filters no longer current are dropped.
 */
function useTenantList(filters: ListTenantsFilters) {
  const api = useApi(provisioningApiRef);
  const key = JSON.stringify(filters);
  const current = useRef(key);
  const [state, setState] = useState<ListState>({ key });

  const load = useCallback(
    (k: string) =>
      api.listTenants(JSON.parse(k)).then(
        value => {
          if (current.current === k) setState({ key: k, value });
        },
        error => {
          if (current.current !== k) return;
          setState(s =>
            s.key === k && s.value
              ? { ...s, refreshError: errorMessage(error) }
              : { key: k, error },
          );
        },
      ),
    [api],
  );

  useEffect(() => {
    current.current = key;
    setState({ key });
    load(key);
  }, [key, load]);

  const refresh = useCallback(() => load(current.current), [load]);
  const replace = useCallback((tenant: TenantProvisioning) => {
    setState(s =>
      s.value
        ? {
            ...s,
            value: {
              ...s.value,
              items: s.value.items.map(t =>
                t.tenant === tenant.tenant ? tenant : t,
              ),
            },
          }
        : s,
    );
  }, []);

  const fresh = state.key === key;
  return {
    value: fresh ? state.value : undefined,
    error: fresh ? state.error : undefined,
    refreshError: fresh ? state.refreshError : undefined,
    loading: !fresh || (!state.value && !state.error),
    refresh,
    replace,
  };
}

/** The counts by phase; a failed re-read keeps the last ones. */
function useSummary() {
  const api = useApi(provisioningApiRef);
  const [state, setState] = useState<{
    value?: ProvisioningSummary;
    error?: string;
  }>({});
  const refresh = useCallback(
    () =>
      api.summary().then(
        value => setState({ value }),
        error => setState(s => ({ ...s, error: errorMessage(error) })),
      ),
    [api],
  );
  useEffect(() => {
    refresh();
  }, [refresh]);
  return { ...state, refresh };
}

/** What the rows' cells share: each tenant's reconcile, and how to start one. */
const RowActions = createContext<{
  states: Record<string, ReconcileState>;
  reconcile: (tenant: string) => void;
}>({ states: {}, reconcile: () => undefined });

function TenantCell(props: { row: TenantProvisioning }) {
  const { row } = props;
  const entityLink = useEntityRefLink();
  return (
    <>
      <Link to={`${entityLink(tenantResourceRef(row.tenant))}/provisioning`}>
        {row.title ?? row.tenant}
      </Link>
      {row.title && (
        <Typography variant="caption" color="textSecondary" display="block">
          {row.tenant}
        </Typography>
      )}
    </>
  );
}

function StepCell(props: { condition?: StepCondition }) {
  const { condition } = props;
  if (!condition) return <>—</>;
  const { step, status, message, reason, nextAttemptAt } = condition;
  return (
    <div data-testid={`step-${step}`} data-status={status}>
      <StatusChip status={status} data-testid="step-status" />
      {status === 'error' && message && (
        <Tooltip title={message}>
          <Typography
            variant="caption"
            color="error"
            display="block"
            data-testid="step-message"
            style={{ maxWidth: 260, overflowWrap: 'anywhere' }}
          >
            {truncate(message, MESSAGE_CHARS)}
          </Typography>
        </Tooltip>
      )}
      {status === 'error' && nextAttemptAt && (
        <Typography variant="caption" color="textSecondary" display="block">
          <RetryCountdown at={nextAttemptAt} />
        </Typography>
      )}
      {status !== 'error' && status !== 'ok' && reason && (
        <Typography
          variant="caption"
          color="textSecondary"
          display="block"
          data-testid="step-reason"
        >
          {reason}
        </Typography>
      )}
    </div>
  );
}

function LastErrorCell(props: { row: TenantProvisioning }) {
  const failed = lastError(props.row);
  if (!failed) return <>—</>;
  return (
    <span data-testid="last-error">
      {failed.step},{' '}
      <Ago at={failed.lastAttemptAt ?? failed.lastTransitionTime} />
    </span>
  );
}

function ReconcileCell(props: { tenant: string }) {
  const { states, reconcile } = useContext(RowActions);
  return (
    <ReconcileButton
      tenant={props.tenant}
      state={states[props.tenant]}
      onReconcile={() => reconcile(props.tenant)}
    />
  );
}

const COLUMNS: TableColumn<TenantProvisioning>[] = [
  { title: 'Tenant', render: t => <TenantCell row={t} /> },
  {
    title: 'Partner',
    render: t =>
      t.partner ? <EntityRefLink entityRef={t.partner} /> : 'Direct',
  },
  {
    title: 'Status',
    render: t => <LifecycleChip lifecycle={t.lifecycle} />,
  },
  {
    title: 'Phase',
    render: t => <PhaseChip phase={t.phase} />,
  },
  ...PROVISIONING_STEPS.map(
    (step): TableColumn<TenantProvisioning> => ({
      title: step,
      render: t => <StepCell condition={t.steps.find(s => s.step === step)} />,
    }),
  ),
  { title: 'Last error', render: t => <LastErrorCell row={t} /> },
  { title: '', render: t => <ReconcileCell tenant={t.tenant} /> },
];

function SummaryStrip(props: {
  phases?: Record<TenantPhase, number>;
  error?: string;
  selected: TenantPhase | '';
  onPick: (phase: TenantPhase | '') => void;
}) {
  const { phases, error, selected, onPick } = props;
  if (!phases) {
    return error ? (
      <Typography variant="body2" color="error" data-testid="summary-error">
        Counts unavailable: {error}
      </Typography>
    ) : null;
  }
  const total = TENANT_PHASES.reduce((n, p) => n + phases[p], 0);
  return (
    <Box
      display="flex"
      flexWrap="wrap"
      alignItems="center"
      style={{ gap: 8 }}
      data-testid="provisioning-summary"
    >
      <Button
        size="small"
        variant={selected === '' ? 'contained' : 'outlined'}
        aria-pressed={selected === ''}
        aria-label={`all: ${total}`}
        onClick={() => onPick('')}
      >
        All {formatCount(total)}
      </Button>
      {TENANT_PHASES.map(phase => (
        <Button
          key={phase}
          size="small"
          variant={selected === phase ? 'contained' : 'outlined'}
          aria-pressed={selected === phase}
          aria-label={`${phase}: ${phases[phase]}`}
          data-testid={`summary-${phase}`}
          onClick={() => onPick(phase)}
        >
          <PhaseChip phase={phase} />
          &nbsp;{formatCount(phases[phase])}
        </Button>
      ))}
    </Box>
  );
}

/**
 * The Provisioning page: every tenant the user may see with its status
 * (active, suspended, terminating, terminated), its phase and, per step
 * (Authentik, Stalwart, OCIS), its status, error and next retry; counts by
 * phase; filters by tenant status, by phase and by step and status, kept in
 * the URL with the page; Reconcile per tenant for those the server allows. While a
 * step on screen is pending or in error, the page re-reads every 10 s, so a
 * tenant just added is seen converging.
 */
export function ProvisioningPage() {
  const [params, setParams] = useAppSearchParams();
  const view = readView(params);
  const change = (patch: Partial<ProvisioningView>, replace = false) => {
    // a new filter or page size starts at the first page
    const next = { ...view, page: 0, ...patch };
    setParams(previous => viewParams(next, previous), { replace });
  };

  const list = useTenantList(viewFilters(view));
  const summary = useSummary();
  const { replace, refresh } = list;
  const refreshSummary = summary.refresh;
  const onResult = useCallback(
    ({ tenant }: { tenant: TenantProvisioning }) => {
      replace(tenant);
      refreshSummary();
    },
    [replace, refreshSummary],
  );
  const { states, reconcile } = useReconcile(onResult);
  const actions = useMemo(() => ({ states, reconcile }), [states, reconcile]);

  const result = list.value;
  const converging = Boolean(
    result?.items.some(t => t.steps.some(isConverging)),
  );
  useEffect(() => {
    if (!converging) return undefined;
    const id = setInterval(() => {
      refresh();
      refreshSummary();
    }, AUTO_REFRESH_MS);
    return () => clearInterval(id);
  }, [converging, refresh, refreshSummary]);

  // a page past the end (fewer matches than the URL's page): the last page
  useEffect(() => {
    if (result && result.items.length === 0 && result.total > 0 && view.page) {
      change({ page: Math.ceil(result.total / view.pageSize) - 1 }, true);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [result]);

  const filtered = Boolean(view.phase || view.status || view.lifecycle);

  return (
    <Content>
      <ContentHeader title="Tenant provisioning">
        {converging && (
          <Typography
            variant="caption"
            color="textSecondary"
            data-testid="auto-refresh"
          >
            Converging: refreshed every {AUTO_REFRESH_MS / 1000} s
          </Typography>
        )}
      </ContentHeader>
      <Box mb={2}>
        <SummaryStrip
          phases={summary.value?.phases}
          error={summary.error}
          selected={view.phase}
          onPick={phase => change({ phase })}
        />
      </Box>
      <Grid container spacing={2} style={{ marginBottom: 16 }}>
        <Grid item xs={12} sm={3} md={2}>
          <FilterSelect
            id="filter-lifecycle"
            label="Tenant status"
            value={view.lifecycle}
            options={TENANT_STATUSES}
            onChange={lifecycle =>
              change({ lifecycle: lifecycle as ProvisioningView['lifecycle'] })
            }
          />
        </Grid>
        <Grid item xs={12} sm={3} md={2}>
          <FilterSelect
            id="filter-phase"
            label="Phase"
            value={view.phase}
            options={TENANT_PHASES}
            onChange={phase => change({ phase: phase as TenantPhase })}
          />
        </Grid>
        <Grid item xs={12} sm={3} md={2}>
          <FilterSelect
            id="filter-step"
            label="Step"
            value={view.step}
            options={PROVISIONING_STEPS}
            onChange={step => change({ step: step as ProvisioningStep })}
            help={
              view.step && !view.status
                ? 'Pick a status: the step in that status'
                : undefined
            }
          />
        </Grid>
        <Grid item xs={12} sm={3} md={2}>
          <FilterSelect
            id="filter-status"
            label="Status"
            value={view.status}
            options={STEP_STATUSES}
            onChange={status =>
              change({ status: status as ProvisioningView['status'] })
            }
          />
        </Grid>
      </Grid>
      {list.refreshError && (
        <Alert
          severity="warning"
          data-testid="refresh-error"
          style={{ marginBottom: 16 }}
        >
          Refresh failed: {list.refreshError}
        </Alert>
      )}
      <PageState
        inline
        loading={list.loading}
        error={list.error}
        empty={
          result?.total === 0 &&
          (filtered
            ? {
                title: 'No tenant matches these filters',
                description:
                  'Clear a filter or pick another status: only tenants whose status and provisioning match every filter are listed.',
              }
            : {
                title: 'No tenants provisioned yet',
                description:
                  'Tenants appear here once the provisioning engine has read them from the catalog.',
              })
        }
      >
        {() => (
          <RowActions.Provider value={actions}>
            <ServerPagedTable<TenantProvisioning>
              title="Tenants"
              columns={COLUMNS}
              items={result?.items ?? []}
              total={result?.total ?? 0}
              page={view.page}
              pageSize={view.pageSize}
              onPageChange={change}
              rowProps={t => ({
                'data-testid': 'provisioning-row',
                'data-tenant': t.tenant,
                'data-phase': t.phase,
                'data-lifecycle': t.lifecycle.status,
              })}
            />
          </RowActions.Provider>
        )}
      </PageState>
    </Content>
  );
}
