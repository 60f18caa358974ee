import { useMemo } from 'react';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import Grid from '@material-ui/core/Grid';
import { EventsView } from './EventsView';

/**
 * The Audit tab of a tenant's or partner's page: the same events table,
 * fixed to that entity (for a partner: its own events and its tenants').
 */
export function EntityAuditContent(props: { field: 'tenant' | 'partner' }) {
  const { field } = props;
  const { entity } = useEntity();
  const ref = stringifyEntityRef(entity).toLocaleLowerCase('en-US');
  const query = useMemo(() => ({ [field]: ref }), [field, ref]);
  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <EventsView
          query={query}
          title={
            field === 'tenant'
              ? 'Audit events of this tenant'
              : 'Audit events of this partner and its tenants'
          }
          showTenant={field === 'partner'}
          emptyTitle={`No audit events recorded for this ${field} yet`}
        />
      </Grid>
    </Grid>
  );
}
