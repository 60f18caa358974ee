import { TableColumn } from '@backstage/core-components';
import Link from '@material-ui/core/Link';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { Flag } from '@internal/plugin-flags-common';
import { DezkyTable, formatTime } from '@internal/plugin-dezky-react';
import { StateChip } from './chips';
import { formatPct, scopeSummary } from './flagText';

const useStyles = makeStyles({
  key: { fontFamily: 'monospace', textAlign: 'left' },
});

/**
 * Every flag, one row each, sortable and searchable; the key (a button, so
 * the keyboard reaches it) or a click on the row opens its panel.
 */
export function FlagsTable(props: {
  flags: Flag[];
  selectedKey?: string;
  onSelect: (key: string) => void;
}) {
  const { flags, selectedKey, onSelect } = props;
  const classes = useStyles();
  const columns: TableColumn<Flag>[] = [
    {
      title: 'Key',
      field: 'key',
      highlight: true,
      render: flag => (
        <div>
          <Link
            component="button"
            className={classes.key}
            onClick={(e: { stopPropagation(): void }) => {
              e.stopPropagation();
              onSelect(flag.key);
            }}
          >
            {flag.key}
          </Link>
          {flag.description && (
            <Typography variant="caption" color="textSecondary" display="block">
              {flag.description}
            </Typography>
          )}
        </div>
      ),
      customFilterAndSearch: (term, flag) =>
        `${flag.key} ${flag.description}`
          .toLocaleLowerCase('en-US')
          .includes(String(term).toLocaleLowerCase('en-US')),
    },
    { title: 'Type', field: 'type' },
    {
      title: 'State',
      field: 'state',
      render: flag => <StateChip state={flag.state} />,
    },
    {
      title: 'Rollout',
      field: 'pct',
      type: 'numeric',
      render: flag => (
        <span data-testid="flag-pct">
          {flag.state === 'rollout' ? formatPct(flag.pct) : '—'}
        </span>
      ),
    },
    {
      title: 'Scope',
      sorting: false,
      render: flag => scopeSummary(flag.scope, flag.state, flag.hidden),
      customFilterAndSearch: (term, flag) =>
        scopeSummary(flag.scope, flag.state, flag.hidden)
          .toLocaleLowerCase('en-US')
          .includes(String(term).toLocaleLowerCase('en-US')),
    },
    {
      title: 'Updated',
      field: 'updatedAt',
      render: flag => (
        <span title={flag.updatedAt} style={{ whiteSpace: 'nowrap' }}>
          {formatTime(flag.updatedAt, { seconds: false })}
        </span>
      ),
    },
  ];
  return (
    <div data-testid="flags-table">
      <DezkyTable<Flag>
        columns={columns}
        data={flags}
        onRowClick={(_event, flag) => flag && onSelect(flag.key)}
        rowProps={flag => ({
          'data-testid': 'flag-row',
          'data-flag-key': flag.key,
        })}
        options={{
          pageSize: 50,
          rowStyle: (flag: Flag) =>
            flag.key === selectedKey ? { background: 'rgba(0,0,0,0.06)' } : {},
        }}
      />
    </div>
  );
}
