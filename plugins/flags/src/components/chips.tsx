import Chip from '@material-ui/core/Chip';
import { makeStyles } from '@material-ui/core/styles';
import { FlagState } from '@internal/plugin-flags-common';

const useStyles = makeStyles(theme => ({
  on: {
    background: theme.palette.success.main,
    color: theme.palette.common.white,
  },
}));

/** A flag's state: on filled, targeted and rollout in the secondary colour, off plain. */
export function StateChip(props: { state: FlagState }) {
  const { state } = props;
  const classes = useStyles();
  if (state === 'on') {
    return (
      <Chip
        size="small"
        label="on"
        className={classes.on}
        data-testid="flag-state"
      />
    );
  }
  return (
    <Chip
      size="small"
      label={state}
      color={state === 'off' ? 'default' : 'secondary'}
      variant={state === 'off' ? 'outlined' : 'default'}
      data-testid="flag-state"
    />
  );
}

/** A flag's value for a tenant: on or off. */
export function ValueChip(props: { value: boolean }) {
  const classes = useStyles();
  return props.value ? (
    <Chip
      size="small"
      label="on"
      className={classes.on}
      data-testid="flag-value"
    />
  ) : (
    <Chip
      size="small"
      label="off"
      variant="outlined"
      data-testid="flag-value"
    />
  );
}
