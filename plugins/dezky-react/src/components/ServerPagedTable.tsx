import { TableColumn } from '@backstage/core-components';
import { formatCount } from '../format';
import { DezkyRowAttributes, DezkyTable } from './DezkyTable';

/** The rows per page a server-paged list offers; the first is the default. */
export const SERVER_PAGE_SIZES = [20, 50, 100] as const;

/**
 * One page of a list the server pages (`limit`/`offset`): the title with
 * the number of rows in all pages, the page and page size the caller keeps
 * (in the URL), and a change of page size going back to the first page.
 * Sorting and search are the server's (filters), not the table's.
 */
export function ServerPagedTable<T extends object>(props: {
  /** e.g. `Tenants`: shown as `Tenants (1,234)`. */
  title: string;
  columns: TableColumn<T>[];
  items: T[];
  /** Rows in all pages. */
  total: number;
  /** From 0. */
  page: number;
  pageSize: number;
  onPageChange(change: { page: number; pageSize: number }): void;
  rowProps?: (row: T) => DezkyRowAttributes;
}) {
  const { title, columns, items, total, page, pageSize, onPageChange } = props;
  return (
    <DezkyTable<T>
      // the rows per page are read when the table mounts
      key={pageSize}
      title={`${title} (${formatCount(total)})`}
      columns={columns}
      data={items}
      page={page}
      totalCount={total}
      onPageChange={(next, size) =>
        onPageChange({ page: size === pageSize ? next : 0, pageSize: size })
      }
      options={{
        search: false,
        sorting: false,
        paging: true,
        pageSize,
        pageSizeOptions: [...SERVER_PAGE_SIZES],
        draggable: false,
      }}
      {...(props.rowProps ? { rowProps: props.rowProps } : {})}
    />
  );
}
