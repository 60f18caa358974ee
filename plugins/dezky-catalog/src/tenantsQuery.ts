import { CatalogApi } from '@backstage/plugin-catalog-react';
import { DIRECT } from './summaries';

/*
 * The Tenants page asks the catalog for one page at a time: filters, search,
 * sorting, paging and the total are all answered by the catalog's SQL, where
 * the permission policy's conditions for partner staff are applied too. These
 * pure functions turn the page's URL into that request; hooks.ts sends it.
 */

type QueryEntitiesRequest = NonNullable<
  Parameters<CatalogApi['queryEntities']>[0]
>;
/** The first request of a paginated query (no cursor): what the page sends. */
export type TenantsPageRequest = Exclude<
  QueryEntitiesRequest,
  { cursor: string }
>;
type Predicate = NonNullable<TenantsPageRequest['query']>;

/** Rows per page the table offers; the first is the default. */
export const TENANT_PAGE_SIZES = [20, 50, 100] as const;

/**
 * The columns the catalog can sort tenants by: fields every tenant has
 * exactly once. The catalog sorts on its text index, and leaves out entities
 * that lack the sort field: so not by partner or status (optional: direct
 * tenants, or tenants without a status, would vanish from the list), not by
 * seats (compared as text, 120 before 25), not by domain (a list).
 */
export const TENANT_SORTS = {
  name: 'metadata.name',
  plan: 'spec.plan',
} as const;
export type TenantSort = keyof typeof TENANT_SORTS;
export type SortOrder = 'asc' | 'desc';

/** Only what the table shows (and what its links need). */
export const TENANT_TABLE_FIELDS = [
  'kind',
  'metadata.namespace',
  'metadata.name',
  'metadata.title',
  'spec.partner',
  'spec.plan',
  'spec.seats',
  'spec.domains',
  'spec.status',
];

/** What the search box matches, as a substring, case-insensitively. */
export const TENANT_SEARCH_FIELDS = [
  'metadata.name',
  'metadata.title',
  'spec.domains',
];

/**
 * Every tenant (the catalog adds the user's scope). The kind alone: the
 * catalog accepts a Tenant only of DEZKY_API_VERSION (no other processor
 * validates the kind), and each further condition costs the count of every
 * page a lookup per entity.
 */
export const ALL_TENANTS = { kind: 'Tenant' } as const;

/** What the Tenants page shows, as kept in its URL. */
export interface TenantsView {
  /** Search text. */
  q: string;
  /** A partner's name (as in `spec.partner`), DIRECT, or '' for all. */
  partner: string;
  plan: string;
  status: string;
  /** Zero-based; the URL counts from 1. */
  page: number;
  pageSize: number;
  sort: TenantSort;
  order: SortOrder;
}

export const DEFAULT_TENANTS_VIEW: TenantsView = {
  q: '',
  partner: '',
  plan: '',
  status: '',
  page: 0,
  pageSize: TENANT_PAGE_SIZES[0],
  sort: 'name',
  order: 'asc',
};

/** The URL parameters of the Tenants page. */
export const TENANTS_VIEW_PARAMS = [
  'q',
  'partner',
  'plan',
  'status',
  'page',
  'pageSize',
  'sort',
  'order',
] as const;

/** Reads the view from the URL; anything missing or invalid is the default. */
export function readTenantsView(params: URLSearchParams): TenantsView {
  const d = DEFAULT_TENANTS_VIEW;
  const page = Number(params.get('page'));
  const pageSize = Number(params.get('pageSize'));
  const sort = params.get('sort') ?? '';
  const order = params.get('order');
  return {
    q: params.get('q') ?? d.q,
    partner: params.get('partner') ?? d.partner,
    plan: params.get('plan') ?? d.plan,
    status: params.get('status') ?? d.status,
    page: Number.isInteger(page) && page >= 1 ? page - 1 : d.page,
    pageSize: (TENANT_PAGE_SIZES as readonly number[]).includes(pageSize)
      ? pageSize
      : d.pageSize,
    sort: Object.keys(TENANT_SORTS).includes(sort)
      ? (sort as TenantSort)
      : d.sort,
    order: order === 'asc' || order === 'desc' ? order : d.order,
  };
}

/**
 * Writes the view into URL parameters, leaving out defaults, and keeping any
 * parameter of `others` that is not the page's own.
 */
export function tenantsViewParams(
  view: TenantsView,
  others: URLSearchParams = new URLSearchParams(),
): URLSearchParams {
  const next = new URLSearchParams(others);
  for (const p of TENANTS_VIEW_PARAMS) next.delete(p);
  const d = DEFAULT_TENANTS_VIEW;
  if (view.q) next.set('q', view.q);
  if (view.partner) next.set('partner', view.partner);
  if (view.plan) next.set('plan', view.plan);
  if (view.status) next.set('status', view.status);
  if (view.sort !== d.sort) next.set('sort', view.sort);
  if (view.order !== d.order) next.set('order', view.order);
  if (view.pageSize !== d.pageSize) next.set('pageSize', String(view.pageSize));
  if (view.page !== d.page) next.set('page', String(view.page + 1));
  return next;
}

/** Whether the view narrows the list (search or a filter). */
export function isFiltered(view: TenantsView): boolean {
  return Boolean(view.q.trim() || view.partner || view.plan || view.status);
}

const NO_PARTNER: Predicate = { $not: { 'spec.partner': { $exists: true } } };
const NO_STATUS: Predicate = { $not: { 'spec.status': { $exists: true } } };

/** The catalog query for the view's filters (not search, sort or page). */
export function tenantsPredicate(view: TenantsView): Predicate {
  const all: Predicate[] = [ALL_TENANTS];
  if (view.partner === DIRECT) all.push(NO_PARTNER);
  else if (view.partner) all.push({ 'spec.partner': view.partner });
  if (view.plan) all.push({ 'spec.plan': view.plan });
  // a tenant without spec.status is active (the schema's default)
  if (view.status === 'active') {
    all.push({ $any: [{ 'spec.status': 'active' }, NO_STATUS] });
  } else if (view.status) {
    all.push({ 'spec.status': view.status });
  }
  return all.length === 1 ? all[0] : { $all: all };
}

/**
 * The one request the Tenants table sends for a view: one page of the
 * matching tenants, sorted, with only the fields it shows, and the number of
 * matches (`totalItems`).
 */
export function tenantsPageRequest(view: TenantsView): TenantsPageRequest {
  const term = view.q.trim();
  return {
    query: tenantsPredicate(view),
    ...(term ? { fullTextFilter: { term, fields: TENANT_SEARCH_FIELDS } } : {}),
    orderFields: { field: TENANT_SORTS[view.sort], order: view.order },
    limit: view.pageSize,
    offset: view.page * view.pageSize,
    fields: TENANT_TABLE_FIELDS,
  };
}

/**
 * The facets the filter pickers need, counted by the catalog over every
 * tenant the user may see. `kind` counts them all (each has one kind), so the
 * tenants sold directly are that count less those with a partner. Asked once
 * the first page is there: it counts every tenant, and would otherwise hold
 * the first page up.
 */
export const TENANT_FACETS_REQUEST = {
  filter: ALL_TENANTS,
  facets: ['spec.partner', 'spec.plan', 'kind'],
};

/** One choice of a filter picker. */
export interface FilterOption {
  value: string;
  label: string;
  count?: number;
}

/** The choices of the partner and plan pickers, and the user's tenant count. */
export interface TenantFilterOptions {
  partners: FilterOption[];
  plans: FilterOption[];
  /** Every tenant the user may see, unfiltered. */
  total: number;
}

type Facets = Record<string, Array<{ value: string; count: number }>>;

const byValue = (a: FilterOption, b: FilterOption) =>
  a.value.localeCompare(b.value);

/** Turns the facets of TENANT_FACETS_REQUEST into picker choices. */
export function tenantFilterOptions(facets: Facets): TenantFilterOptions {
  const total = (facets.kind ?? []).reduce((sum, f) => sum + f.count, 0);
  const partners: FilterOption[] = (facets['spec.partner'] ?? [])
    .map(f => ({ value: f.value, label: f.value, count: f.count }))
    .sort(byValue);
  const direct = total - partners.reduce((sum, p) => sum + (p.count ?? 0), 0);
  if (direct > 0) {
    partners.push({ value: DIRECT, label: 'Direct', count: direct });
  }
  const plans = (facets['spec.plan'] ?? [])
    .map(f => ({ value: f.value, label: f.value, count: f.count }))
    .sort(byValue);
  return { partners, plans, total };
}
