import {
  act,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { FreshPermissions } from '@internal/plugin-dezky-react';
import { HealthHistory } from '@internal/plugin-health-common';
import { healthApiRef } from '../api';
import {
  aHistory,
  aStatus,
  fakeHealthApi,
  OPERATOR_REFS,
  responseError,
  seriesOf,
} from '../testing/fakes';
import { InfrastructurePage } from './InfrastructurePage';

/** The permission API as the server answers an operator: everything allowed. */
const operatorPermissions = () => mockApis.permission();

/** The permission API as the server answers partner staff: no probe round. */
const staffPermissions = () =>
  mockApis.permission({ authorize: AuthorizeResult.DENY });

/** The page with no permission decision cached from an earlier test. */
const page = () => (
  <FreshPermissions>
    <InfrastructurePage />
  </FreshPermissions>
);

const stalwart = aStatus();
const postgres = aStatus({
  integration: 'integration:default/postgres',
  title: 'Portal database',
  status: 'bad',
  latencyMs: 1500,
  error: 'timeout after 1500 ms',
  checkedAt: new Date(Date.now() - 12_000).toISOString(),
});
const keycloak = aStatus({
  integration: 'integration:default/keycloak',
  title: 'Keycloak',
  status: 'planned',
  latencyMs: undefined,
  checkedAt: undefined,
});

const cardOf = (ref: string) =>
  screen
    .getAllByTestId('health-card')
    .find(c => c.getAttribute('data-integration') === ref)!;

/** A promise with its resolve and reject at hand. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets pending promise callbacks run. */
const settle = () => act(() => new Promise(r => setTimeout(r, 0)));

const chartPoints = (card: HTMLElement) =>
  within(card).getByTestId('sparkline').getAttribute('data-points');

describe('InfrastructurePage', () => {
  it('shows a card per probed integration with status, latency, uptime and chart', async () => {
    const api = fakeHealthApi({
      getStatus: jest.fn(async () => [stalwart, keycloak]),
      getHistory: jest.fn(async ref =>
        aHistory({
          integration: ref,
          uptime: { '24h': null, '7d': null, '30d': null },
        }),
      ),
    });
    api.getHistory.mockImplementationOnce(async ref =>
      aHistory({
        integration: ref,
        series: seriesOf([40, 42, 38, 1500, 45], { bad: [3] }),
      }),
    );
    renderInTestApp(page(), {
      apis: [[healthApiRef, api], staffPermissions()],
    });

    const cards = await screen.findAllByTestId('health-card');
    expect(cards).toHaveLength(1);
    const card = cardOf('integration:default/stalwart');
    expect(card).toHaveTextContent('Stalwart mail');
    expect(within(card).getByTestId('health-status')).toHaveTextContent('ok');
    expect(within(card).getByTestId('health-latency')).toHaveTextContent(
      '42 ms',
    );
    await waitFor(() =>
      expect(within(card).getByTestId('health-uptime')).toHaveTextContent(
        '99.87 %',
      ),
    );
    // the chart draws the history's series, the bad point marked red
    const chart = within(card).getByTestId('sparkline');
    expect(chart).toHaveAttribute('data-points', '5');
    expect(chart).toHaveAttribute('data-bad', '1');
    expect(within(card).getAllByTestId('sparkline-bad')).toHaveLength(1);
    expect(chart).toHaveAttribute(
      'aria-label',
      'Latency of Stalwart mail over 24 h: 5 points, max 1500 ms, 1 bad',
    );
    expect(within(card).getByTestId('health-checked')).toHaveTextContent(
      /checked \d+ s ago/,
    );
    expect(api.getHistory).toHaveBeenCalledTimes(1);
    expect(api.getHistory).toHaveBeenCalledWith(
      'integration:default/stalwart',
      {
        window: '24h',
        points: 60,
      },
    );
    // planned integrations are never asked for a history
    expect(api.getHistory).not.toHaveBeenCalledWith(
      'integration:default/keycloak',
    );
    expect(screen.queryByTestId('health-banner')).toBeNull();
  });

  it('shows "—" for an uptime without samples, and says the chart is empty', async () => {
    const api = fakeHealthApi({
      getStatus: jest.fn(async () => [stalwart]),
      getHistory: jest.fn(async ref =>
        aHistory({
          integration: ref,
          uptime: { '24h': null, '7d': null, '30d': null },
          samples: { '24h': 0, '7d': 0, '30d': 0 },
          series: seriesOf([]),
        }),
      ),
    });
    renderInTestApp(page(), {
      apis: [[healthApiRef, api], staffPermissions()],
    });
    const card = await screen.findByTestId('health-card');
    expect(
      await within(card).findByTestId('sparkline-empty'),
    ).toHaveTextContent('No samples in the last 24 h');
    expect(within(card).getByTestId('health-uptime')).toHaveTextContent('—');
  });

  it('shows "—" for uptime and chart when the history cannot be read', async () => {
    const api = fakeHealthApi({
      getStatus: jest.fn(async () => [stalwart]),
      getHistory: jest.fn(async () => {
        throw await responseError(500, 'history down');
      }),
    });
    renderInTestApp(page(), {
      apis: [[healthApiRef, api], staffPermissions()],
    });
    const card = await screen.findByTestId('health-card');
    await waitFor(() => expect(api.getHistory).toHaveBeenCalled());
    expect(within(card).getByTestId('health-uptime')).toHaveTextContent('—');
    expect(within(card).getByTestId('sparkline-empty')).toHaveTextContent(
      /^—$/,
    );
    expect(screen.queryByTestId('health-refresh-error')).toBeNull();
  });

  it('re-reads each history with the status, keeping the last one until a newer arrives', async () => {
    const ref = stalwart.integration;
    const api = fakeHealthApi({
      getStatus: jest.fn(async () => [stalwart]),
      getHistory: jest.fn(async () => aHistory({ series: seriesOf([40, 42]) })),
    });
    renderInTestApp(page(), {
      apis: [[healthApiRef, api], staffPermissions()],
    });
    const card = await screen.findByTestId('health-card');
    await waitFor(() => expect(chartPoints(card)).toBe('2'));
    const refreshButton = screen.getByRole('button', { name: 'Refresh' });

    // a new round: the old chart stays while the new history is on its way
    const next = deferred<HealthHistory>();
    api.getHistory.mockImplementationOnce(() => next.promise);
    fireEvent.click(refreshButton);
    await waitFor(() => expect(api.getHistory).toHaveBeenCalledTimes(2));
    expect(api.getHistory).toHaveBeenLastCalledWith(ref, {
      window: '24h',
      points: 60,
    });
    await settle();
    expect(chartPoints(card)).toBe('2');
    next.resolve(
      aHistory({
        uptime: { '24h': 0.5, '7d': 0.9, '30d': 0.9 },
        series: seriesOf([40, 42, 1500], { bad: [2] }),
      }),
    );
    await waitFor(() => expect(chartPoints(card)).toBe('3'));
    expect(within(card).getByTestId('health-uptime')).toHaveTextContent(
      '50.00 %',
    );

    // a failed read keeps the last history
    api.getHistory.mockImplementationOnce(async () => {
      throw await responseError(500, 'history down');
    });
    fireEvent.click(refreshButton);
    await waitFor(() => expect(api.getHistory).toHaveBeenCalledTimes(3));
    await settle();
    expect(chartPoints(card)).toBe('3');
    expect(within(card).getByTestId('health-uptime')).toHaveTextContent(
      '50.00 %',
    );

    // an older round answering late does not replace a newer one
    const slow = deferred<HealthHistory>();
    api.getHistory
      .mockImplementationOnce(() => slow.promise)
      .mockImplementationOnce(async () =>
        aHistory({ series: seriesOf([1, 2, 3, 4]) }),
      );
    fireEvent.click(refreshButton);
    await waitFor(() => expect(api.getHistory).toHaveBeenCalledTimes(4));
    await waitFor(() => expect(refreshButton).toBeEnabled());
    fireEvent.click(refreshButton);
    await waitFor(() => expect(chartPoints(card)).toBe('4'));
    slow.resolve(aHistory({ series: seriesOf([1]) }));
    await settle();
    expect(chartPoints(card)).toBe('4');
  });

  it('shows a red banner naming the bad integrations, bad ones first', async () => {
    const api = fakeHealthApi({
      getStatus: jest.fn(async () => [stalwart, postgres]),
    });
    renderInTestApp(page(), {
      apis: [[healthApiRef, api], staffPermissions()],
    });
    const banner = await screen.findByTestId('health-banner');
    expect(banner).toHaveTextContent('1 integration is down: Portal database');
    expect(banner).not.toHaveTextContent('Stalwart');
    const cards = screen.getAllByTestId('health-card');
    expect(cards.map(c => c.getAttribute('data-integration'))).toEqual([
      'integration:default/postgres',
      'integration:default/stalwart',
    ]);
    const bad = cardOf('integration:default/postgres');
    expect(within(bad).getByTestId('health-status')).toHaveAttribute(
      'data-status',
      'bad',
    );
    expect(within(bad).getByTestId('health-error')).toHaveTextContent(
      'timeout after 1500 ms',
    );
  });

  it('lists planned integrations apart, without probing data', async () => {
    const api = fakeHealthApi({
      getStatus: jest.fn(async () => [stalwart, keycloak]),
    });
    renderInTestApp(page(), {
      apis: [[healthApiRef, api], staffPermissions()],
    });
    const planned = await screen.findByTestId('health-planned');
    expect(planned).toHaveTextContent('Planned · not deployed');
    expect(within(planned).getAllByTestId('health-planned-item')).toHaveLength(
      1,
    );
    expect(planned).toHaveTextContent('Keycloak');
    expect(within(planned).queryByTestId('health-latency')).toBeNull();
    expect(
      screen
        .getAllByTestId('health-card')
        .map(c => c.getAttribute('data-integration')),
    ).not.toContain('integration:default/keycloak');
  });

  it("runs a probe round on an operator's Refresh", async () => {
    const api = fakeHealthApi({
      getStatus: jest.fn(async () => [stalwart]),
      probe: jest.fn(async () => [stalwart, postgres]),
    });
    renderInTestApp(page(), {
      apis: [[healthApiRef, api], operatorPermissions()],
    });
    await screen.findByTestId('health-card');
    expect(api.getStatus).toHaveBeenCalledTimes(1);
    // the permission is decided asynchronously
    await waitFor(() =>
      expect(screen.getByRole('button', { name: 'Refresh' })).toHaveAttribute(
        'title',
        'Probe every integration now',
      ),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Refresh' }));
    expect(await screen.findByTestId('health-banner')).toHaveTextContent(
      'Portal database',
    );
    expect(api.probe).toHaveBeenCalledTimes(1);
    expect(api.getStatus).toHaveBeenCalledTimes(1);
  });

  it('runs no probe round when the permission API denies, whatever the user’s groups', async () => {
    const api = fakeHealthApi({
      getStatus: jest.fn(async () => [stalwart]),
    });
    const permission = mockApis.permission({
      authorize: AuthorizeResult.DENY,
    });
    const authorize = jest.spyOn(permission, 'authorize');
    renderInTestApp(page(), {
      apis: [
        [healthApiRef, api],
        // signed in as a member of the platform admins group …
        mockApis.identity({ ownershipEntityRefs: OPERATOR_REFS }),
        // … but the server's policy says no (e.g. removed from the group since)
        permission,
      ],
    });
    await screen.findByTestId('health-card');
    await waitFor(() => expect(authorize).toHaveBeenCalled());
    await settle();
    const refresh = screen.getByRole('button', { name: 'Refresh' });
    expect(refresh).toHaveAttribute('title', 'Read the latest status again');
    fireEvent.click(refresh);
    await waitFor(() => expect(api.getStatus).toHaveBeenCalledTimes(2));
    expect(api.probe).not.toHaveBeenCalled();
  });

  it("re-reads the status on staff's Refresh, and keeps the cards when it fails", async () => {
    const api = fakeHealthApi({
      getStatus: jest.fn(async () => [stalwart]),
    });
    renderInTestApp(page(), {
      apis: [[healthApiRef, api], staffPermissions()],
    });
    await screen.findByTestId('health-card');
    api.getStatus.mockImplementationOnce(async () => {
      throw await responseError(500, 'database unavailable');
    });
    fireEvent.click(screen.getByRole('button', { name: 'Refresh' }));
    expect(await screen.findByTestId('health-refresh-error')).toHaveTextContent(
      'Refresh failed: database unavailable',
    );
    expect(screen.getByTestId('health-card')).toBeInTheDocument();
    expect(api.getStatus).toHaveBeenCalledTimes(2);
    expect(api.probe).not.toHaveBeenCalled();
  });

  it('says when there are no integrations, and shows a failed first read', async () => {
    const { unmount } = await renderInTestApp(page(), {
      apis: [[healthApiRef, fakeHealthApi()], staffPermissions()],
    });
    expect(await screen.findByText('No integrations yet')).toBeInTheDocument();
    unmount();

    renderInTestApp(page(), {
      apis: [
        [
          healthApiRef,
          fakeHealthApi({
            getStatus: jest.fn(async () => {
              throw await responseError(500, 'health backend down');
            }),
          }),
        ],
        staffPermissions(),
      ],
    });
    expect(
      (await screen.findAllByText(/health backend down/)).length,
    ).toBeGreaterThan(0);
  });

  it('re-reads the status every 30 s', async () => {
    jest.useFakeTimers();
    try {
      const api = fakeHealthApi({
        getStatus: jest.fn(async () => [stalwart]),
      });
      renderInTestApp(page(), {
        apis: [[healthApiRef, api], staffPermissions()],
      });
      await screen.findByTestId('health-card');
      expect(api.getStatus).toHaveBeenCalledTimes(1);
      await waitFor(() => expect(api.getHistory).toHaveBeenCalledTimes(1));
      jest.advanceTimersByTime(30_000);
      await waitFor(() => expect(api.getStatus).toHaveBeenCalledTimes(2));
      // the cards' histories follow the new round
      await waitFor(() => expect(api.getHistory).toHaveBeenCalledTimes(2));
    } finally {
      jest.useRealTimers();
    }
  });
});
