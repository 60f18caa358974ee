import { Table, TableColumn } from '@backstage/core-components';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import {
  TENANT_STATUSES,
  TenantEntityV1alpha1,
} from '@internal/plugin-dezky-catalog-common';
import { useDezkyEntities } from '../hooks';
import { DIRECT, distinct, filterTenants, tenantStatus } from '../summaries';
import { FilterBar, useUrlFilters } from './FilterBar';
import { StatusChip } from './StatusChip';
import { PageState } from './PageState';

const columns: TableColumn<TenantEntityV1alpha1>[] = [
  {
    title: 'Tenant',
    field: 'metadata.name',
    highlight: true,
    render: t => (
      <EntityRefLink
        entityRef={t}
        title={t.metadata.title ?? t.metadata.name}
      />
    ),
  },
  {
    title: 'Partner',
    field: 'spec.partner',
    render: t =>
      t.spec.partner ? (
        <EntityRefLink
          entityRef={`partner:${t.metadata.namespace ?? 'default'}/${
            t.spec.partner
          }`}
        />
      ) : (
        'Direct'
      ),
  },
  { title: 'Plan', field: 'spec.plan' },
  { title: 'Seats', field: 'spec.seats', type: 'numeric' },
  {
    title: 'Primary domain',
    field: 'spec.domains',
    render: t => t.spec.domains[0],
  },
  {
    title: 'Status',
    field: 'spec.status',
    render: t => <StatusChip status={tenantStatus(t)} />,
  },
];

/** Every tenant the user may see, with search and partner/plan/status filters. */
export function TenantsPage() {
  const { value, loading, error } =
    useDezkyEntities<TenantEntityV1alpha1>('Tenant');
  const { values, set } = useUrlFilters(['partner', 'plan', 'status']);

  const tenants = value ?? [];
  return (
    <PageState
      loading={loading}
      error={error}
      empty={
        tenants.length === 0 && {
          title: 'No tenants',
          description:
            'There are no tenants you may see. Operators add tenants as YAML files under catalog/tenants/ (see docs/catalog.md).',
        }
      }
    >
      {() => <TenantsTable tenants={tenants} values={values} set={set} />}
    </PageState>
  );
}

function TenantsTable(props: {
  tenants: TenantEntityV1alpha1[];
  values: Record<string, string>;
  set: (param: string, value: string) => void;
}) {
  const { tenants, values, set } = props;
  const rows = filterTenants(tenants, { ...values, text: values.q });
  return (
    <>
      <FilterBar
        values={values}
        set={set}
        searchLabel="Search tenants (name, domain)"
        filters={[
          {
            param: 'partner',
            label: 'Partner',
            options: distinct(tenants.map(t => t.spec.partner ?? DIRECT)).map(
              p => ({
                value: p,
                label: p === DIRECT ? 'Direct' : p,
              }),
            ),
          },
          {
            param: 'plan',
            label: 'Plan',
            options: distinct(tenants.map(t => t.spec.plan)).map(p => ({
              value: p,
              label: p,
            })),
          },
          {
            param: 'status',
            label: 'Status',
            options: TENANT_STATUSES.map(s => ({ value: s, label: s })),
          },
        ]}
      />
      <Table<TenantEntityV1alpha1>
        title={`Tenants (${rows.length} of ${tenants.length})`}
        options={{
          search: false,
          paging: rows.length > 50,
          pageSize: 50,
          padding: 'dense',
        }}
        columns={columns}
        data={rows}
        emptyContent={
          <div style={{ padding: 16 }}>No tenant matches these filters.</div>
        }
      />
    </>
  );
}
