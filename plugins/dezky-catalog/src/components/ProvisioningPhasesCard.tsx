import { InfoCard, Link, Progress } from '@backstage/core-components';
import { useRouteRef } from '@backstage/frontend-plugin-api';
import Typography from '@material-ui/core/Typography';
import {
  PhaseChip,
  ProvisioningApi,
  provisioningErrorMessage,
  provisioningRouteRef,
  TENANT_PHASES,
  TenantPhase,
} from '../provisioning';
import useAsync from 'react-use/esm/useAsync';
import { CountTable } from './CountTable';

/**
 * How many tenants the user may see are pending, active or degraded (the
 * provisioning summary), each phase linking to the Provisioning page
 * filtered to it.
 */
export function ProvisioningPhasesCard(props: {
  provisioning: ProvisioningApi;
}) {
  const { provisioning } = props;
  const page = useRouteRef(provisioningRouteRef)?.() ?? '/provisioning';
  const summary = useAsync(() => provisioning.summary(), [provisioning]);

  let body;
  if (summary.error) {
    body = (
      <Typography color="error" data-testid="tenants-by-phase-error">
        Could not read the provisioning summary:{' '}
        {provisioningErrorMessage(summary.error)}
      </Typography>
    );
  } else if (!summary.value) {
    body = <Progress />;
  } else {
    const phases = summary.value.phases;
    body = (
      <CountTable
        label="Phase"
        counts={TENANT_PHASES.map(phase => ({
          key: phase,
          count: phases[phase],
        }))}
        renderKey={phase => (
          <Link to={`${page}?phase=${phase}`} aria-label={phase}>
            <PhaseChip phase={phase as TenantPhase} />
          </Link>
        )}
        testId="tenants-by-phase"
      />
    );
  }
  return <InfoCard title="Tenants by provisioning phase">{body}</InfoCard>;
}
