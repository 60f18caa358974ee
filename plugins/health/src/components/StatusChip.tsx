import Chip from '@material-ui/core/Chip';
import { HealthStatus } from '@internal/plugin-health-common';

const COLOURS: Record<HealthStatus, { background: string; color: string }> = {
  ok: { background: '#2e7d32', color: '#fff' },
  warn: { background: '#ed6c02', color: '#fff' },
  bad: { background: '#d32f2f', color: '#fff' },
  planned: { background: '#9e9e9e', color: '#fff' },
};

/** An integration's status: green ok, orange warn, red bad, grey planned. */
export function StatusChip({ status }: { status: HealthStatus }) {
  return (
    <Chip
      size="small"
      label={status}
      data-testid="health-status"
      data-status={status}
      style={COLOURS[status] ?? COLOURS.planned}
    />
  );
}
