import { fireEvent, screen, within } from '@testing-library/react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { EventsTable } from './EventsTable';
import { auditEvent } from '../testing/fakes';

const mountedRoutes = { '/catalog/:namespace/:kind/:name': entityRouteRef };

describe('EventsTable', () => {
  it('expands a row to its before/after changes and full metadata', async () => {
    const suspended = auditEvent({
      action: 'tenant.suspended',
      resource: { type: 'tenant', ref: 'tenant:default/acme', name: 'acme' },
      tenant: 'tenant:default/acme',
      source: 'catalog',
      metadata: {
        status: { from: 'active', to: 'suspended' },
        seats: { from: 10, to: 0 },
        reason: 'unpaid invoice',
      },
    });
    const signIn = auditEvent({ outcome: 'failure' });
    renderInTestApp(<EventsTable events={[suspended, signIn]} />, {
      mountedRoutes,
    });

    const rows = screen.getAllByTestId('audit-event-row');
    expect(rows).toHaveLength(2);
    expect(within(rows[0]).getByText('tenant.suspended')).toBeInTheDocument();
    expect(within(rows[0]).getByText('success')).toBeInTheDocument();
    expect(
      within(rows[0]).getByRole('link', { name: /acme/ }),
    ).toBeInTheDocument();
    expect(within(rows[1]).getByText('failure')).toBeInTheDocument();
    expect(
      within(rows[1]).getByText('anna.schmidt@dezky.example'),
    ).toBeInTheDocument();
    expect(screen.queryByTestId('event-details')).not.toBeInTheDocument();

    fireEvent.click(
      within(rows[0]).getByRole('button', { name: 'Show details' }),
    );

    const changes = await screen.findByTestId('event-changes');
    const changeRows = within(changes).getAllByRole('row');
    expect(changeRows.map(r => r.textContent)).toEqual([
      'FieldBeforeAfter',
      'statusactivesuspended',
      'seats100',
    ]);
    expect(screen.getByTestId('event-metadata').textContent).toContain(
      '"reason": "unpaid invoice"',
    );
    expect(
      within(rows[0]).getByRole('button', { name: 'Hide details' }),
    ).toHaveAttribute('aria-expanded', 'true');
  });

  it('shows no changes table when the metadata has no diff', async () => {
    renderInTestApp(
      <EventsTable events={[auditEvent({ metadata: { method: 'oidc' } })]} />,
      { mountedRoutes },
    );
    fireEvent.click(screen.getByRole('button', { name: 'Show details' }));
    expect((await screen.findByTestId('event-metadata')).textContent).toContain(
      '"method": "oidc"',
    );
    expect(screen.queryByTestId('event-changes')).not.toBeInTheDocument();
  });
});
