import {
  act,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import { coreApis } from '@backstage/frontend-plugin-api';
import { renderInTestApp, TestApiPair } from '@backstage/frontend-test-utils';
import { catalogApiRef, entityRouteRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { TenantEntityV1alpha1 } from '@internal/plugin-dezky-catalog-common';
import {
  ProvisioningApi,
  TenantLifecycle,
  TenantPhase,
  provisioningApiRef,
} from '../provisioning';
import { TenantsPage } from './TenantsPage';

const mountedRoutes = { '/catalog/:namespace/:kind/:name': entityRouteRef };

/** 45 tenants: alpha has the odd ones, beta the even, every fifth is direct. */
const tenants: TenantEntityV1alpha1[] = Array.from({ length: 45 }, (_, i) => {
  const n = i + 1;
  const name = `t${String(n).padStart(2, '0')}`;
  let partner: string | undefined = n % 2 ? 'alpha' : 'beta';
  if (n % 5 === 0) partner = undefined;
  return {
    apiVersion: 'dezky.io/v1alpha1',
    kind: 'Tenant',
    metadata: { namespace: 'default', name, title: `Tenant ${name} GmbH` },
    spec: {
      owner: 'group:default/x',
      ...(partner ? { partner } : {}),
      plan: ['starter', 'business', 'enterprise'][n % 3],
      seats: n,
      domains: [`${name}.example`, `mail.${name}.example`],
      ...(n % 7 === 0 ? { status: 'suspended' as const } : {}),
    },
  };
});

type Predicate = Record<string, any>;
const valueAt = (e: any, path: string) =>
  path.split('.').reduce((v, k) => (v === undefined ? v : v[k]), e);

/** Evaluates the predicates the page sends (a stand-in for the catalog's SQL). */
function matches(e: TenantEntityV1alpha1, p: Predicate): boolean {
  if (p.$all) return p.$all.every((x: Predicate) => matches(e, x));
  if (p.$any) return p.$any.some((x: Predicate) => matches(e, x));
  if (p.$not) return !matches(e, p.$not);
  return Object.entries(p).every(([key, want]) => {
    const got = valueAt(e, key);
    if (want && typeof want === 'object')
      return (got !== undefined) === want.$exists;
    return String(got).toLowerCase() === String(want).toLowerCase();
  });
}

/** A catalog over `items`, answering the page's requests as the real one does. */
function fakeCatalog(items: TenantEntityV1alpha1[]) {
  return catalogApiMock.mock({
    queryEntities: jest.fn(async (request: any) => {
      let rows = items.filter(e => matches(e, request.query));
      const term = request.fullTextFilter?.term?.toLowerCase();
      if (term) {
        rows = rows.filter(e =>
          request.fullTextFilter.fields.some((f: string) =>
            [valueAt(e, f)]
              .flat()
              .some(v => String(v).toLowerCase().includes(term)),
          ),
        );
      }
      const { field, order } = request.orderFields;
      rows = [...rows].sort(
        (a, b) =>
          String(valueAt(a, field)).localeCompare(String(valueAt(b, field))) *
          (order === 'desc' ? -1 : 1),
      );
      return {
        items: rows.slice(request.offset, request.offset + request.limit),
        totalItems: request.totalItems === 'exclude' ? 0 : rows.length,
        pageInfo: {},
      };
    }) as any,
    getEntityFacets: jest.fn(async () => {
      const count = (key: string) => {
        const counts = new Map<string, number>();
        for (const e of items) {
          const v = valueAt(e, key);
          if (v !== undefined) counts.set(v, (counts.get(v) ?? 0) + 1);
        }
        return [...counts].map(([value, n]) => ({ value, count: n }));
      };
      return {
        facets: {
          'spec.partner': count('spec.partner'),
          'spec.plan': count('spec.plan'),
          kind: count('kind'),
        },
      };
    }) as any,
  });
}

const ACTIVE: TenantLifecycle = {
  status: 'active',
  gitStatus: 'active',
  description: 'active',
};

/**
 * A provisioning API knowing the phases of `phases` (the others: not seen
 * yet), active unless `lifecycles` says otherwise, answering only the
 * list, as the server does (ordered by name).
 */
function fakeProvisioning(
  phases: Record<string, TenantPhase>,
  lifecycles: Record<string, TenantLifecycle> = {},
): jest.Mocked<ProvisioningApi> {
  return {
    listTenants: jest.fn(async (filters = {}) => {
      const items = Object.keys(phases)
        .filter(name => filters.tenants?.includes(name))
        .sort()
        .map(tenant => ({
          tenant,
          phase: phases[tenant],
          lifecycle: lifecycles[tenant] ?? ACTIVE,
          steps: [],
        }));
      return { items, total: items.length };
    }),
    getTenant: jest.fn(),
    reconcile: jest.fn(),
    suspend: jest.fn(),
    resume: jest.fn(),
    terminate: jest.fn(),
    listDomains: jest.fn(),
    recheckDomain: jest.fn(),
    setDmarc: jest.fn(),
    listMembers: jest.fn(),
    createMember: jest.fn(),
    memberAction: jest.fn(),
    removeMember: jest.fn(),
    summary: jest.fn(),
  };
}

function render(
  url: string,
  catalog = fakeCatalog(tenants),
  provisioning?: ProvisioningApi,
) {
  const apis: TestApiPair<any>[] = [[catalogApiRef, catalog]];
  if (provisioning) apis.push([provisioningApiRef, provisioning]);
  const result = renderInTestApp(<TenantsPage />, {
    apis,
    mountedRoutes,
    initialRouteEntries: [url],
  });
  const history = result.apis.get(coreApis.appHistory)!;
  return {
    catalog,
    /** The URL's query, as a record. */
    query: () =>
      Object.fromEntries(
        new URLSearchParams(history.getSnapshot().location.search),
      ),
    back: () => act(() => history.navigate(-1)),
  };
}

/** The tenant names of the table's rows, in order. */
const rowNames = () =>
  screen
    .getAllByRole('link', { name: /^Tenant t\d+ GmbH$/ })
    .map(a => /t\d+/.exec(a.textContent!)![0]);

async function choose(param: string, option: string) {
  fireEvent.mouseDown(
    within(screen.getByTestId(`filter-${param}`)).getByRole('button'),
  );
  fireEvent.click(await screen.findByRole('option', { name: option }));
}

describe('TenantsPage', () => {
  it('asks the catalog for the first page only, with the fields the table shows', async () => {
    const { catalog } = render('/tenants');
    expect(await screen.findByText('Tenants (45 of 45)')).toBeInTheDocument();
    expect(rowNames()).toEqual(tenants.slice(0, 20).map(t => t.metadata.name));
    expect(catalog.queryEntities).toHaveBeenCalledTimes(1);
    expect(catalog.queryEntities).toHaveBeenCalledWith({
      query: { kind: 'Tenant' },
      orderFields: { field: 'metadata.name', order: 'asc' },
      limit: 20,
      offset: 0,
      // written out: scripts/bench/catalog sends this same request
      fields: [
        'kind',
        'metadata.namespace',
        'metadata.name',
        'metadata.title',
        'spec.partner',
        'spec.plan',
        'spec.seats',
        'spec.domains',
        'spec.status',
      ],
    });
    expect(catalog.getEntityFacets).toHaveBeenCalledWith({
      filter: { kind: 'Tenant' },
      facets: ['spec.partner', 'spec.plan', 'kind'],
    });
    expect(catalog.getEntities).not.toHaveBeenCalled();
    // a row: partner, plan, seats, primary domain, status (active when unset)
    const row = screen
      .getByRole('link', { name: 'Tenant t07 GmbH' })
      .closest('tr')!;
    expect(row).toHaveTextContent(
      /^Tenant t07 GmbHalphabusiness7t07\.examplesuspended$/,
    );
    expect(
      screen.getByRole('link', { name: 'Tenant t05 GmbH' }).closest('tr'),
    ).toHaveTextContent(/Direct.*active$/);
  });

  it('reads filters, sort and page from the URL and sends them to the catalog', async () => {
    const { catalog } = render(
      '/tenants?partner=alpha&status=active&sort=plan&order=desc&page=2&pageSize=50',
    );
    expect(await screen.findByText('Tenants (16 of 45)')).toBeInTheDocument();
    // 16 match: page 2 of 50 is past the end, so the page moves to the last
    await waitFor(() => expect(rowNames()).toHaveLength(16));
    expect(catalog.queryEntities).toHaveBeenCalledWith(
      expect.objectContaining({
        query: {
          $all: [
            { kind: 'Tenant' },
            { 'spec.partner': 'alpha' },
            {
              $any: [
                { 'spec.status': 'active' },
                { $not: { 'spec.status': { $exists: true } } },
              ],
            },
          ],
        },
        orderFields: { field: 'spec.plan', order: 'desc' },
        limit: 50,
        offset: 50,
      }),
    );
    expect(catalog.queryEntities).toHaveBeenLastCalledWith(
      expect.objectContaining({ offset: 0 }),
    );
    expect(screen.getByTestId('filter-partner')).toHaveTextContent(
      'alpha (18)',
    );
  });

  it('pages and changes the page size through the catalog, keeping each step in the URL', async () => {
    const { catalog, query, back } = render('/tenants');
    await screen.findByText('Tenants (45 of 45)');

    fireEvent.click(screen.getByRole('button', { name: 'Next Page' }));
    await waitFor(() => expect(rowNames()[0]).toBe('t21'));
    expect(query()).toEqual({ page: '2' });
    // the count of this filter is known: not asked again
    expect(catalog.queryEntities).toHaveBeenLastCalledWith(
      expect.objectContaining({ offset: 20, limit: 20, totalItems: 'exclude' }),
    );
    expect(screen.getByText('Tenants (45 of 45)')).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Last Page' }));
    await waitFor(() =>
      expect(rowNames()).toEqual(['t41', 't42', 't43', 't44', 't45']),
    );
    expect(query()).toEqual({ page: '3' });

    // Back returns to the previous page, and the table follows
    back();
    await waitFor(() => expect(query()).toEqual({ page: '2' }));
    await waitFor(() => expect(rowNames()[0]).toBe('t21'));

    // 50 rows a page: back to page 1, all 45 at once
    fireEvent.mouseDown(screen.getByRole('button', { name: /20 rows/ }));
    fireEvent.click(await screen.findByRole('option', { name: '50' }));
    await waitFor(() => expect(query()).toEqual({ pageSize: '50' }));
    await waitFor(() => expect(rowNames()).toHaveLength(45));
    expect(catalog.queryEntities).toHaveBeenLastCalledWith(
      expect.objectContaining({ offset: 0, limit: 50 }),
    );
  });

  it('asks for the filter choices only once the first page is there', async () => {
    const catalog = fakeCatalog(tenants);
    const answer = (
      catalog.queryEntities as jest.Mock
    ).getMockImplementation()!;
    let release: () => void = () => {};
    (catalog.queryEntities as jest.Mock).mockImplementationOnce(
      (request: any) =>
        new Promise(resolve => {
          release = () => resolve(answer(request));
        }),
    );
    render('/tenants', catalog);
    await waitFor(() => expect(catalog.queryEntities).toHaveBeenCalled());
    expect(catalog.getEntityFacets).not.toHaveBeenCalled();
    act(() => release());
    await screen.findByText('Tenants (45 of 45)');
    expect(catalog.getEntityFacets).toHaveBeenCalledTimes(1);
  });

  it('counts again when a page shows the known count is out of date', async () => {
    const catalog = fakeCatalog(tenants);
    const { query } = render('/tenants', catalog);
    await screen.findByText('Tenants (45 of 45)');
    // five more tenants arrive in the catalog, then the user pages to the end
    const more = [
      ...tenants,
      ...tenants.slice(0, 5).map(t => ({
        ...t,
        metadata: { ...t.metadata, name: `t9${t.metadata.name.slice(1)}` },
      })),
    ];
    const grown = fakeCatalog(more);
    (catalog.queryEntities as jest.Mock).mockImplementation(
      grown.queryEntities as any,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Last Page' }));
    await waitFor(() => expect(query()).toEqual({ page: '3' }));
    await screen.findByText(/^Tenants \(50 of/);
    expect(catalog.queryEntities).toHaveBeenLastCalledWith(
      expect.not.objectContaining({ totalItems: 'exclude' }),
    );
  });

  it('sorts through the catalog by the columns it can sort, starting again at page 1', async () => {
    const { catalog, query, back } = render('/tenants?page=2');
    await screen.findByText('Tenants (45 of 45)');
    const sortBy = (name: string) =>
      fireEvent.click(
        within(screen.getByRole('columnheader', { name })).getByText(name),
      );

    sortBy('Plan');
    await waitFor(() => expect(query()).toEqual({ sort: 'plan' }));
    await waitFor(() =>
      expect(catalog.queryEntities).toHaveBeenLastCalledWith(
        expect.objectContaining({
          orderFields: { field: 'spec.plan', order: 'asc' },
          offset: 0,
        }),
      ),
    );
    sortBy('Plan');
    await waitFor(() =>
      expect(query()).toEqual({ sort: 'plan', order: 'desc' }),
    );
    // plans compare as text: starter, enterprise, business
    await waitFor(() => expect(rowNames()[0]).toBe('t03'));
    sortBy('Tenant');
    await waitFor(() => expect(query()).toEqual({}));
    await waitFor(() => expect(rowNames()[0]).toBe('t01'));

    // columns the catalog cannot sort by offer no sort button
    for (const name of ['Partner', 'Seats', 'Primary domain', 'Status']) {
      expect(
        within(screen.getByRole('columnheader', { name })).queryByRole(
          'button',
        ),
      ).toBeNull();
    }

    back();
    await waitFor(() =>
      expect(query()).toEqual({ sort: 'plan', order: 'desc' }),
    );
    await waitFor(() => expect(rowNames()[0]).toBe('t03'));
  });

  it('filters by partner, plan and status on the server, starting again at page 1', async () => {
    const { catalog, query } = render('/tenants?page=2');
    await screen.findByText('Tenants (45 of 45)');

    await choose('partner', 'Direct (9)');
    await waitFor(() => expect(query()).toEqual({ partner: '(direct)' }));
    await screen.findByText('Tenants (9 of 45)');
    expect(rowNames()).toEqual([
      't05',
      't10',
      't15',
      't20',
      't25',
      't30',
      't35',
      't40',
      't45',
    ]);

    await choose('plan', 'enterprise (15)');
    await choose('status', 'suspended');
    await screen.findByText('Tenants (1 of 45)');
    expect(rowNames()).toEqual(['t35']);
    expect(query()).toEqual({
      partner: '(direct)',
      plan: 'enterprise',
      status: 'suspended',
    });
    expect(catalog.queryEntities).toHaveBeenLastCalledWith(
      expect.objectContaining({
        query: {
          $all: [
            { kind: 'Tenant' },
            { $not: { 'spec.partner': { $exists: true } } },
            { 'spec.plan': 'enterprise' },
            { 'spec.status': 'suspended' },
          ],
        },
        offset: 0,
      }),
    );

    await choose('plan', 'starter (15)');
    expect(
      await screen.findByText('No tenant matches these filters.'),
    ).toBeInTheDocument();
  });

  it('searches on the server once typing pauses', async () => {
    const { catalog, query } = render('/tenants');
    await screen.findByText('Tenants (45 of 45)');
    const box = screen.getByLabelText('Search tenants (name, title, domain)');
    fireEvent.change(box, { target: { value: 'mail.t1' } });
    fireEvent.change(box, { target: { value: 'mail.t12' } });
    await waitFor(() => expect(query()).toEqual({ q: 'mail.t12' }));
    await screen.findByText('Tenants (1 of 45)');
    expect(rowNames()).toEqual(['t12']);
    const searches = (catalog.queryEntities as jest.Mock).mock.calls.filter(
      ([r]) => r.fullTextFilter,
    );
    expect(searches).toEqual([
      [
        expect.objectContaining({
          fullTextFilter: {
            term: 'mail.t12',
            fields: ['metadata.name', 'metadata.title', 'spec.domains'],
          },
        }),
      ],
    ]);
  });

  it("offers partner staff only their partners' choices", async () => {
    const alpha = tenants.filter(t => t.spec.partner === 'alpha');
    render('/tenants', fakeCatalog(alpha));
    await screen.findByText('Tenants (18 of 18)');
    fireEvent.mouseDown(
      within(screen.getByTestId('filter-partner')).getByRole('button'),
    );
    const listbox = await screen.findByRole('listbox');
    expect(
      within(listbox)
        .getAllByRole('option')
        .map(o => o.textContent),
    ).toEqual(['All', 'alpha (18)']);
  });

  it('says so when the user may see no tenants at all', async () => {
    render('/tenants', fakeCatalog([]));
    expect(await screen.findByText('No tenants')).toBeInTheDocument();
    expect(screen.queryByRole('table')).toBeNull();
  });

  it('shows the error and keeps the filters when the catalog fails', async () => {
    const catalog = fakeCatalog(tenants);
    (catalog.queryEntities as jest.Mock).mockRejectedValue(
      new Error('catalog is down'),
    );
    render('/tenants?plan=business', catalog);
    expect(
      (await screen.findAllByText(/catalog is down/)).length,
    ).toBeGreaterThan(0);
    expect(screen.getByTestId('filter-plan')).toBeInTheDocument();
  });

  it('shows the provisioning phase of the page’s tenants, read in one call per page', async () => {
    const provisioning = fakeProvisioning({
      t01: 'active',
      t02: 'degraded',
      t03: 'pending',
      t21: 'active',
    });
    render('/tenants', fakeCatalog(tenants), provisioning);
    await screen.findByText('Tenants (45 of 45)');
    const cell = (name: string) =>
      screen
        .getByRole('link', { name: `Tenant ${name} GmbH` })
        .closest('tr')!
        .querySelectorAll('td')[6];
    await waitFor(() =>
      expect(within(cell('t02')).getByTestId('phase-chip')).toHaveTextContent(
        'degraded',
      ),
    );
    expect(
      screen.getByRole('columnheader', { name: 'Provisioning' }),
    ).toBeInTheDocument();
    expect(within(cell('t01')).getByTestId('phase-chip')).toHaveTextContent(
      'active',
    );
    expect(within(cell('t03')).getByTestId('phase-chip')).toHaveTextContent(
      'pending',
    );
    // a tenant the engine has not seen yet
    expect(cell('t04')).toHaveTextContent(/^—$/);
    expect(within(cell('t04')).getByLabelText('Not provisioned yet')).toBe(
      within(cell('t04')).getByTestId('no-phase'),
    );
    expect(provisioning.listTenants).toHaveBeenCalledTimes(1);
    expect(provisioning.listTenants).toHaveBeenCalledWith({
      tenants: tenants.slice(0, 20).map(t => t.metadata.name),
      limit: 20,
    });

    // the next page: its own tenants, in one call
    fireEvent.click(screen.getByRole('button', { name: 'Next Page' }));
    await waitFor(() =>
      expect(within(cell('t21')).getByTestId('phase-chip')).toHaveTextContent(
        'active',
      ),
    );
    expect(provisioning.listTenants).toHaveBeenCalledTimes(2);
    expect(provisioning.listTenants).toHaveBeenLastCalledWith({
      tenants: tenants.slice(20, 40).map(t => t.metadata.name),
      limit: 20,
    });
  });

  it('shows the status provisioning has, with where it comes from, else spec.status', async () => {
    const suspended: TenantLifecycle = {
      status: 'suspended',
      source: 'portal',
      gitStatus: 'active',
      description:
        'suspended in the portal by anna.schmidt@dezky.example on 2026-12-07: unpaid invoices',
    };
    const inGit: TenantLifecycle = {
      status: 'suspended',
      source: 'git',
      gitStatus: 'suspended',
      description: 'suspended in git (spec.status: suspended)',
    };
    const provisioning = fakeProvisioning(
      { t01: 'active', t02: 'active', t07: 'active' },
      { t02: suspended, t07: inGit },
    );
    render('/tenants', fakeCatalog(tenants), provisioning);
    await screen.findByText('Tenants (45 of 45)');
    const status = (name: string) =>
      screen
        .getByRole('link', { name: `Tenant ${name} GmbH` })
        .closest('tr')!
        .querySelectorAll('td')[5];
    await waitFor(() =>
      expect(
        within(status('t02')).getByTestId('lifecycle-chip'),
      ).toHaveTextContent('suspended · portal'),
    );
    expect(
      within(status('t07')).getByTestId('lifecycle-chip'),
    ).toHaveTextContent('suspended · git');
    expect(
      within(status('t01')).getByTestId('lifecycle-chip'),
    ).toHaveTextContent(/^active$/);
    fireEvent.mouseOver(within(status('t02')).getByTestId('lifecycle-chip'));
    expect(await screen.findByRole('tooltip')).toHaveTextContent(
      suspended.description,
    );
    // not seen by provisioning: spec.status, as without the plugin
    expect(within(status('t14')).queryByTestId('lifecycle-chip')).toBeNull();
    expect(within(status('t14')).getByTestId('status-chip')).toHaveTextContent(
      /^suspended$/,
    );
    expect(within(status('t03')).getByTestId('status-chip')).toHaveTextContent(
      /^active$/,
    );
  });

  it('shows "—" with the error in its tooltip when the phases cannot be read', async () => {
    const provisioning = fakeProvisioning({});
    provisioning.listTenants.mockRejectedValue(
      new Error('provisioning backend down'),
    );
    render('/tenants', fakeCatalog(tenants), provisioning);
    await screen.findByText('Tenants (45 of 45)');
    const dashes = await screen.findAllByTestId('no-phase');
    expect(dashes).toHaveLength(20);
    expect(dashes[0]).toHaveTextContent(/^—$/);
    fireEvent.mouseOver(dashes[0]);
    expect(await screen.findByRole('tooltip')).toHaveTextContent(
      'Could not read the provisioning phases: provisioning backend down',
    );
    // the rest of the table is there
    expect(rowNames()).toHaveLength(20);
  });

  it('has no Provisioning column without the provisioning plugin', async () => {
    render('/tenants');
    await screen.findByText('Tenants (45 of 45)');
    expect(screen.getAllByRole('columnheader')).toHaveLength(6);
    expect(
      screen.queryByRole('columnheader', { name: 'Provisioning' }),
    ).toBeNull();
    expect(screen.queryByTestId('no-phase')).toBeNull();
  });

  it('keeps every column header on one line', async () => {
    render('/tenants');
    await screen.findByText('Tenants (45 of 45)');
    for (const header of screen.getAllByRole('columnheader')) {
      expect(header).toHaveStyle({ whiteSpace: 'nowrap' });
    }
  });
});
