import { useEffect, useState } from 'react';
import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import Alert from '@material-ui/lab/Alert';
import { errorMessage, FlagHistoryEvent, flagsApiRef } from '../api';
import { formatChangeValue } from './flagText';
import {
  actorLabel,
  formatTime,
  metadataChanges,
} from '@internal/plugin-dezky-react';

const useStyles = makeStyles(theme => ({
  item: {
    display: 'block',
    paddingLeft: 0,
    paddingRight: 0,
    borderBottom: `1px solid ${theme.palette.divider}`,
  },
  mono: { fontFamily: 'monospace', fontSize: '0.85em' },
}));

/** One event: when, who, what, and the changed fields `field: from → to`. */
function HistoryItem(props: { event: FlagHistoryEvent }) {
  const { event } = props;
  const classes = useStyles();
  const changes = metadataChanges(event.metadata);
  return (
    <ListItem className={classes.item} data-testid="history-event">
      <Box
        display="flex"
        alignItems="center"
        flexWrap="wrap"
        style={{ gap: 8 }}
      >
        <Typography variant="body2" title={event.at}>
          {formatTime(event.at, { seconds: false })}
        </Typography>
        <Typography variant="body2" className={classes.mono}>
          {event.action}
        </Typography>
        {event.outcome === 'failure' && (
          <Chip size="small" label="failed" color="secondary" />
        )}
      </Box>
      <Typography
        variant="caption"
        color="textSecondary"
        title={event.actor.ref}
        display="block"
      >
        by {actorLabel(event.actor)}
      </Typography>
      {changes.map(c => (
        <Typography
          key={c.field}
          variant="body2"
          className={classes.mono}
          data-testid="history-change"
        >
          {c.field}: {formatChangeValue(c.field, c.from)} →{' '}
          {formatChangeValue(c.field, c.to)}
        </Typography>
      ))}
    </ListItem>
  );
}

/**
 * A flag's audit events, newest first. `generation` reloads them (after a
 * save or a kill).
 */
export function FlagHistory(props: { flagKey: string; generation: number }) {
  const { flagKey, generation } = props;
  const api = useApi(flagsApiRef);
  const [state, setState] = useState<{
    loading: boolean;
    items?: FlagHistoryEvent[];
    error?: Error;
  }>({ loading: true });

  useEffect(() => {
    let live = true;
    setState(s => ({ ...s, loading: true }));
    api.getHistory(flagKey).then(
      items => {
        if (!live) return;
        const newestFirst = [...items].sort((a, b) => b.seq - a.seq);
        setState({ loading: false, items: newestFirst });
      },
      error => live && setState({ loading: false, error }),
    );
    return () => {
      live = false;
    };
  }, [api, flagKey, generation]);

  let body;
  if (state.error) {
    body = (
      <Alert severity="warning">
        Could not load the history: {errorMessage(state.error)}
      </Alert>
    );
  } else if (!state.items) {
    body = <Progress />;
  } else if (state.items.length === 0) {
    body = (
      <Typography variant="body2" color="textSecondary">
        No changes recorded yet.
      </Typography>
    );
  } else {
    body = (
      <List dense disablePadding>
        {state.items.map(e => (
          <HistoryItem key={e.seq} event={e} />
        ))}
      </List>
    );
  }

  return (
    <Box data-testid="flag-history" aria-busy={state.loading}>
      <Typography variant="subtitle2" gutterBottom>
        History
      </Typography>
      {body}
    </Box>
  );
}
