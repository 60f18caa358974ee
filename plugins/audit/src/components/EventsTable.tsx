import { Fragment, useState } from 'react';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Collapse from '@material-ui/core/Collapse';
import IconButton from '@material-ui/core/IconButton';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import KeyboardArrowDownIcon from '@material-ui/icons/KeyboardArrowDown';
import KeyboardArrowRightIcon from '@material-ui/icons/KeyboardArrowRight';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { AuditEvent } from '@internal/plugin-audit-common';
import { actorLabel, formatTime, formatValue, metadataChanges } from './format';
import { InclusionProof } from './InclusionProof';

const useStyles = makeStyles(theme => ({
  row: { '& > td': { borderBottom: 'unset' } },
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

/** An entity ref as a link to its catalog page. */
function RefLink(props: { entityRef?: string }) {
  if (!props.entityRef) return null;
  return <EntityRefLink entityRef={props.entityRef} />;
}

function ResourceCell(props: { event: AuditEvent }) {
  const { resource } = props.event;
  if (!resource) return null;
  const label = resource.name ?? resource.ref ?? '';
  return (
    <span title={resource.ref ?? undefined}>
      <Typography variant="caption" color="textSecondary" component="span">
        {resource.type}
      </Typography>{' '}
      {label}
    </span>
  );
}

/** The before/after table for `{ field: { from, to } }` metadata. */
export function ChangesTable(props: { event: AuditEvent }) {
  const changes = metadataChanges(props.event.metadata);
  const classes = useStyles();
  if (changes.length === 0) return null;
  return (
    <Box mb={2}>
      <Typography variant="subtitle2" gutterBottom>
        Changes
      </Typography>
      <Table size="small" data-testid="event-changes">
        <TableHead>
          <TableRow>
            <TableCell>Field</TableCell>
            <TableCell>Before</TableCell>
            <TableCell>After</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {changes.map(c => (
            <TableRow key={c.field}>
              <TableCell>{c.field}</TableCell>
              <TableCell className={classes.mono}>
                {formatValue(c.from)}
              </TableCell>
              <TableCell className={classes.mono}>
                {formatValue(c.to)}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
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

function EventRow(props: { event: AuditEvent; showTenant: boolean }) {
  const { event, showTenant } = props;
  const [open, setOpen] = useState(false);
  const classes = useStyles();
  const columns = showTenant ? 8 : 7;
  return (
    <Fragment>
      <TableRow className={classes.row} hover data-testid="audit-event-row">
        <TableCell padding="checkbox">
          <IconButton
            size="small"
            aria-label={open ? 'Hide details' : 'Show details'}
            aria-expanded={open}
            onClick={() => setOpen(o => !o)}
          >
            {open ? <KeyboardArrowDownIcon /> : <KeyboardArrowRightIcon />}
          </IconButton>
        </TableCell>
        <TableCell title={event.at} style={{ whiteSpace: 'nowrap' }}>
          {formatTime(event.at)}
        </TableCell>
        <TableCell title={event.actor.ref ?? undefined}>
          {actorLabel(event)}
        </TableCell>
        <TableCell className={classes.mono}>{event.action}</TableCell>
        <TableCell>
          <OutcomeChip outcome={event.outcome} />
        </TableCell>
        <TableCell>
          <ResourceCell event={event} />
        </TableCell>
        {showTenant && (
          <TableCell>
            <RefLink entityRef={event.tenant} />
          </TableCell>
        )}
        <TableCell>{event.source}</TableCell>
      </TableRow>
      <TableRow>
        <TableCell
          style={{ paddingBottom: 0, paddingTop: 0 }}
          colSpan={columns}
        >
          <Collapse in={open} timeout="auto" unmountOnExit>
            <EventDetails event={event} />
          </Collapse>
        </TableCell>
      </TableRow>
    </Fragment>
  );
}

/** The events, one row each, expandable to their details and metadata. */
export function EventsTable(props: {
  events: AuditEvent[];
  /** Off on a tenant's own page, where every row is that tenant. */
  showTenant?: boolean;
}) {
  const { events, showTenant = true } = props;
  return (
    <Table size="small" aria-label="Audit events" data-testid="audit-events">
      <TableHead>
        <TableRow>
          <TableCell padding="checkbox" />
          <TableCell>Time</TableCell>
          <TableCell>Actor</TableCell>
          <TableCell>Action</TableCell>
          <TableCell>Outcome</TableCell>
          <TableCell>Resource</TableCell>
          {showTenant && <TableCell>Tenant</TableCell>}
          <TableCell>Source</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {events.map(e => (
          <EventRow key={e.seq} event={e} showTenant={showTenant} />
        ))}
      </TableBody>
    </Table>
  );
}
