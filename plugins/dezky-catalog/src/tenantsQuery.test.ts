import { DIRECT } from './summaries';
import {
  DEFAULT_TENANTS_VIEW,
  TENANT_TABLE_FIELDS,
  TenantsView,
  isFiltered,
  readTenantsView,
  tenantFilterOptions,
  tenantsPageRequest,
  tenantsViewParams,
} from './tenantsQuery';

const view = (patch: Partial<TenantsView> = {}): TenantsView => ({
  ...DEFAULT_TENANTS_VIEW,
  ...patch,
});
const read = (query: string) => readTenantsView(new URLSearchParams(query));

describe('the view in the URL', () => {
  it('reads defaults from an empty query', () => {
    expect(read('')).toEqual({
      q: '',
      partner: '',
      plan: '',
      status: '',
      page: 0,
      pageSize: 20,
      sort: 'name',
      order: 'asc',
    });
  });

  it('reads every parameter; pages count from 1 in the URL', () => {
    expect(
      read(
        'q=acme&partner=nordlicht-it&plan=business&status=active&page=3&pageSize=50&sort=plan&order=desc',
      ),
    ).toEqual({
      q: 'acme',
      partner: 'nordlicht-it',
      plan: 'business',
      status: 'active',
      page: 2,
      pageSize: 50,
      sort: 'plan',
      order: 'desc',
    });
  });

  it.each([
    ['page=0', { page: 0 }],
    ['page=-2', { page: 0 }],
    ['page=1.5', { page: 0 }],
    ['page=x', { page: 0 }],
    ['pageSize=7', { pageSize: 20 }],
    ['pageSize=100', { pageSize: 100 }],
    ['sort=seats', { sort: 'name' }],
    ['sort=constructor', { sort: 'name' }],
    ['order=up', { order: 'asc' }],
  ])('falls back to the default for %s', (query, expected) => {
    expect(read(query)).toEqual(view(expected as Partial<TenantsView>));
  });

  it('writes only what differs from the default, and keeps other parameters', () => {
    expect(tenantsViewParams(view()).toString()).toBe('');
    const written = tenantsViewParams(
      view({ partner: DIRECT, page: 1, pageSize: 100, order: 'desc' }),
      new URLSearchParams('x=1&page=9&q=old'),
    );
    expect(written.toString()).toBe(
      'x=1&partner=%28direct%29&order=desc&pageSize=100&page=2',
    );
    const round = view({
      q: 'a b',
      partner: 'p',
      plan: 'starter',
      status: 'cancelled',
      page: 4,
      pageSize: 50,
      sort: 'plan',
      order: 'desc',
    });
    expect(readTenantsView(tenantsViewParams(round))).toEqual(round);
  });

  it('knows when the list is narrowed', () => {
    expect(isFiltered(view())).toBe(false);
    expect(isFiltered(view({ q: '   ', page: 3, sort: 'plan' }))).toBe(false);
    expect(isFiltered(view({ q: 'x' }))).toBe(true);
    expect(isFiltered(view({ status: 'active' }))).toBe(true);
  });
});

describe('the catalog request', () => {
  const tenants = { kind: 'Tenant' };

  it('asks for the first page by name, with only the shown fields', () => {
    expect(tenantsPageRequest(view())).toEqual({
      query: tenants,
      orderFields: { field: 'metadata.name', order: 'asc' },
      limit: 20,
      offset: 0,
      fields: TENANT_TABLE_FIELDS,
    });
  });

  it('pages with offset and limit, and sorts by the chosen column', () => {
    expect(
      tenantsPageRequest(
        view({ page: 3, pageSize: 50, sort: 'plan', order: 'desc' }),
      ),
    ).toMatchObject({
      orderFields: { field: 'spec.plan', order: 'desc' },
      limit: 50,
      offset: 150,
    });
  });

  it('searches name, title and domains for the trimmed text', () => {
    expect(tenantsPageRequest(view({ q: '  acme-mail ' }))).toMatchObject({
      fullTextFilter: {
        term: 'acme-mail',
        fields: ['metadata.name', 'metadata.title', 'spec.domains'],
      },
    });
    expect(tenantsPageRequest(view({ q: '  ' }))).not.toHaveProperty(
      'fullTextFilter',
    );
  });

  it.each([
    [{ partner: 'nordlicht-it' }, [{ 'spec.partner': 'nordlicht-it' }]],
    [{ partner: DIRECT }, [{ $not: { 'spec.partner': { $exists: true } } }]],
    [{ plan: 'starter' }, [{ 'spec.plan': 'starter' }]],
    [{ status: 'cancelled' }, [{ 'spec.status': 'cancelled' }]],
    // no status in the YAML means active
    [
      { status: 'active' },
      [
        {
          $any: [
            { 'spec.status': 'active' },
            { $not: { 'spec.status': { $exists: true } } },
          ],
        },
      ],
    ],
    [
      { partner: 'baltic-bytes', plan: 'business', status: 'suspended' },
      [
        { 'spec.partner': 'baltic-bytes' },
        { 'spec.plan': 'business' },
        { 'spec.status': 'suspended' },
      ],
    ],
  ])('filters %j in the query', (filters, predicates) => {
    expect(tenantsPageRequest(view(filters)).query).toEqual({
      $all: [tenants, ...predicates],
    });
  });
});

describe('the filter choices', () => {
  it('lists partners and plans from the facets, and Direct for the rest', () => {
    expect(
      tenantFilterOptions({
        'spec.partner': [
          { value: 'nordlicht-it', count: 5 },
          { value: 'alpenwerk-systems', count: 4 },
        ],
        'spec.plan': [
          { value: 'starter', count: 4 },
          { value: 'business', count: 9 },
        ],
        kind: [{ value: 'Tenant', count: 13 }],
      }),
    ).toEqual({
      partners: [
        { value: 'alpenwerk-systems', label: 'alpenwerk-systems', count: 4 },
        { value: 'nordlicht-it', label: 'nordlicht-it', count: 5 },
        { value: DIRECT, label: 'Direct', count: 4 },
      ],
      plans: [
        { value: 'business', label: 'business', count: 9 },
        { value: 'starter', label: 'starter', count: 4 },
      ],
      total: 13,
    });
  });

  it('offers no Direct choice when every tenant has a partner (partner staff)', () => {
    const options = tenantFilterOptions({
      'spec.partner': [{ value: 'alpenwerk-systems', count: 4 }],
      'spec.plan': [{ value: 'business', count: 4 }],
      kind: [{ value: 'Tenant', count: 4 }],
    });
    expect(options.partners.map(p => p.value)).toEqual(['alpenwerk-systems']);
    expect(tenantFilterOptions({})).toEqual({
      partners: [],
      plans: [],
      total: 0,
    });
  });
});
