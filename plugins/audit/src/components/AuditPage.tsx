import { useMemo } from 'react';
import { Content } from '@backstage/core-components';
import Grid from '@material-ui/core/Grid';
import { AuditFilterBar, useAuditFilters } from './AuditFilters';
import { EventsView } from './EventsView';
import { filtersToQuery } from './format';
import { TamperCard } from './TamperCard';

/**
 * The audit trail: filters kept in the URL, the matching events newest first,
 * and for operators the tamper-evidence card. Partner staff get their
 * partner's events only; the server applies that.
 */
export function AuditPage() {
  const { values, set } = useAuditFilters();
  // a quick range counts back from when it was chosen (or the page loaded)
  const serialized = JSON.stringify(values);
  const query = useMemo(
    () => filtersToQuery(JSON.parse(serialized), Date.now()),
    [serialized],
  );
  return (
    <Content>
      <Grid container spacing={3}>
        <Grid item xs={12}>
          <TamperCard />
        </Grid>
        <Grid item xs={12}>
          <AuditFilterBar values={values} set={set} />
          <EventsView query={query} />
        </Grid>
      </Grid>
    </Content>
  );
}
