import Chip from '@material-ui/core/Chip';

const colors: Record<string, 'primary' | 'secondary' | 'default'> = {
  active: 'primary',
  production: 'primary',
  paused: 'secondary',
  suspended: 'secondary',
};

/** A small chip for a status or lifecycle value. */
export function StatusChip(props: { status: string }) {
  return (
    <Chip
      size="small"
      label={props.status}
      color={colors[props.status] ?? 'default'}
      variant={colors[props.status] ? 'default' : 'outlined'}
    />
  );
}
