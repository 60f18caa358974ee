import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { HealthHistory } from '@internal/plugin-health-common';
import { healthApiRef } from '../api';
import {
  aHistory,
  aStatus,
  fakeHealthApi,
  responseError,
  seriesOf,
} from '../testing/fakes';
import { EntityHealthContent } from './EntityHealthContent';

const stalwart = {
  apiVersion: 'dezky.io/v1alpha1',
  kind: 'Integration',
  metadata: { name: 'stalwart', namespace: 'default' },
  spec: {},
};

function renderTab(api: ReturnType<typeof fakeHealthApi>) {
  return renderInTestApp(
    <EntityProvider entity={stalwart}>
      <EntityHealthContent />
    </EntityProvider>,
    { apis: [[healthApiRef, api]] },
  );
}

/** A promise with its resolve at hand. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>(res => {
    resolve = res;
  });
  return { promise, resolve };
}

const windowRow = (w: string) =>
  screen
    .getAllByTestId('health-window-row')
    .find(r => r.getAttribute('data-window') === w)!;

describe('EntityHealthContent', () => {
  it('shows the status, uptime and p50/p95 per window, the chart and the incidents', async () => {
    const api = fakeHealthApi({
      getStatus: jest.fn(async () => [aStatus({ status: 'warn' })]),
      getHistory: jest.fn(async () =>
        aHistory({
          incidents: [
            {
              start: new Date(Date.now() - 120_000).toISOString(),
              lastError: 'connection refused',
            },
            {
              start: '2026-11-20T09:00:00.000Z',
              end: '2026-11-20T09:04:10.000Z',
              durationMs: 250_000,
              lastError: 'timeout after 1500 ms',
            },
          ],
        }),
      ),
    });
    renderTab(api);

    expect(await screen.findAllByTestId('health-window-row')).toHaveLength(3);
    expect(api.getHistory).toHaveBeenCalledTimes(1);
    expect(api.getHistory).toHaveBeenCalledWith(
      'integration:default/stalwart',
      {
        window: '24h',
      },
    );
    expect(
      within(screen.getByTestId('entity-health-status')).getByTestId(
        'health-status',
      ),
    ).toHaveTextContent('warn');
    const day = windowRow('24h');
    expect(day).toHaveTextContent('24 h');
    expect(day).toHaveTextContent('99.87 %');
    expect(day).toHaveTextContent('40 ms');
    expect(day).toHaveTextContent('120 ms');
    expect(day).toHaveTextContent('2880');
    expect(windowRow('7d')).toHaveTextContent('99.50 %');
    expect(windowRow('7d')).toHaveTextContent('150 ms');
    // a window without samples
    expect(windowRow('30d')).toHaveTextContent('30 days———');

    // the chart draws the 24 h series of raw samples
    expect(screen.getByRole('button', { name: '24 h' })).toHaveAttribute(
      'aria-pressed',
      'true',
    );
    expect(screen.getByTestId('sparkline')).toHaveAttribute('data-points', '5');
    expect(screen.getByTestId('health-chart-caption')).toHaveTextContent(
      '5 points, max 120 ms · each point: one probe',
    );

    const months = screen.getAllByTestId('health-month');
    expect(months).toHaveLength(2);
    expect(months[0]).toHaveTextContent('2026-11');
    expect(months[0]).toHaveTextContent('99.80 %');
    expect(months[0]).toHaveTextContent('86400');
    expect(months[1]).toHaveTextContent('2026-10');
    expect(months[1]).toHaveTextContent('100.00 %');
    expect(screen.queryByTestId('health-no-months')).toBeNull();

    const incidents = screen.getAllByTestId('health-incident');
    expect(incidents).toHaveLength(2);
    expect(incidents[0]).toHaveTextContent('ongoing');
    expect(incidents[0]).toHaveTextContent('connection refused');
    expect(incidents[0]).toHaveTextContent(/2 min( \d+ s)? so far/);
    expect(incidents[1]).not.toHaveTextContent('ongoing');
    expect(incidents[1]).toHaveTextContent('4 min 10 s');
    expect(incidents[1]).toHaveTextContent('timeout after 1500 ms');
  });

  it('says when a window, the months and the incidents are empty', async () => {
    const api = fakeHealthApi({
      getStatus: jest.fn(async () => {
        throw new Error('status down');
      }),
      getHistory: jest.fn(async () =>
        aHistory({
          uptime: { '24h': null, '7d': null, '30d': null },
          samples: { '24h': 0, '7d': 0, '30d': 0 },
          series: seriesOf([]),
          monthly: [],
        }),
      ),
    });
    renderTab(api);
    expect(
      await screen.findByTestId('health-no-incidents'),
    ).toBeInTheDocument();
    expect(screen.getByTestId('sparkline-empty')).toHaveTextContent(
      'No samples in this window yet',
    );
    expect(screen.queryByTestId('sparkline')).toBeNull();
    expect(screen.queryByTestId('health-chart-caption')).toBeNull();
    expect(screen.getByTestId('health-no-months')).toHaveTextContent(
      'No months recorded yet',
    );
    expect(screen.queryAllByTestId('health-month')).toHaveLength(0);
    expect(screen.getByText('No status yet.')).toBeInTheDocument();
  });

  it('switches the chart window, loading while it reads', async () => {
    const sevenDays = deferred<HealthHistory>();
    const api = fakeHealthApi({
      getHistory: jest.fn(async (_ref, options) => {
        if (options?.window === '7d') return sevenDays.promise;
        if (options?.window === '30d') {
          throw await responseError(500, 'rollups unavailable');
        }
        return aHistory();
      }),
    });
    renderTab(api);
    expect(await screen.findByTestId('sparkline')).toHaveAttribute(
      'data-points',
      '5',
    );

    fireEvent.click(screen.getByRole('button', { name: '7 d' }));
    expect(api.getHistory).toHaveBeenLastCalledWith(
      'integration:default/stalwart',
      { window: '7d' },
    );
    const chart = screen.getByTestId('health-chart');
    // loading: the chart makes way, the rest of the tab stays
    await waitFor(() =>
      expect(within(chart).getByTestId('progress')).toBeInTheDocument(),
    );
    expect(within(chart).queryByTestId('sparkline')).toBeNull();
    expect(screen.getAllByTestId('health-window-row')).toHaveLength(3);
    expect(screen.getByRole('button', { name: '7 d' })).toHaveAttribute(
      'aria-pressed',
      'true',
    );

    sevenDays.resolve(
      aHistory({
        series: seriesOf([40, 60, 1500, 50], {
          window: '7d',
          bucketMs: 28 * 60_000,
          bad: [2],
        }),
      }),
    );
    const sparkline = await within(chart).findByTestId('sparkline');
    expect(sparkline).toHaveAttribute('data-points', '4');
    expect(sparkline).toHaveAttribute('data-bad', '1');
    expect(within(chart).getByTestId('health-chart-caption')).toHaveTextContent(
      '4 points, max 1500 ms · each point: the worst of 28 min',
    );

    // a window that cannot be read says so in the chart; the rest stays
    fireEvent.click(screen.getByRole('button', { name: '30 d' }));
    expect(
      await within(chart).findByTestId('health-chart-error'),
    ).toHaveTextContent('Could not read the last 30 days: rollups unavailable');
    expect(within(chart).queryByTestId('sparkline')).toBeNull();
    expect(screen.getAllByTestId('health-window-row')).toHaveLength(3);
    expect(screen.getAllByTestId('health-month')).toHaveLength(2);
    expect(api.getHistory).toHaveBeenCalledTimes(3);
  });

  it('shows a refusal of the history', async () => {
    renderTab(
      fakeHealthApi({
        getHistory: jest.fn(async () => {
          throw await responseError(
            404,
            'No integration integration:default/stalwart',
            'NotFoundError',
          );
        }),
      }),
    );
    expect(
      (
        await screen.findAllByText(
          /No integration integration:default\/stalwart/,
        )
      ).length,
    ).toBeGreaterThan(0);
  });
});
