import { MouseEvent, useMemo } from 'react';
import { TableColumn } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import IconButton from '@material-ui/core/IconButton';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import KeyboardArrowDownIcon from '@material-ui/icons/KeyboardArrowDown';
import KeyboardArrowRightIcon from '@material-ui/icons/KeyboardArrowRight';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { AuditEvent } from '@internal/plugin-audit-common';
import {
  actorLabel,
  DezkyTable,
  FieldChange,
  formatTime,
  formatValue,
  metadataChanges,
} from '@internal/plugin-dezky-react';
import { InclusionProof } from './InclusionProof';

const useStyles = makeStyles(theme => ({
  mono: { fontFamily: 'monospace', fontSize: '0.85em' },
  json: {
    fontFamily: 'monospace',
    fontSize: '0.8em',
    whiteSpace: 'pre-wrap',
    wordBreak: 'break-all',
    margin: 0,
    padding: theme.spacing(1),
    background: theme.palette.background.default,
    borderRadius: theme.shape.borderRadius,
  },
  detail: { padding: theme.spacing(1, 2, 2, 2) },
  failure: {
    background: theme.palette.error.main,
    color: theme.palette.error.contrastText,
  },
}));

/** Success in the primary colour, failure in red. */
export function OutcomeChip(props: { outcome: AuditEvent['outcome'] }) {
  const classes = useStyles();
  return props.outcome === 'failure' ? (
    <Chip size="small" label="failure" className={classes.failure} />
  ) : (
    <Chip size="small" label="success" color="primary" variant="outlined" />
  );
}

/** The resource's label: its name, else its ref. */
const resourceLabel = (event: AuditEvent) =>
  event.resource ? event.resource.name ?? event.resource.ref ?? '' : '';

function ResourceCell(props: { event: AuditEvent }) {
  const { resource } = props.event;
  if (!resource) return null;
  return (
    <span title={resource.ref ?? undefined}>
      <Typography variant="caption" color="textSecondary" component="span">
        {resource.type}
      </Typography>{' '}
      {resourceLabel(props.event)}
    </span>
  );
}

/** The before/after table for `{ field: { from, to } }` metadata. */
export function ChangesTable(props: { event: AuditEvent }) {
  const changes = metadataChanges(props.event.metadata);
  const classes = useStyles();
  if (changes.length === 0) return null;
  const value = (v: unknown) => (
    <span className={classes.mono}>{formatValue(v)}</span>
  );
  return (
    <Box mb={2}>
      <Typography variant="subtitle2" gutterBottom>
        Changes
      </Typography>
      <div data-testid="event-changes">
        <DezkyTable<FieldChange>
          columns={[
            { title: 'Field', field: 'field' },
            { title: 'Before', render: c => value(c.from) },
            { title: 'After', render: c => value(c.to) },
          ]}
          data={changes}
          options={{ toolbar: false, paging: false, sorting: false }}
        />
      </div>
    </Box>
  );
}

function EventDetails(props: { event: AuditEvent }) {
  const { event } = props;
  const classes = useStyles();
  const facts: Array<[string, string | undefined]> = [
    ['Seq', String(event.seq)],
    ['At', event.at],
    [
      'Actor',
      [event.actor.type, event.actor.ref, event.actor.email]
        .filter(Boolean)
        .join(' · '),
    ],
    ['IP', event.actor.ip],
    ['Partner', event.partner],
    ['External id', event.externalId],
    ['Hash', event.hash],
  ];
  return (
    <div className={classes.detail} data-testid="event-details">
      <ChangesTable event={event} />
      <Box mb={2}>
        {facts
          .filter(([, v]) => v)
          .map(([k, v]) => (
            <Typography variant="body2" key={k}>
              <strong>{k}:</strong>{' '}
              <span className={k === 'Hash' ? classes.mono : undefined}>
                {v}
              </span>
            </Typography>
          ))}
      </Box>
      <InclusionProof event={event} />
      <Typography variant="subtitle2" gutterBottom>
        Metadata
      </Typography>
      <pre className={classes.json} data-testid="event-metadata">
        {JSON.stringify(event.metadata ?? {}, null, 2)}
      </pre>
    </div>
  );
}

/**
 * A row of the table: the event, with the `id` the table keeps a row's
 * state by (its seq), so an expanded row stays open when older events load.
 */
type EventRow = AuditEvent & { id: number };

/** Whether the table shows a row's details (it keeps that on the row). */
const isOpen = (row: EventRow) =>
  Boolean(
    (row as EventRow & { tableData?: { showDetailPanel?: unknown } }).tableData
      ?.showDetailPanel,
  );

/** The event itself, without what the table added to its row. */
function eventOf(row: EventRow): AuditEvent {
  const {
    id: _id,
    tableData: _t,
    ...event
  } = row as EventRow & {
    tableData?: unknown;
  };
  return event;
}

/**
 * Columns as wide as their content (the table's default is an equal share
 * each, which leaves a short column as wide as the actor's email) and
 * closer together, so eight fit beside the sidebar without breaking words.
 */
const fitted = (columns: TableColumn<EventRow>[]): TableColumn<EventRow>[] =>
  columns.map(column => ({
    width: 'auto',
    ...column,
    headerStyle: { paddingLeft: 8, paddingRight: 8, ...column.headerStyle },
    cellStyle: {
      paddingLeft: 8,
      paddingRight: 8,
      ...(typeof column.cellStyle === 'object' ? column.cellStyle : {}),
    },
  }));

/** A click on the row toggles its details, unless it follows a link or selects text. */
function togglesDetails(event?: MouseEvent): boolean {
  const target = event?.target as Element | undefined;
  if (target?.closest?.('a')) return false;
  return !window.getSelection?.()?.toString();
}

/**
 * The events, one row each, expandable (the arrow, or a click on the row)
 * to their before/after changes, facts, inclusion proof and metadata.
 */
export function EventsTable(props: {
  events: AuditEvent[];
  /**
   * Off on a tenant's own page, where every row is that tenant; shown only
   * when an event has a tenant.
   */
  showTenant?: boolean;
}) {
  const { events, showTenant = true } = props;
  const classes = useStyles();
  const rows = useMemo(() => events.map(e => ({ ...e, id: e.seq })), [events]);
  const columns: TableColumn<EventRow>[] = [
    {
      title: '',
      sorting: false,
      width: '48px',
      cellStyle: { paddingTop: 0, paddingBottom: 0, paddingRight: 0 },
      // the click goes on to the row, which toggles the details
      render: row => (
        <IconButton
          size="small"
          aria-label={isOpen(row) ? 'Hide details' : 'Show details'}
          aria-expanded={isOpen(row)}
        >
          {isOpen(row) ? <KeyboardArrowDownIcon /> : <KeyboardArrowRightIcon />}
        </IconButton>
      ),
    },
    {
      title: 'Time',
      field: 'at',
      customSort: (a, b) => a.seq - b.seq,
      render: e => (
        <span title={e.at} style={{ whiteSpace: 'nowrap' }}>
          {formatTime(e.at)}
        </span>
      ),
    },
    {
      title: 'Actor',
      customSort: (a, b) =>
        actorLabel(a.actor).localeCompare(actorLabel(b.actor)),
      render: e => (
        <span title={e.actor.ref ?? undefined}>{actorLabel(e.actor)}</span>
      ),
    },
    {
      title: 'Action',
      field: 'action',
      // an action reads as one identifier, never broken
      render: e => (
        <span className={classes.mono} style={{ whiteSpace: 'nowrap' }}>
          {e.action}
        </span>
      ),
    },
    {
      title: 'Outcome',
      field: 'outcome',
      render: e => <OutcomeChip outcome={e.outcome} />,
    },
    {
      title: 'Resource',
      customSort: (a, b) => resourceLabel(a).localeCompare(resourceLabel(b)),
      render: e => <ResourceCell event={e} />,
    },
    ...(showTenant && events.some(e => e.tenant)
      ? [
          {
            title: 'Tenant',
            field: 'tenant',
            render: (e: EventRow) =>
              e.tenant ? <EntityRefLink entityRef={e.tenant} /> : null,
          },
        ]
      : []),
    { title: 'Source', field: 'source' },
  ];
  return (
    <div data-testid="audit-events">
      <DezkyTable<EventRow>
        columns={fitted(columns)}
        data={rows}
        detailPanel={({ rowData }) => <EventDetails event={eventOf(rowData)} />}
        onRowClick={(event, _row, toggleDetails) => {
          if (togglesDetails(event)) toggleDetails?.();
        }}
        options={{
          toolbar: false,
          // older events come from the server with "Load older"
          paging: false,
          showDetailPanelIcon: false,
        }}
        rowProps={e => ({
          'data-testid': 'audit-event-row',
          'data-seq': String(e.seq),
        })}
      />
    </div>
  );
}
