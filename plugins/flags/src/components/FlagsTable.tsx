import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { Flag } from '@internal/plugin-flags-common';
import { StateChip } from './chips';
import { formatPct, formatTime, scopeSummary } from './format';

const useStyles = makeStyles({
  row: { cursor: 'pointer' },
  key: { fontFamily: 'monospace' },
});

/** Every flag, one row each; clicking a row (or Enter on it) opens its panel. */
export function FlagsTable(props: {
  flags: Flag[];
  selectedKey?: string;
  onSelect: (key: string) => void;
}) {
  const { flags, selectedKey, onSelect } = props;
  const classes = useStyles();
  return (
    <Table size="small" aria-label="Feature flags" data-testid="flags-table">
      <TableHead>
        <TableRow>
          <TableCell>Key</TableCell>
          <TableCell>Type</TableCell>
          <TableCell>State</TableCell>
          <TableCell align="right">Rollout</TableCell>
          <TableCell>Scope</TableCell>
          <TableCell>Updated</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {flags.map(flag => (
          <TableRow
            key={flag.key}
            hover
            selected={flag.key === selectedKey}
            className={classes.row}
            tabIndex={0}
            onClick={() => onSelect(flag.key)}
            onKeyDown={e => {
              if (e.key === 'Enter' || e.key === ' ') {
                e.preventDefault();
                onSelect(flag.key);
              }
            }}
            data-testid="flag-row"
            data-flag-key={flag.key}
          >
            <TableCell>
              <span className={classes.key}>{flag.key}</span>
              {flag.description && (
                <Typography
                  variant="caption"
                  color="textSecondary"
                  display="block"
                >
                  {flag.description}
                </Typography>
              )}
            </TableCell>
            <TableCell>{flag.type}</TableCell>
            <TableCell>
              <StateChip state={flag.state} />
            </TableCell>
            <TableCell align="right" data-testid="flag-pct">
              {flag.state === 'rollout' ? formatPct(flag.pct) : '—'}
            </TableCell>
            <TableCell>
              {scopeSummary(flag.scope, flag.state, flag.hidden)}
            </TableCell>
            <TableCell title={flag.updatedAt} style={{ whiteSpace: 'nowrap' }}>
              {formatTime(flag.updatedAt)}
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
