import {
  EmptyState,
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useEffect, useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import ToggleButton from '@material-ui/lab/ToggleButton';
import ToggleButtonGroup from '@material-ui/lab/ToggleButtonGroup';
import {
  DezkyTable,
  formatDuration,
  formatMs,
  formatRatio,
  formatTime,
  StatusChip,
} from '@internal/plugin-dezky-react';
import {
  HEALTH_WINDOWS,
  HealthHistory,
  Incident,
  MonthlyUptime,
  HealthWindow,
  IntegrationStatus,
} from '@internal/plugin-health-common';
import useAsync from 'react-use/esm/useAsync';
import { errorMessage, healthApiRef } from '../api';
import { checkedAgo, pointMeaning } from './healthText';
import { Sparkline } from './Sparkline';

const WINDOW_LABEL: Record<HealthWindow, string> = {
  '24h': '24 h',
  '7d': '7 days',
  '30d': '30 days',
};

const CHART_LABEL: Record<HealthWindow, string> = {
  '24h': '24 h',
  '7d': '7 d',
  '30d': '30 d',
};

/** A row of the per-window table: uptime, latency and samples of one window. */
interface WindowRow {
  window: HealthWindow;
  uptime: number | null;
  p50?: number | null;
  p95?: number | null;
  samples: number;
}

interface HistoryState {
  /** The integration whose history this is. */
  ref?: string;
  /** The last history read; while another window loads, the previous one. */
  history?: HealthHistory;
  loading: boolean;
  error?: Error;
}

/**
 * The integration's history with the chart of `chartWindow`. Switching windows
 * keeps the last history (for everything but the chart) until the new one
 * arrives; only the newest request counts.
 */
function useHistory(ref: string, chartWindow: HealthWindow): HistoryState {
  const api = useApi(healthApiRef);
  const [state, setState] = useState<HistoryState>({ loading: true });
  useEffect(() => {
    let current = true;
    setState(s => ({
      ref,
      history: s.ref === ref ? s.history : undefined,
      loading: true,
    }));
    api.getHistory(ref, { window: chartWindow }).then(
      history => {
        if (current) setState({ ref, history, loading: false });
      },
      error => {
        if (current) setState(s => ({ ...s, loading: false, error }));
      },
    );
    return () => {
      current = false;
    };
  }, [api, ref, chartWindow]);
  return state;
}

/**
 * The Health tab of an Integration's page: its status, uptime and latency
 * p50/p95 per window, a latency chart of a chosen window, the uptime per
 * month and the incidents of the last 30 days.
 */
export function EntityHealthContent() {
  const { entity } = useEntity();
  const api = useApi(healthApiRef);
  const ref = stringifyEntityRef(entity);
  const [chartWindow, setChartWindow] = useState<HealthWindow>('24h');
  const { history, loading, error } = useHistory(ref, chartWindow);
  // the status only adds the latest result: the tab works without it
  const statusState = useAsync(
    async () =>
      (await api.getStatus().catch(() => [] as IntegrationStatus[])).find(
        i => i.integration === ref,
      ),
    [api, ref],
  );

  if (!history) {
    return error ? <ResponseErrorPanel error={error} /> : <Progress />;
  }
  if (statusState.loading) {
    return <Progress />;
  }
  const status = statusState.value;
  if (status?.status === 'planned') {
    return (
      <EmptyState
        missing="data"
        title="Planned · not deployed"
        description="This integration is planned: it is not probed until it is deployed."
      />
    );
  }

  const now = Date.now();
  const { points, bucketMs } = history.series;

  let chart;
  if (loading) {
    chart = <Progress />;
  } else if (error) {
    chart = (
      <Alert severity="error" data-testid="health-chart-error">
        Could not read the last {WINDOW_LABEL[chartWindow]}:{' '}
        {errorMessage(error)}
      </Alert>
    );
  } else {
    chart = (
      <>
        <Sparkline
          points={points}
          width={480}
          height={120}
          label={`Latency over ${WINDOW_LABEL[chartWindow]}`}
          emptyText="No samples in this window yet"
        />
        {points.length > 0 && (
          <Typography
            variant="caption"
            color="textSecondary"
            display="block"
            data-testid="health-chart-caption"
          >
            {points.length} {points.length === 1 ? 'point' : 'points'}, max{' '}
            {formatMs(Math.max(...points.map(p => p.latencyMs)))} ·{' '}
            {pointMeaning(bucketMs)}
          </Typography>
        )}
      </>
    );
  }

  return (
    <Grid container spacing={3}>
      <Grid item xs={12} md={6}>
        <InfoCard title="Status">
          {status ? (
            <div data-testid="entity-health-status">
              <StatusChip status={status.status} data-testid="health-status" />{' '}
              <Typography variant="body2" component="span">
                {formatMs(status.latencyMs)} ·{' '}
                {checkedAgo(status.checkedAt, now)}
              </Typography>
              {status.error && (
                <Typography variant="body2" color="error">
                  {status.error}
                </Typography>
              )}
            </div>
          ) : (
            <Typography color="textSecondary">No status yet.</Typography>
          )}
          <DezkyTable<WindowRow>
            columns={[
              { title: 'Window', render: r => WINDOW_LABEL[r.window] },
              {
                title: 'Uptime',
                type: 'numeric',
                render: r => formatRatio(r.uptime),
              },
              { title: 'p50', type: 'numeric', render: r => formatMs(r.p50) },
              { title: 'p95', type: 'numeric', render: r => formatMs(r.p95) },
              { title: 'Samples', field: 'samples', type: 'numeric' },
            ]}
            data={HEALTH_WINDOWS.map(w => ({
              window: w,
              uptime: history.uptime[w],
              p50: history.latency[w]?.p50,
              p95: history.latency[w]?.p95,
              samples: history.samples[w],
            }))}
            options={{ toolbar: false, paging: false, sorting: false }}
            rowProps={r => ({
              'data-testid': 'health-window-row',
              'data-window': r.window,
            })}
          />
        </InfoCard>
      </Grid>
      <Grid item xs={12} md={6}>
        <InfoCard
          title="Latency"
          action={
            <ToggleButtonGroup
              exclusive
              size="small"
              aria-label="Chart window"
              value={chartWindow}
              onChange={(_event, value: HealthWindow | null) => {
                if (value) setChartWindow(value);
              }}
            >
              {HEALTH_WINDOWS.map(w => (
                <ToggleButton key={w} value={w}>
                  {CHART_LABEL[w]}
                </ToggleButton>
              ))}
            </ToggleButtonGroup>
          }
        >
          <div data-testid="health-chart">{chart}</div>
        </InfoCard>
      </Grid>
      <Grid item xs={12} md={8}>
        <InfoCard title="Incidents (30 days)">
          {history.incidents.length === 0 ? (
            <Typography color="textSecondary" data-testid="health-no-incidents">
              No incidents in the last 30 days.
            </Typography>
          ) : (
            <DezkyTable<Incident>
              columns={[
                {
                  title: 'Start',
                  field: 'start',
                  render: i => formatTime(i.start),
                },
                {
                  title: 'End',
                  field: 'end',
                  render: i => (i.end ? formatTime(i.end) : 'ongoing'),
                },
                {
                  title: 'Duration',
                  field: 'durationMs',
                  render: i =>
                    i.durationMs !== undefined
                      ? formatDuration(i.durationMs)
                      : `${formatDuration(now - Date.parse(i.start))} so far`,
                },
                { title: 'Last error', field: 'lastError' },
              ]}
              data={history.incidents}
              options={{ toolbar: false }}
              rowProps={() => ({ 'data-testid': 'health-incident' })}
            />
          )}
        </InfoCard>
      </Grid>
      <Grid item xs={12} md={4}>
        <InfoCard title="Monthly uptime">
          {history.monthly.length === 0 ? (
            <Typography color="textSecondary" data-testid="health-no-months">
              No months recorded yet
            </Typography>
          ) : (
            <DezkyTable<MonthlyUptime>
              columns={[
                { title: 'Month', field: 'month' },
                {
                  title: 'Uptime',
                  field: 'uptime',
                  type: 'numeric',
                  render: m => formatRatio(m.uptime),
                },
                { title: 'Samples', field: 'samples', type: 'numeric' },
              ]}
              data={history.monthly}
              options={{ toolbar: false }}
              rowProps={m => ({
                'data-testid': 'health-month',
                'data-month': m.month,
              })}
            />
          )}
        </InfoCard>
      </Grid>
    </Grid>
  );
}
