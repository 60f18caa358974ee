import { Table, TableProps } from '@backstage/core-components';

/**
 * Backstage's core-components `Table` (sorting, search, paging) with the
 * portal's defaults: dense rows, column headers that never wrap mid-word,
 * paging only when there is more than a page. Every list in the portal is
 * one of these.
 */
export function DezkyTable<T extends object>(props: TableProps<T>) {
  const { options, ...rest } = props;
  const rows = Array.isArray(props.data) ? props.data.length : undefined;
  const pageSize = options?.pageSize ?? 20;
  return (
    <Table<T>
      {...rest}
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
