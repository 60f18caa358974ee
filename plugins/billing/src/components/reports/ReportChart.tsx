import { useId } from 'react';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import {
  formatMoney,
  minorDigits,
  ReportFilters,
  ReportResult,
} from '@internal/plugin-billing-common';
import { formatCount } from '@internal/plugin-dezky-react';
import { ChartPanel, chartModel, chartSpec } from './chartModel';

/** The health cohorts' series keep their meaning's colour whatever their order. */
const NAMED_COLOURS: Record<string, string> = {
  ok: '#2e7d32',
  warn: '#ed6c02',
  bad: '#d32f2f',
  unknown: '#9e9e9e',
};

/** Series colours, in order (readable on light and dark themes). */
const COLOURS = [
  '#1976d2',
  '#ed6c02',
  '#2e7d32',
  '#9c27b0',
  '#d32f2f',
  '#00838f',
  '#6d4c41',
  '#5c6bc0',
];

const HEIGHT = 280;
/** Room on the right for the last x label. */
const MARGIN = { top: 8, right: 24, bottom: 0, left: 0 };

/** A value of a panel for people: money exactly, with its currency. */
function valueText(panel: ChartPanel, value: unknown): string {
  if (typeof value !== 'number') return String(value ?? '—');
  if (panel.measure === 'money' && panel.currency) {
    return formatMoney({ amount: Math.round(value), currency: panel.currency });
  }
  if (panel.measure === 'percent') return `${value} %`;
  return formatCount(value);
}

/** An axis tick: money short (`€12K`), always with its currency. */
function tickText(panel: ChartPanel, value: number): string {
  if (panel.measure === 'money' && panel.currency) {
    // for the axis only: the exact amounts are in the tooltip and the table
    return new Intl.NumberFormat('en', {
      style: 'currency',
      currency: panel.currency,
      notation: 'compact',
      minimumFractionDigits: 0,
      maximumFractionDigits: 1,
    }).format(value / 10 ** minorDigits(panel.currency));
  }
  if (panel.measure === 'percent') return `${value} %`;
  return formatCount(value);
}

function PanelChart(props: {
  panel: ChartPanel;
  type: 'line' | 'bar';
  stacked: boolean;
}) {
  const { panel, type, stacked } = props;
  const axes = (
    <>
      <CartesianGrid strokeDasharray="3 3" />
      <XAxis dataKey={panel.xKey} />
      <YAxis
        width={80}
        allowDecimals={panel.measure === 'percent'}
        tickFormatter={(v: number) => tickText(panel, v)}
        {...(panel.measure === 'percent' ? { domain: [0, 100] } : {})}
      />
      <Tooltip formatter={value => valueText(panel, value)} />
      <Legend />
    </>
  );
  const colour = (i: number) =>
    NAMED_COLOURS[panel.series[i].name] ?? COLOURS[i % COLOURS.length];
  return (
    <ResponsiveContainer
      width="100%"
      height={HEIGHT}
      // until the browser has measured the container (and in tests, where nothing is measured)
      initialDimension={{ width: 600, height: HEIGHT }}
    >
      {type === 'line' ? (
        <LineChart data={panel.data} margin={MARGIN}>
          {axes}
          {panel.series.map((s, i) => (
            <Line
              key={s.key}
              type="monotone"
              dataKey={s.key}
              name={s.name}
              stroke={colour(i)}
              dot={panel.data.length <= 40}
              connectNulls
              isAnimationActive={false}
            />
          ))}
        </LineChart>
      ) : (
        <BarChart data={panel.data} margin={MARGIN}>
          {axes}
          {panel.series.map((s, i) => (
            <Bar
              key={s.key}
              dataKey={s.key}
              name={s.name}
              fill={colour(i)}
              isAnimationActive={false}
              {...(stacked ? { stackId: 'all' } : {})}
            />
          ))}
        </BarChart>
      )}
    </ResponsiveContainer>
  );
}

/**
 * A report's chart, drawn from its columns (chartModel): money one panel
 * per currency — amounts of different currencies are never added nor
 * drawn on one axis, and every amount reads with its currency — counts and
 * percentages in one panel. Nothing when there is nothing to draw.
 */
export function ReportChart(props: {
  result: ReportResult;
  filters: ReportFilters;
}) {
  const { result, filters } = props;
  const id = useId();
  const model = chartModel(result, chartSpec(result.report, filters));
  if (model.panels.length === 0) return null;
  const wide = model.panels.length === 1;
  return (
    <Grid container spacing={2}>
      {model.panels.map((panel, i) => {
        const captionId = `${id}-${i}`;
        return (
          <Grid item xs={12} md={wide ? 12 : 6} key={panel.id}>
            <figure
              style={{ margin: 0 }}
              aria-labelledby={captionId}
              data-testid="report-chart"
              data-currency={panel.currency ?? ''}
              data-series={panel.series.map(s => s.name).join(',')}
            >
              <Typography
                component="figcaption"
                variant="subtitle2"
                id={captionId}
                gutterBottom
              >
                {panel.currency
                  ? `${result.title} in ${panel.currency}`
                  : result.title}
              </Typography>
              <PanelChart
                panel={panel}
                type={model.type}
                stacked={model.stacked}
              />
            </figure>
          </Grid>
        );
      })}
    </Grid>
  );
}
