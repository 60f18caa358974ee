import { DezkyTable } from '@internal/plugin-dezky-react';
import { ReactNode } from 'react';
import { Count } from '../summaries';

/** A two-column table of counts, e.g. tenants per plan, sortable by either. */
export function CountTable(props: {
  label: string;
  counts: Count[];
  renderKey?: (key: string) => ReactNode;
  testId?: string;
}) {
  const { label, counts, renderKey, testId } = props;
  return (
    <div data-testid={testId} aria-label={label}>
      <DezkyTable<Count>
        options={{ toolbar: false, paging: false }}
        data={counts}
        columns={[
          {
            title: label,
            field: 'key',
            render: c => (renderKey ? renderKey(c.key) : c.key),
          },
          { title: 'Count', field: 'count', type: 'numeric' },
        ]}
      />
    </div>
  );
}
