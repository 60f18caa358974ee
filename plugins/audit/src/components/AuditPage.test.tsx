import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { auditApiRef } from '../api';
import {
  archiveBatch,
  auditEvent,
  fakeAuditApi,
  notAllowed,
} from '../testing/fakes';
import { AuditPage } from './AuditPage';

const mountedRoutes = { '/catalog/:namespace/:kind/:name': entityRouteRef };

describe('AuditPage', () => {
  it('queries with the filters of the URL and changes them with the chips', async () => {
    const api = fakeAuditApi({
      getStatus: jest.fn(async () => {
        throw await notAllowed();
      }),
      listArchiveBatches: jest.fn(async () => {
        throw await notAllowed();
      }),
      getEvents: jest.fn(async () => ({
        items: [auditEvent({ action: 'tenant.suspended' })],
      })),
    });
    renderInTestApp(<AuditPage />, {
      apis: [[auditApiRef, api]],
      mountedRoutes,
      initialRouteEntries: [
        '/audit?action=tenant.*&outcome=failure&tenant=acme',
      ],
    });

    expect(await screen.findByText('tenant.suspended')).toBeInTheDocument();
    expect(api.getEvents).toHaveBeenLastCalledWith({
      action: 'tenant.*',
      outcome: 'failure',
      tenant: 'tenant:default/acme',
    });
    // staff: no tamper card, no cold-storage card
    expect(screen.queryByRole('button', { name: 'Verify' })).toBeNull();
    await waitFor(() => expect(api.listArchiveBatches).toHaveBeenCalled());
    expect(screen.queryByTestId('cold-storage-card')).toBeNull();

    const picks = screen.getByTestId('audit-action-picks');
    expect(
      within(picks).getByRole('button', { name: 'Tenants' }),
    ).toHaveAttribute('aria-pressed', 'true');
    fireEvent.click(within(picks).getByRole('button', { name: 'Sign-in' }));
    await waitFor(() =>
      expect(api.getEvents).toHaveBeenLastCalledWith({
        action: 'portal.user.*',
        outcome: 'failure',
        tenant: 'tenant:default/acme',
      }),
    );
    expect(screen.getByTestId('audit-filter-action')).toHaveValue(
      'portal.user.*',
    );
  });

  it('switches the tier between hot and restored archive events', async () => {
    const api = fakeAuditApi({
      getEvents: jest.fn(async q => ({
        items: [
          auditEvent({
            action: q.tier === 'archive' ? 'tenant.created' : 'tenant.updated',
          }),
        ],
      })),
    });
    renderInTestApp(<AuditPage />, {
      apis: [[auditApiRef, api]],
      mountedRoutes,
      initialRouteEntries: ['/audit?tier=archive&outcome=success'],
    });

    expect(await screen.findByText('tenant.created')).toBeInTheDocument();
    expect(api.getEvents).toHaveBeenLastCalledWith({
      outcome: 'success',
      tier: 'archive',
    });
    expect(
      screen.getByText('Archived audit events (restored batches)'),
    ).toBeInTheDocument();
    const tiers = screen.getByTestId('audit-tier-picks');
    expect(
      within(tiers).getByRole('button', { name: 'Archived (restored)' }),
    ).toHaveAttribute('aria-pressed', 'true');

    fireEvent.click(within(tiers).getByRole('button', { name: 'Hot' }));
    expect(await screen.findByText('tenant.updated')).toBeInTheDocument();
    expect(api.getEvents).toHaveBeenLastCalledWith({ outcome: 'success' });
    expect(within(tiers).getByRole('button', { name: 'Hot' })).toHaveAttribute(
      'aria-pressed',
      'true',
    );
  });

  it('says how to find archived events when none are restored', async () => {
    const api = fakeAuditApi();
    renderInTestApp(<AuditPage />, {
      apis: [[auditApiRef, api]],
      mountedRoutes,
      initialRouteEntries: ['/audit?tier=archive'],
    });
    expect(
      await screen.findByText(
        'No restored archived events match these filters',
      ),
    ).toBeInTheDocument();
  });

  it('searches a restored batch with the archive tier, keeping the filters', async () => {
    const api = fakeAuditApi({
      listArchiveBatches: jest.fn(async () => [
        archiveBatch({ restoredAt: '2027-03-01T09:00:00.000Z' }),
      ]),
    });
    renderInTestApp(<AuditPage />, {
      apis: [[auditApiRef, api]],
      mountedRoutes,
      initialRouteEntries: ['/audit?action=tenant.*&actor=anna'],
    });

    // the cold-storage card sits below the tamper card
    const tamper = await screen.findByTestId('tamper-card');
    const cold = await screen.findByTestId('cold-storage-card');
    expect(
      tamper.compareDocumentPosition(cold) & Node.DOCUMENT_POSITION_FOLLOWING,
    ).toBeTruthy();

    fireEvent.click(
      within(cold).getByRole('button', { name: 'Search this range' }),
    );
    await waitFor(() =>
      expect(api.getEvents).toHaveBeenLastCalledWith({
        action: 'tenant.*',
        actor: 'anna',
        tier: 'archive',
      }),
    );
  });

  it('reloads the events after a restore', async () => {
    const batch = archiveBatch();
    const api = fakeAuditApi({
      listArchiveBatches: jest.fn(async () => [batch]),
      restoreBatch: jest.fn(async () => ({ restored: batch.count })),
    });
    renderInTestApp(<AuditPage />, {
      apis: [[auditApiRef, api]],
      mountedRoutes,
      initialRouteEntries: ['/audit?tier=archive'],
    });
    const cold = await screen.findByTestId('cold-storage-card');
    await waitFor(() => expect(api.getEvents).toHaveBeenCalledTimes(1));
    fireEvent.click(within(cold).getByRole('button', { name: 'Restore' }));
    await waitFor(() => expect(api.getEvents).toHaveBeenCalledTimes(2));
    expect(api.getEvents).toHaveBeenLastCalledWith({ tier: 'archive' });
  });

  it('says when nothing matches', async () => {
    const api = fakeAuditApi();
    renderInTestApp(<AuditPage />, {
      apis: [[auditApiRef, api]],
      mountedRoutes,
    });
    expect(
      await screen.findByText('No audit events match these filters'),
    ).toBeInTheDocument();
    expect(api.getEvents).toHaveBeenCalledWith({});
  });

  it('loads older events with the cursor', async () => {
    const newer = auditEvent({ action: 'partner.updated' });
    const older = auditEvent({ action: 'partner.created' });
    const api = fakeAuditApi({
      getEvents: jest.fn(async q =>
        q.cursor === 'c1'
          ? { items: [older] }
          : { items: [newer], nextCursor: 'c1' },
      ),
    });
    renderInTestApp(<AuditPage />, {
      apis: [[auditApiRef, api]],
      mountedRoutes,
    });

    fireEvent.click(await screen.findByRole('button', { name: 'Load older' }));
    expect(await screen.findByText('partner.created')).toBeInTheDocument();
    expect(api.getEvents).toHaveBeenLastCalledWith({ cursor: 'c1' });
    expect(screen.getAllByTestId('audit-event-row')).toHaveLength(2);
    expect(screen.queryByRole('button', { name: 'Load older' })).toBeNull();
  });

  it("shows the server's message when the filters are refused", async () => {
    const { ResponseError } = await import('@backstage/errors');
    const api = fakeAuditApi({
      getEvents: jest.fn(async () => {
        throw await ResponseError.fromResponse(
          new Response(
            JSON.stringify({
              error: { name: 'InputError', message: 'since: Invalid datetime' },
              response: { statusCode: 400 },
            }),
            {
              status: 400,
              statusText: 'Bad Request',
              headers: { 'content-type': 'application/json' },
            },
          ),
        );
      }),
    });
    renderInTestApp(<AuditPage />, {
      apis: [[auditApiRef, api]],
      mountedRoutes,
    });
    expect(
      (await screen.findAllByText(/since: Invalid datetime/)).length,
    ).toBeGreaterThan(0);
  });

  it('exports the current filters as CSV through an object URL', async () => {
    const createObjectURL = jest.fn(() => 'blob:audit');
    const revokeObjectURL = jest.fn();
    Object.assign(URL, { createObjectURL, revokeObjectURL });
    const click = jest
      .spyOn(HTMLAnchorElement.prototype, 'click')
      .mockImplementation(function checkAnchor(this: HTMLAnchorElement) {
        expect(this.download).toMatch(/^audit-\d{8}\.csv$/);
        expect(this.href).toBe('blob:audit');
      });
    const api = fakeAuditApi({
      getEvents: jest.fn(async () => ({ items: [auditEvent()] })),
    });
    renderInTestApp(<AuditPage />, {
      apis: [[auditApiRef, api]],
      mountedRoutes,
      initialRouteEntries: ['/audit?source=portal'],
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Export CSV' }));
    await waitFor(() => expect(click).toHaveBeenCalled());
    expect(api.exportCsv).toHaveBeenCalledWith({ source: 'portal' });
    expect(createObjectURL).toHaveBeenCalled();
    click.mockRestore();
  });
});
