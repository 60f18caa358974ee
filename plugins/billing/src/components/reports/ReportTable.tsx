import { TableColumn } from '@backstage/core-components';
import {
  ReportCell,
  ReportColumn,
  ReportResult,
} from '@internal/plugin-billing-common';
import { DezkyTable, formatCount } from '@internal/plugin-dezky-react';
import { moneyText } from '../money';

type Row = ReportResult['rows'][number];

/** A percentage as the report gives it (0–100, at most two decimals): `87.5 %`. */
function percentText(value: number): string {
  return `${value.toLocaleString('en-US', { maximumFractionDigits: 2 })} %`;
}

/**
 * A cell for people, by its column's kind: money with the currency of the
 * row's `currencyKey` cell (`—` without one: never a bare amount), counts
 * with separators, percentages with `%`; `—` for a blank.
 */
export function cellText(column: ReportColumn, row: Row): string {
  const cell: ReportCell | undefined = row[column.key];
  if (cell === null || cell === undefined || cell === '') return '—';
  switch (column.kind) {
    case 'money': {
      const currency = row[column.currencyKey ?? 'currency'];
      return typeof cell === 'number' && typeof currency === 'string'
        ? moneyText(cell, currency)
        : '—';
    }
    case 'count':
      return typeof cell === 'number' ? formatCount(cell) : String(cell);
    case 'percent':
      return typeof cell === 'number' ? percentText(cell) : String(cell);
    default:
      return String(cell);
  }
}

const NUMERIC = new Set(['money', 'count', 'percent']);

/** Short values that read badly broken over lines (amounts, months). */
const NO_WRAP = { whiteSpace: 'nowrap' } as const;

/**
 * A report's rows under its chart, whatever the report: one column per
 * column of the answer, in its order, with its title, each cell read by its
 * kind (cellText); rows in the server's order.
 */
export function ReportTable(props: { result: ReportResult }) {
  const { result } = props;
  const columns: TableColumn<Row>[] = result.columns.map(c => ({
    title: c.title,
    align: NUMERIC.has(c.kind) ? 'right' : 'left',
    cellStyle: NO_WRAP,
    render: row => (
      <span data-testid={`cell-${c.key}`}>{cellText(c, row)}</span>
    ),
  }));
  return (
    <DezkyTable<Row>
      title={`${result.title} (${formatCount(result.rows.length)} ${
        result.rows.length === 1 ? 'row' : 'rows'
      })`}
      columns={columns}
      data={result.rows}
      options={{
        search: false,
        sorting: false,
        draggable: false,
        pageSize: 20,
        pageSizeOptions: [20, 50, 100],
      }}
      rowProps={() => ({ 'data-testid': 'report-row' })}
    />
  );
}
