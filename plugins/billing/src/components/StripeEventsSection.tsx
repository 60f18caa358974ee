import { useState } from 'react';
import { TableColumn } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import Grid from '@material-ui/core/Grid';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { StripeEventRecord } from '@internal/plugin-billing-common';
import {
  formatTime,
  PageState,
  SERVER_PAGE_SIZES,
  ServerPagedTable,
} from '@internal/plugin-dezky-react';
import { billingApiRef } from '../api';
import { EventOutcomeChip } from './chips';
import { LocalPage, useKeyedLoad } from './useKeyedLoad';

/** What the server takes as an event type (`invoice.paid`). */
const EVENT_TYPE = /^[a-z][a-z0-9_.]{0,99}$/;

const COLUMNS: TableColumn<StripeEventRecord>[] = [
  { title: 'Received', render: e => formatTime(e.receivedAt) },
  {
    title: 'Type',
    render: e => <span data-testid="event-type">{e.type}</span>,
  },
  {
    title: 'Outcome',
    render: e => (
      <>
        <EventOutcomeChip outcome={e.outcome} />
        {e.message && (
          <Typography
            variant="caption"
            color="textSecondary"
            display="block"
            data-testid="event-message"
          >
            {e.message}
          </Typography>
        )}
      </>
    ),
  },
  {
    title: 'Tenant',
    render: e =>
      e.tenantRef ? (
        <EntityRefLink entityRef={e.tenantRef} defaultKind="tenant" />
      ) : (
        '—'
      ),
  },
  {
    title: 'Partner',
    render: e =>
      e.partnerRef ? (
        <EntityRefLink entityRef={e.partnerRef} defaultKind="partner" />
      ) : (
        '—'
      ),
  },
  { title: 'Object', render: e => <code>{e.objectId ?? '—'}</code> },
  {
    title: 'Event',
    render: e => (
      <>
        <code>{e.id}</code>
        <Typography variant="caption" color="textSecondary" display="block">
          created {formatTime(e.createdAt)}
        </Typography>
      </>
    ),
  },
];

/**
 * The Stripe webhook events billing received, newest first, with what it
 * did with each (applied; stale — older than what it knew; ignored), by
 * type and paged by the server. For operators (`billing.tenant.sync`).
 */
export function StripeEventsSection() {
  const api = useApi(billingApiRef);
  // what is typed, and the type the list is filtered by (on Enter or leaving the field)
  const [typed, setTyped] = useState('');
  const [type, setType] = useState('');
  const [page, setPage] = useState<LocalPage>({
    page: 0,
    pageSize: SERVER_PAGE_SIZES[0],
  });
  const filters = {
    ...(type ? { type } : {}),
    limit: page.pageSize,
    offset: page.page * page.pageSize,
  };
  const list = useKeyedLoad(JSON.stringify(filters), () =>
    api.listStripeEvents(filters),
  );
  const next = typed.trim();
  const typeValid = next === '' || EVENT_TYPE.test(next);
  const apply = () => {
    if (typeValid && next !== type) {
      setType(next);
      setPage(p => ({ ...p, page: 0 }));
    }
  };
  const result = list.value;

  return (
    <section data-testid="stripe-events">
      <Typography variant="h5" component="h2" gutterBottom>
        Webhook events
      </Typography>
      <Grid container spacing={2} style={{ marginBottom: 16 }}>
        <Grid item xs={12} sm={4} md={3}>
          <TextField
            fullWidth
            id="filter-event-type"
            label="Event type"
            value={typed}
            onChange={e => setTyped(e.target.value)}
            onBlur={apply}
            onKeyDown={e => {
              if (e.key === 'Enter') apply();
            }}
            error={!typeValid}
            helperText={
              typeValid
                ? 'e.g. invoice.paid; Enter to filter'
                : 'A Stripe event type: lower case letters, digits, "." and "_"'
            }
            inputProps={{ spellCheck: false }}
          />
        </Grid>
      </Grid>
      <PageState
        inline
        loading={list.loading}
        error={list.error}
        empty={
          result?.total === 0 &&
          (type
            ? {
                title: 'No event of this type',
                description:
                  'Clear the type to see every event: only events of exactly this type are listed.',
              }
            : {
                title: 'No webhook events received',
                description:
                  'Stripe sends events to /api/billing/stripe/webhook once its webhook endpoint and billing.stripe.webhookSecret are set.',
              })
        }
      >
        {() => (
          <ServerPagedTable<StripeEventRecord>
            title="Events"
            columns={COLUMNS}
            items={result?.items ?? []}
            total={result?.total ?? 0}
            page={page.page}
            pageSize={page.pageSize}
            onPageChange={setPage}
            rowProps={e => ({
              'data-testid': 'event-row',
              'data-event': e.id,
              'data-outcome': e.outcome,
            })}
          />
        )}
      </PageState>
    </section>
  );
}
