import {
  EmptyState,
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import CircularProgress from '@material-ui/core/CircularProgress';
import Typography from '@material-ui/core/Typography';
import GetAppIcon from '@material-ui/icons/GetApp';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import { countOf } from '@internal/plugin-dezky-react';
import { AuditEventsQueryWithTier, auditApiRef, errorMessage } from '../api';
import { downloadCsv } from './download';
import { EventsTable } from './EventsTable';
import { useAuditEvents } from './useAuditEvents';

/**
 * The events of a query with their loading, empty and error states, a
 * "Load older" button for the next page and an "Export CSV" of the same filters.
 */
export function EventsView(props: {
  query: AuditEventsQueryWithTier;
  title?: string;
  showTenant?: boolean;
  /** What the empty state says; by default it suggests widening the filters. */
  emptyTitle?: string;
  /** The empty state's explanation below its title. */
  emptyDescription?: string;
}) {
  const {
    query,
    title = 'Audit events',
    showTenant,
    emptyTitle = 'No audit events match these filters',
    emptyDescription = 'Widen the time range or clear a filter. Events appear here as the portal, the catalog and the ingested services (Authentik, Stalwart, OCIS) record them.',
  } = props;
  const api = useApi(auditApiRef);
  const events = useAuditEvents(query);
  const [exportState, exportCsv] = useAsyncFn(
    () => downloadCsv(api, query),
    [api, query],
  );

  const exportButton = (
    <Box display="flex" alignItems="center" style={{ gap: 8 }}>
      {exportState.error && (
        <Typography variant="body2" color="error" data-testid="export-error">
          Export failed: {errorMessage(exportState.error)}
        </Typography>
      )}
      <Button
        variant="outlined"
        size="small"
        startIcon={
          exportState.loading ? <CircularProgress size={16} /> : <GetAppIcon />
        }
        disabled={exportState.loading}
        onClick={() => exportCsv()}
      >
        Export CSV
      </Button>
    </Box>
  );

  let body;
  if (events.error) {
    body = <ResponseErrorPanel error={events.error} />;
  } else if (events.loading) {
    body = <Progress />;
  } else if (events.items.length === 0) {
    body = (
      <EmptyState
        missing="data"
        title={emptyTitle}
        description={emptyDescription}
      />
    );
  } else {
    body = (
      <>
        <EventsTable events={events.items} showTenant={showTenant} />
        <Box mt={2} display="flex" alignItems="center" style={{ gap: 16 }}>
          <Typography variant="body2" color="textSecondary">
            {countOf(events.items.length, 'event')} shown
            {events.nextCursor ? ', older ones available' : ''}
          </Typography>
          {events.nextCursor && (
            <Button
              variant="outlined"
              size="small"
              onClick={events.loadMore}
              disabled={events.loadingMore}
            >
              {events.loadingMore ? 'Loading…' : 'Load older'}
            </Button>
          )}
          {events.moreError && (
            <Typography variant="body2" color="error">
              Could not load older events: {errorMessage(events.moreError)}
            </Typography>
          )}
        </Box>
      </>
    );
  }

  return (
    <InfoCard title={title} action={exportButton}>
      {body}
    </InfoCard>
  );
}
