import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { PLATFORM_ADMINS_GROUP_REF } from '@internal/plugin-dezky-catalog-common';
import { FreshPermissions } from '@internal/plugin-dezky-react';
import { auditApiRef } from '../api';
import { archiveBatch, auditEvent, fakeAuditApi } from '../testing/fakes';
import { AuditPage } from './AuditPage';

const mountedRoutes = { '/catalog/:namespace/:kind/:name': entityRouteRef };

/** The page with no permission decision cached from an earlier test. */
const page = () => (
  <FreshPermissions>
    <AuditPage />
  </FreshPermissions>
);

/** The permission API as the server answers partner staff: none of the chain's permissions. */
const staffPermissions = () =>
  mockApis.permission({ authorize: AuthorizeResult.DENY });

describe('AuditPage', () => {
  it('queries with the filters of the URL and changes them with the chips', async () => {
    const api = fakeAuditApi({
      getEvents: jest.fn(async () => ({
        items: [auditEvent({ action: 'tenant.suspended' })],
      })),
    });
    renderInTestApp(page(), {
      apis: [[auditApiRef, api], staffPermissions()],
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
    // staff: no tamper card, no cold-storage card, not even asked for
    expect(screen.queryByRole('button', { name: 'Verify' })).toBeNull();
    expect(screen.queryByTestId('cold-storage-card')).toBeNull();
    expect(api.getStatus).not.toHaveBeenCalled();
    expect(api.listArchiveBatches).not.toHaveBeenCalled();

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

  it('offers no operator action when the permission API denies, whatever the user’s groups', async () => {
    const api = fakeAuditApi({
      listArchiveBatches: jest.fn(async () => [
        archiveBatch({ restoredAt: '2027-03-01T09:00:00.000Z' }),
      ]),
      latestCheckpointNote: jest.fn(async () => ({
        origin: 'audit.dezky.example/log',
        treeSize: 1,
        rootHash: 'AA==',
        text: '',
      })),
      getEvents: jest.fn(async () => ({
        items: [auditEvent({ action: 'tenant.suspended' })],
      })),
    });
    renderInTestApp(page(), {
      apis: [
        [auditApiRef, api],
        // signed in as a member of the platform admins group …
        mockApis.identity({
          ownershipEntityRefs: [
            'user:default/anna.schmidt',
            PLATFORM_ADMINS_GROUP_REF,
          ],
        }),
        // … but the server's policy says no (e.g. removed from the group since)
        staffPermissions(),
      ],
      mountedRoutes,
    });
    const row = (await screen.findByText('tenant.suspended')).closest('tr')!;
    fireEvent.click(within(row).getByRole('button', { name: 'Show details' }));
    expect(await screen.findByTestId('event-details')).toBeInTheDocument();
    for (const name of [
      'Verify',
      'Sign checkpoint now',
      'Run now',
      'Restore',
      'Drop restored copy',
      'Prove inclusion',
    ]) {
      expect(screen.queryByRole('button', { name })).toBeNull();
    }
    expect(screen.queryByTestId('tamper-card')).toBeNull();
    expect(screen.queryByTestId('cold-storage-card')).toBeNull();
    // not even asked for
    expect(api.getStatus).not.toHaveBeenCalled();
    expect(api.listArchiveBatches).not.toHaveBeenCalled();
    expect(api.latestCheckpointNote).not.toHaveBeenCalled();
    // reading the events, and the tier switch, stay
    expect(screen.getByTestId('audit-tier-picks')).toBeInTheDocument();
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
    renderInTestApp(page(), {
      apis: [[auditApiRef, api], mockApis.permission()],
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
    renderInTestApp(page(), {
      apis: [[auditApiRef, api], mockApis.permission()],
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
    renderInTestApp(page(), {
      apis: [[auditApiRef, api], mockApis.permission()],
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
      restoreBatch: jest.fn(async () => ({
        ...batch,
        restoredAt: '2027-03-02T10:00:00.000Z',
        restored: batch.count,
      })),
    });
    renderInTestApp(page(), {
      apis: [[auditApiRef, api], mockApis.permission()],
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
    renderInTestApp(page(), {
      apis: [[auditApiRef, api], mockApis.permission()],
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
    renderInTestApp(page(), {
      apis: [[auditApiRef, api], mockApis.permission()],
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
    renderInTestApp(page(), {
      apis: [[auditApiRef, api], mockApis.permission()],
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
    renderInTestApp(page(), {
      apis: [[auditApiRef, api], mockApis.permission()],
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
