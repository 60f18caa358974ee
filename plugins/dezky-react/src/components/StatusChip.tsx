import Chip from '@material-ui/core/Chip';

/** How a status reads: good (green), warning (orange), bad (red), neutral (grey). */
export type StatusTone = 'good' | 'warning' | 'bad' | 'neutral';

const COLOURS: Record<StatusTone, { background: string; color: string }> = {
  good: { background: '#2e7d32', color: '#fff' },
  warning: { background: '#ed6c02', color: '#fff' },
  bad: { background: '#d32f2f', color: '#fff' },
  neutral: { background: '#757575', color: '#fff' },
};

/**
 * The tone of the statuses the portal shows, by name: health (ok, warn,
 * bad, planned), partners and tenants (active, paused, suspended,
 * terminated, cancelled), integrations (production, planned). Anything else
 * is neutral.
 */
const TONES: Record<string, StatusTone> = {
  ok: 'good',
  active: 'good',
  production: 'good',
  warn: 'warning',
  paused: 'warning',
  suspended: 'warning',
  bad: 'bad',
  error: 'bad',
  terminated: 'bad',
  cancelled: 'bad',
};

/** The tone a status reads in: good, warning, bad or neutral. */
export function statusTone(status: string): StatusTone {
  return TONES[status] ?? 'neutral';
}

/**
 * A small chip for a status — green, orange, red or grey by
 * {@link statusTone}, or the `tone` given; it reads the status, or `label`
 * when given (e.g. the status with where it comes from). Carries
 * `data-status` for tests and styling.
 */
export function StatusChip(props: {
  status: string;
  tone?: StatusTone;
  label?: string;
  'data-testid'?: string;
}) {
  const { status } = props;
  return (
    <Chip
      size="small"
      label={props.label ?? status}
      data-testid={props['data-testid'] ?? 'status-chip'}
      data-status={status}
      style={COLOURS[props.tone ?? statusTone(status)]}
    />
  );
}
