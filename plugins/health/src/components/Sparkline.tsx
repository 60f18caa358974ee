import Typography from '@material-ui/core/Typography';
import { HealthPoint } from '@internal/plugin-health-common';
import { formatMs } from '@internal/plugin-dezky-react';

const LINE = '#1976d2';
const BAD = '#d32f2f';

/**
 * A latency chart as inline SVG: the points' latencies oldest first, scaled
 * between 0 and the largest, with a red dot on every bad point. Without
 * points it shows `emptyText` instead.
 */
export function Sparkline(props: {
  points: Pick<HealthPoint, 'latencyMs' | 'status'>[];
  width?: number;
  height?: number;
  label?: string;
  emptyText?: string;
}) {
  const {
    points,
    width = 160,
    height = 32,
    label = 'Latency',
    emptyText = 'No samples yet',
  } = props;
  if (points.length === 0) {
    return (
      <Typography
        variant="caption"
        color="textSecondary"
        data-testid="sparkline-empty"
      >
        {emptyText}
      </Typography>
    );
  }
  const max = Math.max(...points.map(p => p.latencyMs), 1);
  const pad = 3;
  const step = points.length > 1 ? (width - 2 * pad) / (points.length - 1) : 0;
  const xy = points.map((p, i) => ({
    x: points.length > 1 ? pad + i * step : width / 2,
    y: height - pad - (p.latencyMs / max) * (height - 2 * pad),
    bad: p.status === 'bad',
  }));
  const bad = xy.filter(p => p.bad);
  return (
    <svg
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`${label}: ${points.length} points, max ${formatMs(max)}${
        bad.length ? `, ${bad.length} bad` : ''
      }`}
      data-testid="sparkline"
      data-points={points.length}
      data-bad={bad.length}
    >
      {xy.length > 1 ? (
        <polyline
          points={xy.map(p => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ')}
          fill="none"
          stroke={LINE}
          strokeWidth={1.5}
          strokeLinejoin="round"
        />
      ) : (
        <circle cx={xy[0].x} cy={xy[0].y} r={2} fill={LINE} />
      )}
      {bad.map((p, i) => (
        <circle
          key={i}
          cx={p.x.toFixed(1)}
          cy={p.y.toFixed(1)}
          r={2.5}
          fill={BAD}
          data-testid="sparkline-bad"
        />
      ))}
    </svg>
  );
}
