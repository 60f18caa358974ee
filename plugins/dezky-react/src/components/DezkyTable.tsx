import { useMemo, useRef } from 'react';
import { Table, TableProps } from '@backstage/core-components';
import { MTableBodyRow } from '@material-table/core';

/** Data attributes for a row's `<tr>`: a test id, a key to find it by. */
export type DezkyRowAttributes = {
  [attribute: `data-${string}`]: string | undefined;
};

/**
 * Backstage's core-components `Table` (sorting, search, paging) with the
 * portal's defaults: dense rows, column headers that never wrap mid-word,
 * paging only when there is more than a page. Every list in the portal is
 * one of these.
 *
 * `rowProps` puts data attributes on each row's `<tr>` (e.g.
 * `data-testid`), so a test — or an end-to-end test — finds a whole row,
 * with every cell's text and button in it.
 */
export function DezkyTable<T extends object>(
  props: TableProps<T> & { rowProps?: (row: T) => DezkyRowAttributes },
) {
  const { options, rowProps, components, ...rest } = props;
  const rows = Array.isArray(props.data) ? props.data.length : undefined;
  const pageSize = options?.pageSize ?? 20;
  // the row component stays the same across renders (a new one would
  // remount every row); it reads the latest rowProps through the ref
  const latestRowProps = useRef(rowProps);
  latestRowProps.current = rowProps;
  const hasRowProps = rowProps !== undefined;
  const Row = useMemo(
    () =>
      hasRowProps
        ? function DezkyTableRow(rowArgs: { data: T }) {
            return (
              <MTableBodyRow
                {...rowArgs}
                {...latestRowProps.current?.(rowArgs.data)}
              />
            );
          }
        : undefined,
    [hasRowProps],
  );
  return (
    <Table<T>
      {...rest}
      components={Row ? { Row, ...components } : components}
      options={{
        padding: 'dense',
        pageSize,
        paging: rows === undefined || rows > pageSize,
        emptyRowsWhenPaging: false,
        ...options,
        headerStyle: { whiteSpace: 'nowrap', ...options?.headerStyle },
      }}
    />
  );
}
