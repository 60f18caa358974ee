import { useCallback, useEffect, useRef, useState } from 'react';
import {
  Content,
  ContentHeader,
  EmptyState,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import Button from '@material-ui/core/Button';
import Card from '@material-ui/core/Card';
import CardContent from '@material-ui/core/CardContent';
import CardHeader from '@material-ui/core/CardHeader';
import Chip from '@material-ui/core/Chip';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import RefreshIcon from '@material-ui/icons/Refresh';
import Alert from '@material-ui/lab/Alert';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  formatMs,
  formatRatio,
  StatusChip,
} from '@internal/plugin-dezky-react';
import {
  HealthHistory,
  HealthStatus,
  IntegrationStatus,
  healthProbeRunPermission,
} from '@internal/plugin-health-common';
import { errorMessage, healthApiRef } from '../api';
import { checkedAgo, displayName } from './healthText';
import { Sparkline } from './Sparkline';
import { useNow } from './useNow';

/** How often the page re-reads the status. */
export const AUTO_REFRESH_MS = 30_000;
/** The most points a card's 24 h chart asks for. */
export const CARD_POINTS = 60;

const SEVERITY: Record<HealthStatus, number> = {
  bad: 0,
  warn: 1,
  ok: 2,
  planned: 3,
};

const bySeverityThenName = (a: IntegrationStatus, b: IntegrationStatus) =>
  SEVERITY[a.status] - SEVERITY[b.status] ||
  displayName(a.integration, a.title).localeCompare(
    displayName(b.integration, b.title),
  );

interface HealthState {
  loading: boolean;
  refreshing: boolean;
  items?: IntegrationStatus[];
  /** The first load failed: nothing to show. */
  error?: Error;
  /** A later refresh failed: the last answer stays. */
  refreshError?: string;
}

/**
 * The status of every Integration and each one's 24 h history, re-read
 * every 30 s. `refresh(true)` runs a probe round first (operators). A card
 * keeps its last history until a newer one arrives; a failed read keeps it.
 */
function useHealth() {
  const api = useApi(healthApiRef);
  const [state, setState] = useState<HealthState>({
    loading: true,
    refreshing: false,
  });
  const [histories, setHistories] = useState<Record<string, HealthHistory>>({});
  /** Per integration, the refresh round whose history is shown. */
  const shownRound = useRef(new Map<string, number>());
  const rounds = useRef(0);
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );

  const refresh = useCallback(
    async (probe: boolean) => {
      const round = ++rounds.current;
      setState(s => ({ ...s, refreshing: true }));
      let items: IntegrationStatus[];
      try {
        items = probe ? await api.probe() : await api.getStatus();
      } catch (error) {
        if (!mounted.current) return;
        setState(s =>
          s.items
            ? { ...s, refreshing: false, refreshError: errorMessage(error) }
            : { loading: false, refreshing: false, error: error as Error },
        );
        return;
      }
      if (!mounted.current) return;
      setState({ loading: false, refreshing: false, items });
      for (const { integration: ref } of items.filter(
        i => i.status !== 'planned',
      )) {
        api.getHistory(ref, { window: '24h', points: CARD_POINTS }).then(
          history => {
            // an older round's answer arriving late does not replace a newer one
            if (
              !mounted.current ||
              (shownRound.current.get(ref) ?? 0) > round
            ) {
              return;
            }
            shownRound.current.set(ref, round);
            setHistories(h => ({ ...h, [ref]: history }));
          },
          () => undefined, // the card keeps its last history, or shows "—"
        );
      }
    },
    [api],
  );

  useEffect(() => {
    refresh(false);
    const id = setInterval(() => refresh(false), AUTO_REFRESH_MS);
    return () => clearInterval(id);
  }, [refresh]);

  return { ...state, histories, refresh };
}

function IntegrationCard(props: {
  item: IntegrationStatus;
  history?: HealthHistory;
  now: number;
}) {
  const { item, history, now } = props;
  return (
    <Card
      variant="outlined"
      data-testid="health-card"
      data-integration={item.integration}
      style={{ height: '100%' }}
    >
      <CardHeader
        title={displayName(item.integration, item.title)}
        titleTypographyProps={{ variant: 'h6' }}
        subheader={item.integration}
        subheaderTypographyProps={{ variant: 'caption' }}
        action={<StatusChip status={item.status} data-testid="health-status" />}
      />
      <CardContent>
        <Grid container spacing={1}>
          <Grid item xs={6}>
            <Typography variant="caption" color="textSecondary">
              Latency
            </Typography>
            <Typography variant="body1" data-testid="health-latency">
              {formatMs(item.latencyMs)}
            </Typography>
          </Grid>
          <Grid item xs={6}>
            <Typography variant="caption" color="textSecondary">
              Uptime 24 h
            </Typography>
            <Typography variant="body1" data-testid="health-uptime">
              {formatRatio(history?.uptime['24h'])}
            </Typography>
          </Grid>
          <Grid item xs={12}>
            <Sparkline
              points={history?.series.points ?? []}
              label={`Latency of ${displayName(
                item.integration,
                item.title,
              )} over 24 h`}
              emptyText={history ? 'No samples in the last 24 h' : '—'}
            />
          </Grid>
          {item.error && (
            <Grid item xs={12}>
              <Typography
                variant="body2"
                color="error"
                data-testid="health-error"
              >
                {item.error}
              </Typography>
            </Grid>
          )}
          <Grid item xs={12}>
            <Typography
              variant="caption"
              color="textSecondary"
              data-testid="health-checked"
            >
              {checkedAgo(item.checkedAt, now)}
            </Typography>
          </Grid>
        </Grid>
      </CardContent>
    </Card>
  );
}

/**
 * The Infrastructure page: a card per Integration with its status, latency,
 * 24 h uptime and latency chart; a red banner while any is bad; the planned
 * integrations apart. Re-read every 30 s; Refresh runs a probe round
 * (POST /probe) for users the permission API allows `health.probe.run`
 * (operators) and re-reads the status for everyone else.
 */
export function InfrastructurePage() {
  const health = useHealth();
  // what the server's policy decides now, not the groups of the sign-in
  const { allowed: canProbe } = usePermission({
    permission: healthProbeRunPermission,
  });
  const now = useNow(1000);

  const refreshButton = (
    <Button
      variant="outlined"
      color="primary"
      startIcon={<RefreshIcon />}
      disabled={health.refreshing}
      onClick={() => health.refresh(canProbe)}
      title={
        canProbe
          ? 'Probe every integration now'
          : 'Read the latest status again'
      }
    >
      Refresh
    </Button>
  );

  let body;
  if (health.error) {
    body = <ResponseErrorPanel error={health.error} />;
  } else if (health.loading || !health.items) {
    body = <Progress />;
  } else if (health.items.length === 0) {
    body = (
      <EmptyState
        missing="data"
        title="No integrations yet"
        description="Integrations appear here once the catalog has Integration entities."
      />
    );
  } else {
    const items = [...health.items].sort(bySeverityThenName);
    const live = items.filter(i => i.status !== 'planned');
    const planned = items.filter(i => i.status === 'planned');
    const bad = live.filter(i => i.status === 'bad');
    body = (
      <>
        {bad.length > 0 && (
          <Alert
            severity="error"
            variant="filled"
            data-testid="health-banner"
            style={{ marginBottom: 16 }}
          >
            {bad.length === 1
              ? '1 integration is'
              : `${bad.length} integrations are`}{' '}
            down: {bad.map(i => displayName(i.integration, i.title)).join(', ')}
          </Alert>
        )}
        {health.refreshError && (
          <Alert
            severity="warning"
            data-testid="health-refresh-error"
            style={{ marginBottom: 16 }}
          >
            Refresh failed: {health.refreshError}
          </Alert>
        )}
        {live.length === 0 ? (
          <Typography color="textSecondary">
            No deployed integrations yet.
          </Typography>
        ) : (
          <Grid container spacing={2}>
            {live.map(item => (
              <Grid item xs={12} sm={6} md={4} lg={3} key={item.integration}>
                <IntegrationCard
                  item={item}
                  history={health.histories[item.integration]}
                  now={now}
                />
              </Grid>
            ))}
          </Grid>
        )}
        {planned.length > 0 && (
          <section data-testid="health-planned" style={{ marginTop: 32 }}>
            <Typography variant="h6" gutterBottom>
              Planned · not deployed
            </Typography>
            <Typography variant="body2" color="textSecondary" gutterBottom>
              Listed from the catalog; not probed until they are deployed.
            </Typography>
            {planned.map(item => (
              <Chip
                key={item.integration}
                label={displayName(item.integration, item.title)}
                variant="outlined"
                data-testid="health-planned-item"
                style={{ marginRight: 8, marginBottom: 8 }}
              />
            ))}
          </section>
        )}
      </>
    );
  }

  return (
    <Content>
      <ContentHeader title="Integration health">{refreshButton}</ContentHeader>
      {body}
    </Content>
  );
}
