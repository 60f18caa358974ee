import { InfoCard, Link } from '@backstage/core-components';
import { useApiHolder } from '@backstage/frontend-plugin-api';
import {
  EntityRefLink,
  getEntityRelations,
  useEntity,
} from '@backstage/plugin-catalog-react';
import {
  IntegrationEntityV1alpha1,
  PartnerEntityV1alpha1,
  RELATION_RESELLS,
  TenantEntityV1alpha1,
  tenantIntegrationRefs,
  tenantPartnerRef,
} from '@internal/plugin-dezky-catalog-common';
import { ReactNode } from 'react';
import { DezkyTable, StatusChip } from '@internal/plugin-dezky-react';
import { useTenantProvisioning } from '../hooks';
import { DomainsAttentionBadge, provisioningApiRef } from '../provisioning';
import { TenantStatusChip } from './TenantStatusChip';

/** Label/value rows, the body of every Dezky entity card. */
function Fields(props: { rows: Array<[string, ReactNode]>; testId: string }) {
  const { rows } = props;
  // the table holds plain data; the values (links, chips) are rendered by row
  return (
    <div data-testid={props.testId}>
      <DezkyTable<{ label: string; index: number }>
        options={{ header: false, toolbar: false, paging: false }}
        data={rows.map(([label], index) => ({ label, index }))}
        columns={[
          { field: 'label', cellStyle: { width: '35%', fontWeight: 500 } },
          { render: row => rows[row.index][1] ?? '—' },
        ]}
      />
    </div>
  );
}

const mail = (address?: string) =>
  address ? <Link to={`mailto:${address}`}>{address}</Link> : undefined;

/** Partner: status, margin and contract dates. */
export function PartnerContractCard() {
  const { entity } = useEntity<PartnerEntityV1alpha1>();
  const { spec } = entity;
  return (
    <InfoCard title="Contract">
      <Fields
        testId="partner-contract"
        rows={[
          ['Status', <StatusChip status={spec.status} />],
          ['Margin', `${spec.marginPct} % of gross MRR`],
          ['Domain', spec.domain],
          ['Start', spec.contract?.startDate],
          ['End', spec.contract?.endDate],
          [
            'Notice',
            spec.contract?.noticeDays !== undefined
              ? `${spec.contract.noticeDays} days`
              : undefined,
          ],
          ['Reference', spec.contract?.reference],
          [
            'Staff group',
            <EntityRefLink entityRef={spec.owner} defaultKind="group" />,
          ],
        ]}
      />
    </InfoCard>
  );
}

/** Partner: the tenants it resells (from the catalog's `resells` relations). */
export function PartnerTenantsCard() {
  const { entity } = useEntity<PartnerEntityV1alpha1>();
  const tenants = getEntityRelations(entity, RELATION_RESELLS, {
    kind: 'tenant',
  });
  return (
    <InfoCard title={`Tenants (${tenants.length})`}>
      {tenants.length === 0 ? (
        'This partner resells no tenants.'
      ) : (
        <Fields
          testId="partner-tenants"
          rows={tenants.map(t => [t.name, <EntityRefLink entityRef={t} />])}
        />
      )}
    </InfoCard>
  );
}

/** Partner: who to talk to. */
export function PartnerContactCard() {
  const { entity } = useEntity<PartnerEntityV1alpha1>();
  const { contact } = entity.spec;
  return (
    <InfoCard title="Contact">
      <Fields
        testId="partner-contact"
        rows={[
          ['Name', contact.name],
          ['Email', mail(contact.email)],
          ['Phone', contact.phone],
        ]}
      />
    </InfoCard>
  );
}

/** Partner: where invoices and payouts go. */
export function PartnerBillingCard() {
  const { entity } = useEntity<PartnerEntityV1alpha1>();
  const { billing } = entity.spec;
  return (
    <InfoCard title="Billing">
      <Fields
        testId="partner-billing"
        rows={[
          ['Company', billing.company],
          ['VAT id', billing.vatId],
          ['Country', billing.country],
          ['Email', mail(billing.email)],
          ['Currency', billing.currency],
        ]}
      />
    </InfoCard>
  );
}

/** A tenant's status, read from provisioning when the plugin is there. */
function TenantStatus(props: { tenant: TenantEntityV1alpha1 }) {
  const { name } = props.tenant.metadata;
  const provisioning = useApiHolder().get(provisioningApiRef);
  const { value } = useTenantProvisioning(provisioning, [name]);
  return (
    <TenantStatusChip
      tenant={props.tenant}
      lifecycle={value?.get(name)?.lifecycle}
    />
  );
}

/** Tenant: status, plan, seats, domains, partner and integrations. */
export function TenantCard() {
  const { entity } = useEntity<TenantEntityV1alpha1>();
  const { spec } = entity;
  const partner = tenantPartnerRef(entity);
  return (
    <InfoCard title="Tenant">
      <Fields
        testId="tenant-details"
        rows={[
          ['Status', <TenantStatus tenant={entity} />],
          ['Plan', spec.plan],
          ['Seats', String(spec.seats)],
          [
            spec.domains.length > 1 ? 'Domains' : 'Domain',
            <>
              {spec.domains.map((d, i) => (
                <div key={d}>
                  {d}
                  {i === 0 && spec.domains.length > 1 ? ' (primary)' : ''}
                </div>
              ))}
              <DomainsAttentionBadge
                tenant={entity.metadata.name}
                namespace={entity.metadata.namespace}
              />
            </>,
          ],
          [
            'Partner',
            partner ? (
              <EntityRefLink entityRef={partner} />
            ) : (
              'Sold directly by Dezky'
            ),
          ],
          [
            'Integrations',
            <>
              {tenantIntegrationRefs(entity).map((ref, i) => (
                <span key={ref}>
                  {i > 0 ? ', ' : ''}
                  <EntityRefLink entityRef={ref} />
                </span>
              ))}
            </>,
          ],
          [
            'Owner',
            <EntityRefLink entityRef={spec.owner} defaultKind="group" />,
          ],
        ]}
      />
    </InfoCard>
  );
}

/** Integration: what it is, where it runs, how it is probed. */
export function IntegrationCard() {
  const { entity } = useEntity<IntegrationEntityV1alpha1>();
  const { spec } = entity;
  return (
    <InfoCard title="Integration">
      <Fields
        testId="integration-details"
        rows={[
          ['Type', spec.type],
          ['Lifecycle', <StatusChip status={spec.lifecycle} />],
          [
            'Endpoint',
            spec.endpoint ??
              (spec.lifecycle === 'planned' ? 'not deployed yet' : undefined),
          ],
          [
            'Probe',
            spec.probe
              ? `${spec.probe.type} ${spec.probe.target}${
                  spec.probe.timeoutMs
                    ? `, timeout ${spec.probe.timeoutMs} ms`
                    : ''
                }`
              : undefined,
          ],
          [
            'Docs',
            spec.docs ? <Link to={spec.docs}>{spec.docs}</Link> : undefined,
          ],
        ]}
      />
    </InfoCard>
  );
}
