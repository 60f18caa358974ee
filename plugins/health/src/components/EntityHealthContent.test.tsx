import { screen, within } from '@testing-library/react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { healthApiRef } from '../api';
import {
  aHistory,
  aStatus,
  fakeHealthApi,
  responseError,
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
    expect(api.getHistory).toHaveBeenCalledWith('integration:default/stalwart');
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
    expect(day).toHaveTextContent('5');
    expect(windowRow('7d')).toHaveTextContent('99.50 %');
    expect(windowRow('7d')).toHaveTextContent('150 ms');
    // a window without samples
    expect(windowRow('30d')).toHaveTextContent('30 days———');

    expect(screen.getByTestId('sparkline')).toHaveAttribute('data-points', '5');

    const incidents = screen.getAllByTestId('health-incident');
    expect(incidents).toHaveLength(2);
    expect(incidents[0]).toHaveTextContent('ongoing');
    expect(incidents[0]).toHaveTextContent('connection refused');
    expect(incidents[0]).toHaveTextContent(/2 min( \d+ s)? so far/);
    expect(incidents[1]).not.toHaveTextContent('ongoing');
    expect(incidents[1]).toHaveTextContent('4 min 10 s');
    expect(incidents[1]).toHaveTextContent('timeout after 1500 ms');
  });

  it('works with sample counts only and without incidents', async () => {
    const api = fakeHealthApi({
      getStatus: jest.fn(async () => {
        throw new Error('status down');
      }),
      getHistory: jest.fn(async () =>
        aHistory({ samples: { '24h': 2880, '7d': 20160, '30d': 86400 } }),
      ),
    });
    renderTab(api);
    expect(
      await screen.findByTestId('health-no-incidents'),
    ).toBeInTheDocument();
    expect(windowRow('30d')).toHaveTextContent('86400');
    expect(screen.getByTestId('sparkline-empty')).toBeInTheDocument();
    expect(screen.getByText('No status yet.')).toBeInTheDocument();
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
