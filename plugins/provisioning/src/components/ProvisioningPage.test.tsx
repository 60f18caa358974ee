import {
  act,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import { coreApis } from '@backstage/frontend-plugin-api';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { FreshPermissions } from '@internal/plugin-dezky-react';
import {
  ReconcileResult,
  TenantProvisioning,
} from '@internal/plugin-provisioning-common';
import { provisioningApiRef } from '../api';
import {
  aDetail,
  aHold,
  aLifecycle,
  aSummary,
  aTenant,
  deferred,
  fakeProvisioningApi,
  responseError,
} from '../testing/fakes';
import { AUTO_REFRESH_MS, ProvisioningPage } from './ProvisioningPage';

const LONG_ERROR =
  'POST /api/v1/principal returned 500 Internal Server Error: the domain globex.example could not be created because the directory is read-only';

const acme = aTenant();
const globex = aTenant({
  tenant: 'globex',
  title: 'Globex Corp',
  partner: 'partner:default/nordlicht-it',
  phase: 'degraded',
  stepsBy: {
    stalwart: {
      status: 'error',
      reason: 'SystemUnavailable',
      message: LONG_ERROR,
      attempts: 3,
      lastAttemptAt: new Date(Date.now() - 120_000).toISOString(),
      nextAttemptAt: new Date(Date.now() + 130_000).toISOString(),
    },
  },
});
const initech = aTenant({
  tenant: 'initech',
  title: undefined,
  phase: 'pending',
  stepsBy: {
    authentik: { status: 'skipped', reason: 'NotInIntegrations' },
    ocis: { status: 'pending', lastOkAt: undefined },
  },
});

const list = (items: TenantProvisioning[], total = items.length) => ({
  items,
  total,
});

function render(
  url: string,
  api: ReturnType<typeof fakeProvisioningApi>,
  permission = mockApis.permission(),
) {
  const result = renderInTestApp(
    <FreshPermissions>
      <ProvisioningPage />
    </FreshPermissions>,
    {
      apis: [[provisioningApiRef, api], permission],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
      initialRouteEntries: [url],
    },
  );
  const history = result.apis.get(coreApis.appHistory)!;
  return {
    /** The URL's query, as a record. */
    query: () =>
      Object.fromEntries(
        new URLSearchParams(history.getSnapshot().location.search),
      ),
  };
}

const rowOf = (tenant: string) =>
  screen
    .getAllByTestId('provisioning-row')
    .find(r => r.getAttribute('data-tenant') === tenant)!;

const stepOf = (tenant: string, step: string) =>
  within(rowOf(tenant)).getByTestId(`step-${step}`);

async function choose(param: string, option: string) {
  fireEvent.mouseDown(
    within(screen.getByTestId(`filter-${param}`)).getByRole('button'),
  );
  fireEvent.click(await screen.findByRole('option', { name: option }));
}

/** Lets pending promise callbacks run. */
const settle = () => act(() => new Promise(r => setTimeout(r, 0)));

describe('ProvisioningPage', () => {
  it('shows each tenant’s phase and steps, errors with their retry, and the counts by phase', async () => {
    const api = fakeProvisioningApi({
      listTenants: jest.fn(async () => list([acme, globex, initech])),
      summary: jest.fn(async () =>
        aSummary({ pending: 1, active: 1, degraded: 1 }),
      ),
    });
    render('/provisioning', api);

    expect(await screen.findAllByTestId('provisioning-row')).toHaveLength(3);
    expect(api.listTenants).toHaveBeenCalledTimes(1);
    expect(api.listTenants).toHaveBeenCalledWith({ limit: 20, offset: 0 });
    expect(screen.getByText('Tenants (3)')).toBeInTheDocument();

    // phases, coloured by tone
    const phase = (t: string) => within(rowOf(t)).getByTestId('phase-chip');
    expect(phase('acme')).toHaveTextContent('active');
    expect(phase('acme')).toHaveStyle({ background: '#2e7d32' });
    expect(phase('globex')).toHaveTextContent('degraded');
    expect(phase('globex')).toHaveStyle({ background: '#d32f2f' });
    expect(phase('initech')).toHaveTextContent('pending');

    // a step in error: its chip, its message cut short, the retry counting down
    const stalwart = stepOf('globex', 'stalwart');
    expect(within(stalwart).getByTestId('step-status')).toHaveTextContent(
      'error',
    );
    const message = within(stalwart).getByTestId('step-message');
    expect(message.textContent).toHaveLength(80);
    expect(message.textContent).toMatch(/^POST \/api\/v1\/principal .*…$/);
    expect(within(stalwart).getByTestId('step-retry')).toHaveTextContent(
      /^next retry in 2 min \d+ s$/,
    );
    // the whole message in the tooltip
    fireEvent.mouseOver(message);
    expect(await screen.findByRole('tooltip')).toHaveTextContent(LONG_ERROR);
    expect(within(rowOf('globex')).getByTestId('last-error')).toHaveTextContent(
      /^stalwart, 2 min( \d+ s)? ago$/,
    );

    // the other steps: the status, and why when it is not ok
    expect(stepOf('globex', 'authentik')).toHaveAttribute('data-status', 'ok');
    expect(
      within(stepOf('globex', 'authentik')).queryByTestId('step-message'),
    ).toBeNull();
    expect(stepOf('initech', 'authentik')).toHaveTextContent(
      'skippedNotInIntegrations',
    );
    expect(stepOf('initech', 'ocis')).toHaveTextContent(/^pending$/);
    expect(within(rowOf('acme')).queryByTestId('last-error')).toBeNull();

    // the tenant links to its page's Provisioning tab
    expect(
      within(rowOf('globex')).getByRole('link', { name: 'Globex Corp' }),
    ).toHaveAttribute('href', '/catalog/default/tenant/globex/provisioning');
    expect(
      within(rowOf('initech')).getByRole('link', { name: 'initech' }),
    ).toHaveAttribute('href', '/catalog/default/tenant/initech/provisioning');
    expect(rowOf('acme')).toHaveTextContent('Direct');

    // the counts by phase
    const summary = screen.getByTestId('provisioning-summary');
    expect(
      within(summary).getByRole('button', { name: 'all: 3' }),
    ).toHaveAttribute('aria-pressed', 'true');
    expect(
      within(summary).getByRole('button', { name: 'degraded: 1' }),
    ).toHaveAttribute('aria-pressed', 'false');
  });

  it('shows each tenant’s status with where it comes from, and filters by it', async () => {
    const suspended = aTenant({
      tenant: 'umbrella',
      title: 'Umbrella AG',
      lifecycle: aLifecycle({
        status: 'suspended',
        source: 'portal',
        hold: aHold({ at: '2026-12-07T09:00:00Z' }),
      }),
    });
    const api = fakeProvisioningApi({
      listTenants: jest.fn(async () => list([acme, suspended])),
    });
    const { query } = render('/provisioning', api);
    await screen.findAllByTestId('provisioning-row');
    expect(
      screen.getByRole('columnheader', { name: 'Status' }),
    ).toBeInTheDocument();
    const status = (t: string) =>
      within(rowOf(t)).getByTestId('lifecycle-chip');
    expect(status('acme')).toHaveTextContent(/^active$/);
    expect(status('umbrella')).toHaveTextContent('suspended · portal');
    expect(rowOf('umbrella')).toHaveAttribute('data-lifecycle', 'suspended');
    fireEvent.mouseOver(status('umbrella'));
    expect(await screen.findByRole('tooltip')).toHaveTextContent(
      'suspended in the portal by anna.schmidt@dezky.example on 2026-12-07: unpaid invoices',
    );

    await choose('lifecycle', 'suspended');
    await waitFor(() => expect(query()).toEqual({ lifecycle: 'suspended' }));
    await waitFor(() =>
      expect(api.listTenants).toHaveBeenLastCalledWith({
        lifecycle: 'suspended',
        limit: 20,
        offset: 0,
      }),
    );
    expect(screen.getByTestId('filter-lifecycle')).toHaveTextContent(
      'suspended',
    );
  });

  it('reads the filters and the page from the URL and sends them to the API', async () => {
    const api = fakeProvisioningApi({
      listTenants: jest.fn(async () => list([globex], 21)),
    });
    render(
      '/provisioning?phase=degraded&step=stalwart&status=error&page=2',
      api,
    );
    await screen.findAllByTestId('provisioning-row');
    expect(api.listTenants).toHaveBeenCalledTimes(1);
    expect(api.listTenants).toHaveBeenCalledWith({
      phase: 'degraded',
      step: 'stalwart',
      status: 'error',
      limit: 20,
      offset: 20,
    });
    expect(screen.getByTestId('filter-phase')).toHaveTextContent('degraded');
    expect(screen.getByTestId('filter-step')).toHaveTextContent('stalwart');
    expect(screen.getByTestId('filter-status')).toHaveTextContent('error');
  });

  it('puts a chosen filter into the URL and the API call, starting again at page 1', async () => {
    const api = fakeProvisioningApi({
      listTenants: jest.fn(async () => list([globex, initech], 45)),
      summary: jest.fn(async () => aSummary({ active: 40, pending: 5 })),
    });
    const { query } = render('/provisioning?page=2', api);
    await screen.findAllByTestId('provisioning-row');

    await choose('status', 'error');
    await waitFor(() => expect(query()).toEqual({ status: 'error' }));
    await waitFor(() =>
      expect(api.listTenants).toHaveBeenLastCalledWith({
        status: 'error',
        limit: 20,
        offset: 0,
      }),
    );

    // a step narrows the status
    await choose('step', 'ocis');
    await waitFor(() =>
      expect(query()).toEqual({ status: 'error', step: 'ocis' }),
    );
    await waitFor(() =>
      expect(api.listTenants).toHaveBeenLastCalledWith({
        step: 'ocis',
        status: 'error',
        limit: 20,
        offset: 0,
      }),
    );

    // the counts by phase filter too
    fireEvent.click(screen.getByRole('button', { name: 'pending: 5' }));
    await waitFor(() =>
      expect(query()).toEqual({
        status: 'error',
        step: 'ocis',
        phase: 'pending',
      }),
    );
    await waitFor(() =>
      expect(api.listTenants).toHaveBeenLastCalledWith({
        phase: 'pending',
        step: 'ocis',
        status: 'error',
        limit: 20,
        offset: 0,
      }),
    );
    expect(screen.getByRole('button', { name: 'pending: 5' })).toHaveAttribute(
      'aria-pressed',
      'true',
    );
    fireEvent.click(screen.getByRole('button', { name: 'all: 45' }));
    await waitFor(() =>
      expect(query()).toEqual({ status: 'error', step: 'ocis' }),
    );

    // a step without a status is kept in the URL, not sent
    await choose('status', 'All');
    await waitFor(() => expect(query()).toEqual({ step: 'ocis' }));
    await waitFor(() =>
      expect(api.listTenants).toHaveBeenLastCalledWith({
        limit: 20,
        offset: 0,
      }),
    );
    expect(
      screen.getByText('Pick a status: the step in that status'),
    ).toBeInTheDocument();
  });

  it('pages through the server, keeping the page in the URL', async () => {
    const api = fakeProvisioningApi({
      listTenants: jest.fn(async () => list([acme], 45)),
    });
    const { query } = render('/provisioning', api);
    await screen.findByText('Tenants (45)');
    fireEvent.click(screen.getByRole('button', { name: 'Next Page' }));
    await waitFor(() => expect(query()).toEqual({ page: '2' }));
    await waitFor(() =>
      expect(api.listTenants).toHaveBeenLastCalledWith({
        limit: 20,
        offset: 20,
      }),
    );
  });

  it('moves to the last page when the URL’s page is past the end', async () => {
    const api = fakeProvisioningApi({
      listTenants: jest.fn(async filters =>
        filters?.offset === 0 ? list([acme], 3) : list([], 3),
      ),
    });
    const { query } = render('/provisioning?page=4', api);
    await waitFor(() => expect(query()).toEqual({}));
    expect(await screen.findAllByTestId('provisioning-row')).toHaveLength(1);
    expect(api.listTenants).toHaveBeenCalledWith({ limit: 20, offset: 60 });
  });

  it('reconciles a tenant, spinning meanwhile, and shows its new state and the outcome', async () => {
    const answer = deferred<ReconcileResult>();
    const api = fakeProvisioningApi({
      listTenants: jest.fn(async () => list([acme, globex])),
      reconcile: jest.fn(() => answer.promise),
    });
    render('/provisioning', api);
    await screen.findAllByTestId('provisioning-row');
    const button = await within(rowOf('globex')).findByRole('button', {
      name: 'Reconcile',
    });
    expect(api.summary).toHaveBeenCalledTimes(1);

    fireEvent.click(button);
    expect(api.reconcile).toHaveBeenCalledWith('globex');
    await waitFor(() => expect(button).toBeDisabled());
    expect(
      within(rowOf('acme')).getByRole('button', { name: 'Reconcile' }),
    ).toBeEnabled();

    answer.resolve({
      outcome: 'done',
      tenant: aDetail({ tenant: 'globex', phase: 'active' }),
    });
    expect(
      await within(rowOf('globex')).findByTestId('reconcile-outcome'),
    ).toHaveTextContent('Reconciled');
    expect(button).toBeEnabled();
    expect(within(rowOf('globex')).getByTestId('phase-chip')).toHaveTextContent(
      'active',
    );
    expect(stepOf('globex', 'stalwart')).toHaveAttribute('data-status', 'ok');
    // the counts follow
    await waitFor(() => expect(api.summary).toHaveBeenCalledTimes(2));
  });

  it('says when a reconcile was queued, and shows a refusal', async () => {
    const api = fakeProvisioningApi({
      listTenants: jest.fn(async () => list([acme, globex])),
      reconcile: jest.fn(async name => {
        if (name === 'acme') {
          return { outcome: 'queued' as const, tenant: aDetail() };
        }
        throw await responseError(
          403,
          'Not allowed: provisioning.tenant.reconcile',
          'NotAllowedError',
        );
      }),
    });
    render('/provisioning', api);
    await screen.findAllByTestId('provisioning-row');

    fireEvent.click(
      await within(rowOf('acme')).findByRole('button', { name: 'Reconcile' }),
    );
    expect(
      await within(rowOf('acme')).findByTestId('reconcile-outcome'),
    ).toHaveTextContent('Queued: another instance is working on this tenant');

    fireEvent.click(
      within(rowOf('globex')).getByRole('button', { name: 'Reconcile' }),
    );
    expect(
      await within(rowOf('globex')).findByTestId('reconcile-error'),
    ).toHaveTextContent(
      'Reconcile failed: Not allowed: provisioning.tenant.reconcile',
    );
    // the row keeps what it showed
    expect(within(rowOf('globex')).getByTestId('phase-chip')).toHaveTextContent(
      'degraded',
    );
  });

  it('offers Reconcile only on the tenants the permission API allows it for', async () => {
    const permission = mockApis.permission({
      authorize: request =>
        'resourceRef' in request &&
        request.resourceRef === 'tenant:default/globex'
          ? AuthorizeResult.ALLOW
          : AuthorizeResult.DENY,
    });
    const authorize = jest.spyOn(permission, 'authorize');
    const api = fakeProvisioningApi({
      listTenants: jest.fn(async () => list([acme, globex])),
    });
    render('/provisioning', api, permission);
    await screen.findAllByTestId('provisioning-row');
    expect(
      await within(rowOf('globex')).findByRole('button', { name: 'Reconcile' }),
    ).toBeInTheDocument();
    expect(authorize).toHaveBeenCalledWith(
      expect.objectContaining({
        permission: expect.objectContaining({
          name: 'provisioning.tenant.reconcile',
        }),
        resourceRef: 'tenant:default/acme',
      }),
    );
    await settle();
    expect(
      within(rowOf('acme')).queryByRole('button', { name: 'Reconcile' }),
    ).toBeNull();
  });

  it('says when no tenant matches the filters, keeping the filters on screen', async () => {
    const api = fakeProvisioningApi();
    render('/provisioning?phase=degraded', api);
    expect(
      await screen.findByText('No tenant matches these filters'),
    ).toBeInTheDocument();
    expect(screen.getByTestId('filter-phase')).toHaveTextContent('degraded');
    expect(screen.queryByRole('table')).toBeNull();
  });

  it('says when there are no tenants at all', async () => {
    render('/provisioning', fakeProvisioningApi());
    expect(
      await screen.findByText('No tenants provisioned yet'),
    ).toBeInTheDocument();
  });

  it('shows a failed read, and failed counts apart', async () => {
    const api = fakeProvisioningApi({
      listTenants: jest.fn(async () => {
        throw await responseError(500, 'provisioning database unavailable');
      }),
      summary: jest.fn(async () => {
        throw await responseError(503, 'summary unavailable');
      }),
    });
    render('/provisioning', api);
    expect(
      (await screen.findAllByText(/provisioning database unavailable/)).length,
    ).toBeGreaterThan(0);
    expect(await screen.findByTestId('summary-error')).toHaveTextContent(
      'Counts unavailable: summary unavailable',
    );
    expect(screen.getByTestId('filter-phase')).toBeInTheDocument();
  });

  it('re-reads every 10 s while a step on screen is pending or in error, keeping the rows when a read fails', async () => {
    jest.useFakeTimers();
    try {
      const api = fakeProvisioningApi({
        listTenants: jest.fn(async () => list([acme, initech])),
      });
      render('/provisioning', api);
      await screen.findAllByTestId('provisioning-row');
      expect(screen.getByTestId('auto-refresh')).toHaveTextContent(
        'refreshed every 10 s',
      );
      expect(api.listTenants).toHaveBeenCalledTimes(1);
      expect(api.summary).toHaveBeenCalledTimes(1);

      // the next read fails: the rows stay, with a warning
      api.listTenants.mockImplementationOnce(async () => {
        throw await responseError(500, 'database unavailable');
      });
      act(() => jest.advanceTimersByTime(AUTO_REFRESH_MS));
      await waitFor(() => expect(api.listTenants).toHaveBeenCalledTimes(2));
      expect(await screen.findByTestId('refresh-error')).toHaveTextContent(
        'Refresh failed: database unavailable',
      );
      expect(screen.getAllByTestId('provisioning-row')).toHaveLength(2);
      expect(api.summary).toHaveBeenCalledTimes(2);

      // initech converges: the page stops re-reading
      api.listTenants.mockImplementation(async () =>
        list([acme, aTenant({ tenant: 'initech' })]),
      );
      act(() => jest.advanceTimersByTime(AUTO_REFRESH_MS));
      await waitFor(() =>
        expect(stepOf('initech', 'ocis')).toHaveAttribute('data-status', 'ok'),
      );
      expect(screen.queryByTestId('refresh-error')).toBeNull();
      expect(screen.queryByTestId('auto-refresh')).toBeNull();
      act(() => jest.advanceTimersByTime(3 * AUTO_REFRESH_MS));
      await act(async () => undefined);
      expect(api.listTenants).toHaveBeenCalledTimes(3);
    } finally {
      jest.useRealTimers();
    }
  });

  it('does not re-read when every step on screen is settled', async () => {
    jest.useFakeTimers();
    try {
      const api = fakeProvisioningApi({
        listTenants: jest.fn(async () =>
          list([
            acme,
            aTenant({
              tenant: 'hooli',
              stepsBy: { ocis: { status: 'paused', reason: 'FlagOff' } },
            }),
          ]),
        ),
      });
      render('/provisioning', api);
      await screen.findAllByTestId('provisioning-row');
      act(() => jest.advanceTimersByTime(3 * AUTO_REFRESH_MS));
      await act(async () => undefined);
      expect(api.listTenants).toHaveBeenCalledTimes(1);
      expect(screen.queryByTestId('auto-refresh')).toBeNull();
    } finally {
      jest.useRealTimers();
    }
  });
});
