import {
  EmptyState,
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import {
  Flag,
  FlagContext,
  FlagEvaluation,
} from '@internal/plugin-flags-common';
import { DezkyTable } from '@internal/plugin-dezky-react';
import useAsync from 'react-use/esm/useAsync';
import { flagsApiRef } from '../api';
import { ValueChip } from './chips';
import { reasonText } from './flagText';

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
        <DezkyTable<FlagEvaluation>
          options={{ pageSize: 50, toolbar: rows.length > 10 }}
          data={rows}
          rowProps={e => ({
            'data-testid': 'tenant-flag-row',
            'data-flag-key': e.key,
          })}
          columns={[
            {
              title: 'Flag',
              field: 'key',
              render: e => (
                <div>
                  <span style={{ fontFamily: 'monospace' }}>{e.key}</span>
                  {flags.get(e.key)?.description && (
                    <Typography
                      variant="caption"
                      color="textSecondary"
                      display="block"
                    >
                      {flags.get(e.key)?.description}
                    </Typography>
                  )}
                </div>
              ),
            },
            {
              title: 'Value',
              field: 'value',
              render: e => <ValueChip value={e.value} />,
            },
            {
              title: 'Why',
              field: 'reason',
              render: e => {
                const flag = flags.get(e.key);
                return (
                  <span data-testid="flag-reason">
                    {reasonText(
                      e,
                      flag?.state === 'rollout' ? flag.pct : undefined,
                    )}
                  </span>
                );
              },
            },
          ]}
        />
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
