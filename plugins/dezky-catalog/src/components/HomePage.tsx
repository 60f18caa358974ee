import { InfoCard } from '@backstage/core-components';
import { useApiHolder } from '@backstage/frontend-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import {
  IntegrationEntityV1alpha1,
  PartnerEntityV1alpha1,
  TenantEntityV1alpha1,
} from '@internal/plugin-dezky-catalog-common';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import { provisioningApiRef } from '../provisioning';
import { useCatalogProblems, useDezkyEntities } from '../hooks';
import {
  DIRECT,
  integrationsByLifecycle,
  partnersByStatus,
  seatsTotal,
  tenantsByPartner,
  tenantsByPlan,
} from '../summaries';
import { CountTable } from './CountTable';
import { CatalogProblemsCard } from './CatalogProblemsCard';
import { ProvisioningPhasesCard } from './ProvisioningPhasesCard';
import { PageState } from '@internal/plugin-dezky-react';
import { RoleLine } from './RoleLine';

function Figure(props: { label: string; value: number; testId: string }) {
  return (
    <div>
      <Typography variant="h3" component="p" data-testid={props.testId}>
        {props.value}
      </Typography>
      <Typography variant="body2" color="textSecondary">
        {props.label}
      </Typography>
    </div>
  );
}

/**
 * The operators' overview: what the catalog holds, counted; with the
 * provisioning plugin installed, the tenants by provisioning phase too.
 */
export function HomePage() {
  const tenants = useDezkyEntities<TenantEntityV1alpha1>('Tenant');
  const partners = useDezkyEntities<PartnerEntityV1alpha1>('Partner');
  const integrations =
    useDezkyEntities<IntegrationEntityV1alpha1>('Integration');
  const problems = useCatalogProblems();

  return (
    <PageState
      loading={tenants.loading || partners.loading || integrations.loading}
      error={tenants.error ?? partners.error ?? integrations.error}
    >
      {() => (
        <Overview
          tenants={tenants.value ?? []}
          partners={partners.value ?? []}
          integrations={integrations.value ?? []}
          problems={problems}
        />
      )}
    </PageState>
  );
}

function Overview(props: {
  tenants: TenantEntityV1alpha1[];
  partners: PartnerEntityV1alpha1[];
  integrations: IntegrationEntityV1alpha1[];
  problems: ReturnType<typeof useCatalogProblems>;
}) {
  const { tenants: t, partners: p, integrations: i, problems } = props;
  // absent when the provisioning plugin is not installed: no card then
  const provisioning = useApiHolder().get(provisioningApiRef);
  const partnerLink = (name: string) =>
    name === DIRECT ? (
      'Sold directly'
    ) : (
      <EntityRefLink entityRef={`partner:default/${name}`} />
    );

  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <RoleLine partners={p} />
      </Grid>
      <Grid item xs={12} md={4}>
        <InfoCard title="Tenants">
          <Grid container spacing={2}>
            <Grid item xs={6}>
              <Figure label="tenants" value={t.length} testId="tenant-count" />
            </Grid>
            <Grid item xs={6}>
              <Figure label="seats" value={seatsTotal(t)} testId="seat-count" />
            </Grid>
          </Grid>
        </InfoCard>
      </Grid>
      <Grid item xs={12} md={4}>
        <InfoCard title="Partners">
          <Figure label="partners" value={p.length} testId="partner-count" />
          <CountTable
            label="Status"
            counts={partnersByStatus(p)}
            testId="partners-by-status"
          />
        </InfoCard>
      </Grid>
      <Grid item xs={12} md={4}>
        <InfoCard title="Integrations">
          <Figure
            label="integrations"
            value={i.length}
            testId="integration-count"
          />
          <CountTable
            label="Lifecycle"
            counts={integrationsByLifecycle(i)}
            testId="integrations-by-lifecycle"
          />
        </InfoCard>
      </Grid>
      <Grid item xs={12} md={6}>
        <InfoCard title="Tenants by partner">
          <CountTable
            label="Partner"
            counts={tenantsByPartner(t)}
            renderKey={partnerLink}
            testId="tenants-by-partner"
          />
        </InfoCard>
      </Grid>
      <Grid item xs={12} md={6}>
        <InfoCard title="Tenants by plan">
          <CountTable
            label="Plan"
            counts={tenantsByPlan(t)}
            testId="tenants-by-plan"
          />
        </InfoCard>
      </Grid>
      {provisioning && (
        <Grid item xs={12} md={6}>
          <ProvisioningPhasesCard provisioning={provisioning} />
        </Grid>
      )}
      {problems.value !== undefined || problems.error ? (
        <Grid item xs={12}>
          <CatalogProblemsCard
            problems={problems.value}
            error={problems.error}
          />
        </Grid>
      ) : null}
    </Grid>
  );
}
