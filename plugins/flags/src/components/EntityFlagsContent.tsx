import {
  EmptyState,
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import Grid from '@material-ui/core/Grid';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { Flag, FlagContext } from '@internal/plugin-flags-common';
import useAsync from 'react-use/esm/useAsync';
import { flagsApiRef } from '../api';
import { ValueChip } from './chips';
import { reasonText } from './format';

function contextLine(context: FlagContext): string {
  return [
    `plan ${context.plan ?? '—'}`,
    context.partner ? `partner ${context.partner}` : 'sold directly',
    `environment ${context.environment}`,
  ].join(' · ');
}

/**
 * The Flags tab of a tenant's page: every flag's value for this tenant and
 * why, as the server evaluates it (GET /tenants/:name).
 */
export function EntityFlagsContent() {
  const { entity } = useEntity();
  const api = useApi(flagsApiRef);
  const name = entity.metadata.name;
  const state = useAsync(async () => {
    // the definitions only add the description and the rollout threshold:
    // the tab works without them
    const [evaluation, flags] = await Promise.all([
      api.getTenantFlags(name),
      api.listFlags().catch(() => [] as Flag[]),
    ]);
    return { evaluation, flags: new Map(flags.map(f => [f.key, f])) };
  }, [api, name]);

  let body;
  if (state.error) {
    body = <ResponseErrorPanel error={state.error} />;
  } else if (state.loading || !state.value) {
    body = <Progress />;
  } else if (state.value.evaluation.flags.length === 0) {
    body = (
      <EmptyState
        missing="data"
        title="No flags defined yet"
        description="Once the platform operators create flags on the Flags page, their value for this tenant shows here."
      />
    );
  } else {
    const { evaluation, flags } = state.value;
    const rows = [...evaluation.flags].sort((a, b) =>
      a.key.localeCompare(b.key),
    );
    body = (
      <>
        <Typography
          variant="body2"
          color="textSecondary"
          gutterBottom
          data-testid="tenant-flag-context"
        >
          Evaluated for {contextLine(evaluation.context)}
        </Typography>
        <Table size="small" aria-label="Flags of this tenant">
          <TableHead>
            <TableRow>
              <TableCell>Flag</TableCell>
              <TableCell>Value</TableCell>
              <TableCell>Why</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {rows.map(e => {
              const flag = flags.get(e.key);
              return (
                <TableRow
                  key={e.key}
                  data-testid="tenant-flag-row"
                  data-flag-key={e.key}
                >
                  <TableCell>
                    <span style={{ fontFamily: 'monospace' }}>{e.key}</span>
                    {flag?.description && (
                      <Typography
                        variant="caption"
                        color="textSecondary"
                        display="block"
                      >
                        {flag.description}
                      </Typography>
                    )}
                  </TableCell>
                  <TableCell>
                    <ValueChip value={e.value} />
                  </TableCell>
                  <TableCell data-testid="flag-reason">
                    {reasonText(
                      e,
                      flag?.state === 'rollout' ? flag.pct : undefined,
                    )}
                  </TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
      </>
    );
  }

  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <InfoCard title="Flags for this tenant">{body}</InfoCard>
      </Grid>
    </Grid>
  );
}
