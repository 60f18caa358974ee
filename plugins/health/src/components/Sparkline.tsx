import Typography from '@material-ui/core/Typography';

/**
 * A latency sparkline as inline SVG: the values oldest first, scaled between
 * 0 and the largest. Fewer than two values say so instead.
 */
export function Sparkline(props: {
  values: number[];
  width?: number;
  height?: number;
  label?: string;
}) {
  const { values, width = 160, height = 32, label = 'Latency' } = props;
  if (values.length < 2) {
    return (
      <Typography
        variant="caption"
        color="textSecondary"
        data-testid="sparkline-empty"
      >
        Not enough samples for a chart yet
      </Typography>
    );
  }
  const max = Math.max(...values, 1);
  const pad = 2;
  const step = (width - 2 * pad) / (values.length - 1);
  const points = values
    .map((v, i) => {
      const x = pad + i * step;
      const y = height - pad - (v / max) * (height - 2 * pad);
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
  return (
    <svg
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`${label}: ${values.length} samples, max ${Math.round(
        max,
      )} ms`}
      data-testid="sparkline"
      data-points={values.length}
    >
      <polyline
        points={points}
        fill="none"
        stroke="#1976d2"
        strokeWidth={1.5}
        strokeLinejoin="round"
      />
    </svg>
  );
}
