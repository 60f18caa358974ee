import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import { ReactNode } from 'react';
import { Count } from '../summaries';

/** A two-column table of counts, e.g. tenants per plan. */
export function CountTable(props: {
  label: string;
  counts: Count[];
  renderKey?: (key: string) => ReactNode;
  testId?: string;
}) {
  const { label, counts, renderKey, testId } = props;
  return (
    <Table size="small" aria-label={label} data-testid={testId}>
      <TableHead>
        <TableRow>
          <TableCell>{label}</TableCell>
          <TableCell align="right">Count</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {counts.map(c => (
          <TableRow key={c.key}>
            <TableCell>{renderKey ? renderKey(c.key) : c.key}</TableCell>
            <TableCell align="right">{c.count}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
