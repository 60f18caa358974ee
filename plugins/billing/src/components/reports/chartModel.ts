/*
 * What a report's chart draws, read from its columns rather than from keys
 * fixed in advance (a renamed column still draws): the x axis, the series,
 * and — for money — one panel per currency, so that amounts of different
 * currencies are never added together, nor drawn on one axis.
 */
import {
  ReportCell,
  ReportColumn,
  ReportColumnKind,
  ReportFilters,
  ReportId,
  ReportResult,
} from '@internal/plugin-billing-common';

/** What the series of a chart measure. */
export type ChartMeasure = 'money' | 'count' | 'percent';

/** How a report is drawn. */
export interface ChartSpec {
  type: 'line' | 'bar';
  measure: ChartMeasure;
  /** The columns to draw, by key, when the report has them; else every column of the measure. */
  prefer?: string[];
  /**
   * Rows in long form (`month, health, tenants`): one series per value of
   * this column (or of the first text column that is neither x nor a
   * currency), summing the measure; stacked.
   */
  pivot?: string;
  /**
   * A retention table (`cohort, m0, m1…`): the measure's columns become the
   * x axis and every row a series named by its first column.
   */
  transpose?: boolean;
}

/** Columns that are a row's position, not something measured. */
const NOT_MEASURED = new Set(['rank']);

/** How each report is drawn; `top-tenants` by seats draws seats. */
export function chartSpec(report: ReportId, filters: ReportFilters): ChartSpec {
  switch (report) {
    case 'mrr':
      return { type: 'line', measure: 'money', prefer: ['mrr', 'pausedMrr'] };
    case 'revenue-by-plan':
      return { type: 'bar', measure: 'money', prefer: ['revenue', 'mrr'] };
    case 'top-tenants':
      return filters.by === 'seats'
        ? { type: 'bar', measure: 'count', prefer: ['seats'] }
        : { type: 'bar', measure: 'money', prefer: ['mrr'] };
    case 'growth':
      return {
        type: 'line',
        measure: 'count',
        prefer: ['active', 'new', 'churned', 'net'],
      };
    case 'cohorts':
      return { type: 'line', measure: 'percent', transpose: true };
    case 'health':
      return {
        type: 'bar',
        measure: 'count',
        pivot: 'health',
        prefer: ['tenants'],
      };
    case 'partners':
      return { type: 'bar', measure: 'money', prefer: ['mrr', 'payouts'] };
    default:
      return { type: 'bar', measure: 'count' };
  }
}

export interface ChartSeries {
  /** The key in each datum. */
  key: string;
  name: string;
}

/** One chart: a currency's amounts, or counts, or percentages. */
export interface ChartPanel {
  /** Unique on the page (the currency, or the measure). */
  id: string;
  measure: ChartMeasure;
  /** Money panels: the one currency of every amount in it. */
  currency?: string;
  xKey: string;
  xTitle: string;
  series: ChartSeries[];
  data: Array<Record<string, string | number>>;
}

export interface ChartModel {
  type: ChartSpec['type'];
  stacked: boolean;
  panels: ChartPanel[];
}

const TIME_KINDS: ReportColumnKind[] = ['month', 'day'];

const KIND_OF_MEASURE: Record<ChartMeasure, ReportColumnKind> = {
  money: 'money',
  count: 'count',
  percent: 'percent',
};

/** A cell as a finite number, or undefined (a blank, a text). */
function numberOf(cell: ReportCell | undefined): number | undefined {
  if (typeof cell === 'number' && Number.isFinite(cell)) return cell;
  if (typeof cell === 'string' && cell.trim() !== '') {
    const n = Number(cell);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

const textOf = (cell: ReportCell | undefined) =>
  cell === null || cell === undefined ? '' : String(cell);

/** The columns naming a currency (what money columns point at). */
function currencyKeys(columns: ReportColumn[]): Set<string> {
  const keys = new Set<string>();
  for (const c of columns) {
    if (c.kind === 'money') keys.add(c.currencyKey ?? 'currency');
  }
  if (columns.some(c => c.key === 'currency')) keys.add('currency');
  return keys;
}

/** The x axis: the first month or day column, else the first text column that is not a currency or excluded. */
function xColumn(
  columns: ReportColumn[],
  exclude: Set<string>,
): ReportColumn | undefined {
  return (
    columns.find(c => TIME_KINDS.includes(c.kind) && !exclude.has(c.key)) ??
    columns.find(c => c.kind === 'text' && !exclude.has(c.key))
  );
}

/** The columns drawn: the preferred ones the report has, else every column of the measure. */
function measuredColumns(
  columns: ReportColumn[],
  spec: ChartSpec,
): ReportColumn[] {
  const kind = KIND_OF_MEASURE[spec.measure];
  const ofKind = columns.filter(
    c => c.kind === kind && !NOT_MEASURED.has(c.key),
  );
  const preferred = (spec.prefer ?? [])
    .map(key => ofKind.find(c => c.key === key))
    .filter((c): c is ReportColumn => c !== undefined);
  return preferred.length ? preferred : ofKind;
}

/** Adds `value` to `datum[key]` (rows sharing an x within one panel). */
function add(
  datum: Record<string, string | number>,
  key: string,
  value: number | undefined,
) {
  if (value === undefined) return;
  const before = datum[key];
  datum[key] = (typeof before === 'number' ? before : 0) + value;
}

/** Rows grouped by their x value, in the order of the x values (time ascending, else first seen). */
function groupByX(
  rows: ReportResult['rows'],
  xKey: string,
  time: boolean,
): Map<string, ReportResult['rows']> {
  const groups = new Map<string, ReportResult['rows']>();
  for (const row of rows) {
    const x = textOf(row[xKey]);
    if (x === '') continue;
    const group = groups.get(x);
    if (group) group.push(row);
    else groups.set(x, [row]);
  }
  if (!time) return groups;
  return new Map([...groups.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

function transposed(
  result: ReportResult,
  spec: ChartSpec,
): ChartPanel | undefined {
  const measured = measuredColumns(result.columns, spec);
  const name = xColumn(result.columns, currencyKeys(result.columns));
  if (!measured.length || !name) return undefined;
  const series: ChartSeries[] = [];
  const data = measured.map(
    c => ({ age: c.title } as Record<string, string | number>),
  );
  result.rows.forEach((row, i) => {
    const label = textOf(row[name.key]);
    if (!label) return;
    const key = `s${i}`;
    series.push({ key, name: label });
    measured.forEach((c, j) => {
      const value = numberOf(row[c.key]);
      if (value !== undefined) data[j][key] = value;
    });
  });
  if (!series.length) return undefined;
  return {
    id: spec.measure,
    measure: spec.measure,
    xKey: 'age',
    xTitle: name.title,
    series,
    data,
  };
}

function pivoted(
  result: ReportResult,
  spec: ChartSpec,
): ChartPanel | undefined {
  const currencies = currencyKeys(result.columns);
  const x = xColumn(result.columns, currencies);
  const measured = measuredColumns(result.columns, spec)[0];
  if (!x || !measured) return undefined;
  const by =
    result.columns.find(c => c.key === spec.pivot && c.key !== x.key) ??
    result.columns.find(
      c => c.kind === 'text' && c.key !== x.key && !currencies.has(c.key),
    );
  if (!by) return undefined;
  const series: ChartSeries[] = [];
  const data: Array<Record<string, string | number>> = [];
  const groups = groupByX(result.rows, x.key, TIME_KINDS.includes(x.kind));
  for (const [xValue, rows] of groups) {
    const datum: Record<string, string | number> = { [x.key]: xValue };
    for (const row of rows) {
      const value = textOf(row[by.key]) || '—';
      let s = series.find(one => one.name === value);
      if (!s) {
        s = { key: `s${series.length}`, name: value };
        series.push(s);
      }
      add(datum, s.key, numberOf(row[measured.key]));
    }
    data.push(datum);
  }
  if (!series.length) return undefined;
  return {
    id: spec.measure,
    measure: spec.measure,
    xKey: x.key,
    xTitle: x.title,
    series,
    data,
  };
}

/**
 * The panels of one report's chart. Money: one panel per currency (rows
 * without a currency are not drawn — an amount is never shown without
 * its currency); counts and percentages: one panel.
 */
export function chartModel(result: ReportResult, spec: ChartSpec): ChartModel {
  const model = (panels: Array<ChartPanel | undefined>): ChartModel => ({
    type: spec.type,
    stacked: spec.pivot !== undefined,
    panels: panels.filter((p): p is ChartPanel => p !== undefined),
  });
  if (spec.transpose) return model([transposed(result, spec)]);
  if (spec.pivot !== undefined) return model([pivoted(result, spec)]);

  const measured = measuredColumns(result.columns, spec);
  const x = xColumn(result.columns, currencyKeys(result.columns));
  if (!measured.length || !x) return model([]);
  const series = measured.map(c => ({ key: c.key, name: c.title }));
  const time = TIME_KINDS.includes(x.kind);

  if (spec.measure !== 'money') {
    const data = [...groupByX(result.rows, x.key, time)].map(
      ([xValue, rows]) => {
        const datum: Record<string, string | number> = { [x.key]: xValue };
        for (const row of rows) {
          for (const c of measured) add(datum, c.key, numberOf(row[c.key]));
        }
        return datum;
      },
    );
    if (data.length === 0) return model([]);
    return model([
      {
        id: spec.measure,
        measure: spec.measure,
        xKey: x.key,
        xTitle: x.title,
        series,
        data,
      },
    ]);
  }

  // money: the currency cell the drawn columns name (the first one's); a
  // column naming another one is left out, its amounts could be in another currency
  const currencyKey = measured[0].currencyKey ?? 'currency';
  const drawn = measured.filter(
    c => (c.currencyKey ?? 'currency') === currencyKey,
  );
  const byCurrency = new Map<string, ReportResult['rows']>();
  for (const row of result.rows) {
    const currency = textOf(row[currencyKey]);
    if (!currency) continue;
    const rows = byCurrency.get(currency);
    if (rows) rows.push(row);
    else byCurrency.set(currency, [row]);
  }
  return model(
    [...byCurrency.entries()].map(([currency, rows]) => ({
      id: currency,
      measure: 'money' as const,
      currency,
      xKey: x.key,
      xTitle: x.title,
      series: drawn.map(c => ({ key: c.key, name: c.title })),
      // rows of one currency sharing an x are added: the same currency
      data: [...groupByX(rows, x.key, time)].map(([xValue, group]) => {
        const datum: Record<string, string | number> = { [x.key]: xValue };
        for (const row of group) {
          for (const c of drawn) add(datum, c.key, numberOf(row[c.key]));
        }
        return datum;
      }),
    })),
  );
}
