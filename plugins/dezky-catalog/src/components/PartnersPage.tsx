import { Table, TableColumn } from '@backstage/core-components';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import {
  PARTNER_STATUSES,
  PartnerEntityV1alpha1,
  TenantEntityV1alpha1,
} from '@internal/plugin-dezky-catalog-common';
import { Link } from 'react-router-dom';
import { useRouteRef } from '@backstage/frontend-plugin-api';
import { tenantsRouteRef } from '../routes';
import { useDezkyEntities } from '../hooks';
import { filterPartners } from '../summaries';
import { FilterBar, useUrlFilters } from './FilterBar';
import { StatusChip } from '@internal/plugin-dezky-react';
import { PageState } from '@internal/plugin-dezky-react';

type Row = PartnerEntityV1alpha1 & { tenantCount: number };

function columnsFor(tenantsLink: string): TableColumn<Row>[] {
  return [
    {
      title: 'Partner',
      field: 'metadata.name',
      highlight: true,
      render: p => (
        <EntityRefLink
          entityRef={p}
          title={p.metadata.title ?? p.metadata.name}
        />
      ),
    },
    { title: 'Domain', field: 'spec.domain' },
    {
      title: 'Status',
      field: 'spec.status',
      render: p => <StatusChip status={p.spec.status} />,
    },
    {
      title: 'Margin',
      field: 'spec.marginPct',
      type: 'numeric',
      render: p => `${p.spec.marginPct} %`,
    },
    {
      title: 'Tenants',
      field: 'tenantCount',
      type: 'numeric',
      render: p => (
        <Link
          to={`${tenantsLink}?partner=${encodeURIComponent(p.metadata.name)}`}
        >
          {p.tenantCount}
        </Link>
      ),
    },
    {
      title: 'Contact',
      field: 'spec.contact.name',
      render: p => `${p.spec.contact.name} <${p.spec.contact.email}>`,
    },
  ];
}

/** Every partner the user may see, with search and a status filter. */
export function PartnersPage() {
  const partners = useDezkyEntities<PartnerEntityV1alpha1>('Partner');
  const tenants = useDezkyEntities<TenantEntityV1alpha1>('Tenant');
  const { values, set } = useUrlFilters(['status']);
  const tenantsLink = useRouteRef(tenantsRouteRef)?.() ?? '/tenants';

  const all = partners.value ?? [];
  return (
    <PageState
      loading={partners.loading || tenants.loading}
      error={partners.error ?? tenants.error}
      empty={
        all.length === 0 && {
          title: 'No partners',
          description:
            'There are no partners you may see. Operators add partners as YAML files under catalog/partners/ (see docs/catalog.md).',
        }
      }
    >
      {() => (
        <PartnersTable
          partners={all}
          tenants={tenants.value ?? []}
          values={values}
          set={set}
          tenantsLink={tenantsLink}
        />
      )}
    </PageState>
  );
}

function PartnersTable(props: {
  partners: PartnerEntityV1alpha1[];
  tenants: TenantEntityV1alpha1[];
  values: Record<string, string>;
  set: (param: string, value: string) => void;
  tenantsLink: string;
}) {
  const { partners: all, tenants, values, set, tenantsLink } = props;
  const rows: Row[] = filterPartners(all, { ...values, text: values.q }).map(
    p => ({
      ...p,
      tenantCount: tenants.filter(t => t.spec.partner === p.metadata.name)
        .length,
    }),
  );
  return (
    <>
      <FilterBar
        values={values}
        set={set}
        searchLabel="Search partners (name, domain, contact)"
        filters={[
          {
            param: 'status',
            label: 'Status',
            options: PARTNER_STATUSES.map(s => ({ value: s, label: s })),
          },
        ]}
      />
      <Table<Row>
        title={`Partners (${rows.length} of ${all.length})`}
        options={{ search: false, paging: false, padding: 'dense' }}
        columns={columnsFor(tenantsLink)}
        data={rows}
        emptyContent={
          <div style={{ padding: 16 }}>No partner matches these filters.</div>
        }
      />
    </>
  );
}
