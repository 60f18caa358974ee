import { useCallback, useMemo, useState } from 'react';
import { Content } from '@backstage/core-components';
import Grid from '@material-ui/core/Grid';
import { AuditFilterBar, useAuditFilters } from './AuditFilters';
import { ColdStorageCard } from './ColdStorageCard';
import { EventsView } from './EventsView';
import { filtersToQuery } from './filters';
import { TamperCard } from './TamperCard';

const EVENTS_ID = 'audit-events-view';

/**
 * The audit trail: filters kept in the URL, the matching events newest first,
 * and for operators the tamper-evidence and cold-storage cards. Partner staff
 * get their partner's events only; the server applies that. The "Tier"
 * filter switches between the live events and the restored archive batches.
 */
export function AuditPage() {
  const { values, set } = useAuditFilters();
  // a quick range counts back from when it was chosen (or the page loaded)
  const serialized = JSON.stringify(values);
  const query = useMemo(
    () => filtersToQuery(JSON.parse(serialized), Date.now()),
    [serialized],
  );
  // archiving, restoring or dropping changes what the events query returns
  const [generation, setGeneration] = useState(0);
  const onArchiveChanged = useCallback(() => setGeneration(g => g + 1), []);
  const onSearchArchive = () => {
    set({ tier: 'archive' });
    document.getElementById(EVENTS_ID)?.scrollIntoView?.({
      behavior: 'smooth',
    });
  };
  const archive = query.tier === 'archive';
  return (
    <Content>
      <Grid container spacing={3}>
        <Grid item xs={12}>
          <TamperCard />
        </Grid>
        <Grid item xs={12}>
          <ColdStorageCard
            onChanged={onArchiveChanged}
            onSearchArchive={onSearchArchive}
          />
        </Grid>
        <Grid item xs={12} id={EVENTS_ID}>
          <AuditFilterBar values={values} set={set} />
          {archive ? (
            <EventsView
              key={`archive-${generation}`}
              query={query}
              title="Archived audit events (restored batches)"
              emptyTitle="No restored archived events match these filters"
              emptyDescription="Only restored batches are searched here: restore a batch in the Cold storage card, or widen the time range (archived events are older than the retention period)."
            />
          ) : (
            <EventsView key={`hot-${generation}`} query={query} />
          )}
        </Grid>
      </Grid>
    </Content>
  );
}
