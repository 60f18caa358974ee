import {
  EmptyState,
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import Grid from '@material-ui/core/Grid';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import {
  HEALTH_WINDOWS,
  HealthWindow,
  IntegrationStatus,
} from '@internal/plugin-health-common';
import useAsync from 'react-use/esm/useAsync';
import { healthApiRef } from '../api';
import {
  checkedAgo,
  formatDuration,
  formatMs,
  formatTime,
  formatUptime,
  sampleCount,
  sampleList,
} from './format';
import { Sparkline } from './Sparkline';
import { StatusChip } from './StatusChip';

const WINDOW_LABEL: Record<HealthWindow, string> = {
  '24h': '24 h',
  '7d': '7 days',
  '30d': '30 days',
};

/**
 * The Health tab of an Integration's page: its status, uptime and latency
 * p50/p95 per window, a latency chart and the incidents of the last 30 days.
 */
export function EntityHealthContent() {
  const { entity } = useEntity();
  const api = useApi(healthApiRef);
  const ref = stringifyEntityRef(entity);
  const state = useAsync(async () => {
    const [history, items] = await Promise.all([
      api.getHistory(ref),
      // the status only adds the latest result: the tab works without it
      api.getStatus().catch(() => [] as IntegrationStatus[]),
    ]);
    return { history, status: items.find(i => i.integration === ref) };
  }, [api, ref]);

  if (state.error) {
    return <ResponseErrorPanel error={state.error} />;
  }
  if (state.loading || !state.value) {
    return <Progress />;
  }
  const { history, status } = state.value;
  const now = Date.now();
  const latencies = sampleList(history).map(s => s.latencyMs);

  if (status?.status === 'planned') {
    return (
      <EmptyState
        missing="data"
        title="Planned · not deployed"
        description="This integration is planned: it is not probed until it is deployed."
      />
    );
  }

  return (
    <Grid container spacing={3}>
      <Grid item xs={12} md={6}>
        <InfoCard title="Status">
          {status ? (
            <div data-testid="entity-health-status">
              <StatusChip status={status.status} />{' '}
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
          <Table size="small" aria-label="Uptime and latency per window">
            <TableHead>
              <TableRow>
                <TableCell>Window</TableCell>
                <TableCell align="right">Uptime</TableCell>
                <TableCell align="right">p50</TableCell>
                <TableCell align="right">p95</TableCell>
                <TableCell align="right">Samples</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {HEALTH_WINDOWS.map(w => (
                <TableRow
                  key={w}
                  data-testid="health-window-row"
                  data-window={w}
                >
                  <TableCell>{WINDOW_LABEL[w]}</TableCell>
                  <TableCell align="right">
                    {formatUptime(history.uptime[w])}
                  </TableCell>
                  <TableCell align="right">
                    {formatMs(history.latency[w]?.p50)}
                  </TableCell>
                  <TableCell align="right">
                    {formatMs(history.latency[w]?.p95)}
                  </TableCell>
                  <TableCell align="right">
                    {sampleCount(history, w, now) ?? '—'}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </InfoCard>
      </Grid>
      <Grid item xs={12} md={6}>
        <InfoCard title="Latency">
          <Sparkline
            values={latencies}
            width={480}
            height={120}
            label="Latency samples"
          />
          {latencies.length >= 2 && (
            <Typography variant="caption" color="textSecondary" display="block">
              {latencies.length} samples, max {formatMs(Math.max(...latencies))}
            </Typography>
          )}
        </InfoCard>
      </Grid>
      <Grid item xs={12}>
        <InfoCard title="Incidents (30 days)">
          {history.incidents.length === 0 ? (
            <Typography color="textSecondary" data-testid="health-no-incidents">
              No incidents in the last 30 days.
            </Typography>
          ) : (
            <Table size="small" aria-label="Incidents">
              <TableHead>
                <TableRow>
                  <TableCell>Start</TableCell>
                  <TableCell>End</TableCell>
                  <TableCell>Duration</TableCell>
                  <TableCell>Last error</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {history.incidents.map(incident => (
                  <TableRow key={incident.start} data-testid="health-incident">
                    <TableCell>{formatTime(incident.start)}</TableCell>
                    <TableCell>
                      {incident.end ? formatTime(incident.end) : 'ongoing'}
                    </TableCell>
                    <TableCell>
                      {incident.durationMs !== undefined
                        ? formatDuration(incident.durationMs)
                        : `${formatDuration(
                            now - Date.parse(incident.start),
                          )} so far`}
                    </TableCell>
                    <TableCell>{incident.lastError}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
        </InfoCard>
      </Grid>
    </Grid>
  );
}
