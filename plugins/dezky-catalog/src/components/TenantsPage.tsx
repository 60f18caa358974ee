import {
  ReactNode,
  createContext,
  useContext,
  useEffect,
  useMemo,
  useState,
} from 'react';
import {
  ResponseErrorPanel,
  Table,
  TableColumn,
  WarningPanel,
} from '@backstage/core-components';
import {
  useApiHolder,
  useAppSearchParams,
} from '@backstage/frontend-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import {
  TENANT_STATUSES,
  TenantEntityV1alpha1,
  tenantPartnerRef,
} from '@internal/plugin-dezky-catalog-common';
import {
  PhaseChip,
  ProvisioningApi,
  provisioningApiRef,
  provisioningErrorMessage,
} from '../provisioning';
import Tooltip from '@material-ui/core/Tooltip';
import useDebounce from 'react-use/esm/useDebounce';
import {
  useTenantFilterOptions,
  useTenantProvisioning,
  useTenantsPage,
} from '../hooks';
import { DIRECT } from '../summaries';
import {
  FilterOption,
  TENANT_PAGE_SIZES,
  TENANT_SORTS,
  TenantSort,
  TenantsView,
  isFiltered,
  readTenantsView,
  tenantsViewParams,
} from '../tenantsQuery';
import { FilterBar } from './FilterBar';
import { PageState } from '@internal/plugin-dezky-react';
import { TenantStatusChip } from './TenantStatusChip';

const nowrap = () => ({ whiteSpace: 'nowrap' as const });
/** Keeps the catalog's order: the rows of a page arrive sorted. */
const serverOrder = () => 0;

/**
 * The provisioning phases and statuses of the page's tenants, as the
 * Provisioning and Status columns read them.
 */
const ProvisioningContext = createContext<
  ReturnType<typeof useTenantProvisioning>
>({
  loading: true,
});

/** "—", saying why in its tooltip. */
function NoPhase(props: { why: string }) {
  return (
    <Tooltip title={props.why}>
      <span data-testid="no-phase" aria-label={props.why}>
        —
      </span>
    </Tooltip>
  );
}

/**
 * Reads the phases and statuses of the page's tenants for the Provisioning
 * and Status columns (none without the provisioning plugin). Their answer
 * re-renders those cells only, not the table around them.
 */
function ProvisioningProvider(props: {
  provisioning?: ProvisioningApi;
  names: string[];
  children: ReactNode;
}) {
  const state = useTenantProvisioning(props.provisioning, props.names);
  return (
    <ProvisioningContext.Provider value={state}>
      {props.children}
    </ProvisioningContext.Provider>
  );
}

/** A tenant's provisioning phase; "—" when it has none or they cannot be read. */
function PhaseCell(props: { name: string }) {
  const phases = useContext(ProvisioningContext);
  if (phases.error) {
    return (
      <NoPhase
        why={`Could not read the provisioning phases: ${provisioningErrorMessage(
          phases.error,
        )}`}
      />
    );
  }
  const phase = phases.value?.get(props.name)?.phase;
  if (phase) return <PhaseChip phase={phase} />;
  // another page's phases, while this page's are read
  if (phases.loading || !phases.value) return null;
  return <NoPhase why="Not provisioned yet" />;
}

/** A tenant's status, from the page's provisioning read. */
function StatusCell(props: { tenant: TenantEntityV1alpha1 }) {
  const provisioning = useContext(ProvisioningContext);
  const { name } = props.tenant.metadata;
  return (
    <TenantStatusChip
      tenant={props.tenant}
      lifecycle={provisioning.value?.get(name)?.lifecycle}
    />
  );
}

function columnsFor(
  view: TenantsView,
  withPhase: boolean,
): TableColumn<TenantEntityV1alpha1>[] {
  const sortable = (sort: TenantSort) => ({
    customSort: serverOrder,
    ...(view.sort === sort ? { defaultSort: view.order } : {}),
  });
  return [
    {
      title: 'Tenant',
      field: TENANT_SORTS.name,
      highlight: true,
      headerStyle: nowrap(),
      ...sortable('name'),
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
      sorting: false,
      headerStyle: nowrap(),
      render: t => {
        const partner = tenantPartnerRef(t);
        return partner ? <EntityRefLink entityRef={partner} /> : 'Direct';
      },
    },
    {
      title: 'Plan',
      field: TENANT_SORTS.plan,
      headerStyle: nowrap(),
      ...sortable('plan'),
    },
    {
      title: 'Seats',
      field: 'spec.seats',
      type: 'numeric',
      sorting: false,
      headerStyle: nowrap(),
    },
    {
      title: 'Primary domain',
      field: 'spec.domains',
      sorting: false,
      headerStyle: nowrap(),
      render: t => t.spec.domains?.[0],
    },
    {
      title: 'Status',
      field: 'spec.status',
      sorting: false,
      headerStyle: nowrap(),
      render: t => <StatusCell tenant={t} />,
    },
    ...(withPhase
      ? [
          {
            title: 'Provisioning',
            sorting: false,
            headerStyle: nowrap(),
            render: (t: TenantEntityV1alpha1) => (
              <PhaseCell name={t.metadata.name} />
            ),
          },
        ]
      : []),
  ];
}

/** The sort a column header stands for, if the catalog can sort by it. */
function sortOfField(field: unknown): TenantSort | undefined {
  return (Object.keys(TENANT_SORTS) as TenantSort[]).find(
    s => TENANT_SORTS[s] === field,
  );
}

/** The picker's choices, with the current value kept even when not listed. */
function withCurrent(
  options: FilterOption[],
  value: string,
): Array<{ value: string; label: string }> {
  const out = options.map(o => ({
    value: o.value,
    label: o.count === undefined ? o.label : `${o.label} (${o.count})`,
  }));
  if (value && !options.some(o => o.value === value)) {
    out.push({ value, label: value === DIRECT ? 'Direct' : value });
  }
  return out;
}

const fmt = (n: number) => n.toLocaleString('en-US');

/**
 * The tenants the user may see, one page at a time: search, partner / plan /
 * status filters, sorting, paging and the count are answered by the catalog
 * (partner staff get only their partners' tenants from it). Everything the
 * page shows is kept in the URL, so a view can be linked and Back returns to
 * the previous one. With the provisioning plugin installed, a Provisioning
 * column shows each tenant's phase and the Status column its effective
 * status (a suspension set in the portal too), read for the whole page in
 * one call.
 */
export function TenantsPage() {
  const [params, setParams] = useAppSearchParams();
  const view = readTenantsView(params);
  const change = (patch: Partial<TenantsView>, replace = false) => {
    // a new filter, search, sort or page size starts at the first page
    const next = { ...view, page: 0, ...patch };
    setParams(previous => tenantsViewParams(next, previous), { replace });
  };

  const page = useTenantsPage(view);
  // absent when the provisioning plugin is not installed: no column then
  const provisioning = useApiHolder().get(provisioningApiRef);
  const names = useMemo(
    () => page.value?.items.map(t => t.metadata.name) ?? [],
    [page.value],
  );
  // the filter choices are asked for once the first page is there
  const [firstPageDone, setFirstPageDone] = useState(false);
  useEffect(() => {
    if (page.value || page.error) setFirstPageDone(true);
  }, [page.value, page.error]);
  const options = useTenantFilterOptions(firstPageDone);

  // the search box writes to the URL once typing pauses
  const [text, setText] = useState(view.q);
  useEffect(() => setText(view.q), [view.q]);
  useDebounce(
    () => {
      if (text !== view.q) {
        // refining a search replaces its history entry; starting one pushes
        change({ q: text }, Boolean(view.q && text));
      }
    },
    300,
    [text],
  );

  // a page past the end (fewer matches than the URL's page): the last page
  const result = page.value;
  useEffect(() => {
    if (
      !page.loading &&
      result &&
      result.items.length === 0 &&
      result.totalItems > 0 &&
      view.page > 0
    ) {
      change({ page: Math.ceil(result.totalItems / view.pageSize) - 1 }, true);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [page.loading, result]);

  const withPhase = provisioning !== undefined;
  const columns = useMemo(
    () => columnsFor(view, withPhase),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [view.sort, view.order, withPhase],
  );

  const total = options.value?.total;
  const noTenants =
    total === 0 || (!isFiltered(view) && result?.totalItems === 0);

  let title = 'Tenants';
  if (result && total !== undefined) {
    title = `Tenants (${fmt(result.totalItems)} of ${fmt(total)})`;
  } else if (result) {
    title = `Tenants (${fmt(result.totalItems)})`;
  }

  return (
    <PageState
      loading={false}
      empty={
        noTenants && {
          title: 'No tenants',
          description:
            'There are no tenants you may see. Operators add tenants as YAML files under catalog/tenants/ (see docs/catalog.md).',
        }
      }
    >
      {() => (
        <>
          <FilterBar
            values={{
              q: text,
              partner: view.partner,
              plan: view.plan,
              status: view.status,
            }}
            set={(param, value) =>
              param === 'q'
                ? setText(value)
                : change({ [param]: value } as Partial<TenantsView>)
            }
            searchLabel="Search tenants (name, title, domain)"
            filters={[
              {
                param: 'partner',
                label: 'Partner',
                options: withCurrent(
                  options.value?.partners ?? [],
                  view.partner,
                ),
              },
              {
                param: 'plan',
                label: 'Plan',
                options: withCurrent(options.value?.plans ?? [], view.plan),
              },
              {
                param: 'status',
                label: 'Status',
                options: TENANT_STATUSES.map(s => ({ value: s, label: s })),
              },
            ]}
          />
          {options.error && (
            <WarningPanel
              title="Could not load the partner and plan choices"
              message={options.error.message}
            />
          )}
          {page.error ? (
            <ResponseErrorPanel error={page.error} />
          ) : (
            <ProvisioningProvider provisioning={provisioning} names={names}>
              <Table<TenantEntityV1alpha1>
                // the header's sort and the rows per page are read when the
                // table mounts: a new one when the URL changes them (Back)
                key={`${view.sort}:${view.order}:${view.pageSize}`}
                title={title}
                isLoading={page.loading}
                columns={columns}
                data={result?.items ?? []}
                page={view.page}
                totalCount={result?.totalItems ?? 0}
                onPageChange={(p, pageSize) =>
                  change({ page: pageSize === view.pageSize ? p : 0, pageSize })
                }
                onOrderChange={(index, order) => {
                  const sort = sortOfField(columns[index]?.field);
                  change(
                    sort && order
                      ? { sort, order }
                      : { sort: 'name', order: 'asc' },
                  );
                }}
                options={{
                  search: false,
                  paging: true,
                  pageSize: view.pageSize,
                  pageSizeOptions: [...TENANT_PAGE_SIZES],
                  emptyRowsWhenPaging: false,
                  thirdSortClick: false,
                  keepSortDirectionOnColumnSwitch: false,
                  draggable: false,
                  padding: 'dense',
                }}
                emptyContent={
                  <div style={{ padding: 16 }}>
                    No tenant matches these filters.
                  </div>
                }
              />
            </ProvisioningProvider>
          )}
        </>
      )}
    </PageState>
  );
}
