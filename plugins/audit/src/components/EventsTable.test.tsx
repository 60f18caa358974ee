import { useState } from 'react';
import {
  act,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { AuditEvent } from '@internal/plugin-audit-common';
import { FreshPermissions } from '@internal/plugin-dezky-react';
import { auditApiRef } from '../api';
import { EventsTable } from './EventsTable';
import { auditEvent, fakeAuditApi } from '../testing/fakes';
import {
  b64,
  naiveLeafHash,
  naivePath,
  naiveRoot,
  randomHashHex,
} from '../testing/merkle';

const mountedRoutes = { '/catalog/:namespace/:kind/:name': entityRouteRef };

/** The table with no permission decision cached from an earlier test. */
const table = (events: AuditEvent[]) => (
  <FreshPermissions>
    <EventsTable events={events} />
  </FreshPermissions>
);

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
    renderInTestApp(table([suspended, signIn]), {
      apis: [mockApis.permission()],
      mountedRoutes,
    });

    const rows = screen.getAllByTestId('audit-event-row');
    expect(rows).toHaveLength(2);
    expect(within(rows[0]).getByText('tenant.suspended')).toBeInTheDocument();
    expect(within(rows[0]).getByText('success')).toBeInTheDocument();
    expect(
      within(rows[0]).getByRole('link', { name: /acme/ }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('columnheader', { name: 'Tenant' }),
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
    renderInTestApp(table([auditEvent({ metadata: { method: 'oidc' } })]), {
      apis: [mockApis.permission()],
      mountedRoutes,
    });
    fireEvent.click(screen.getByRole('button', { name: 'Show details' }));
    expect((await screen.findByTestId('event-metadata')).textContent).toContain(
      '"method": "oidc"',
    );
    expect(screen.queryByTestId('event-changes')).not.toBeInTheDocument();
    // no event has a tenant: no empty Tenant column
    expect(screen.queryByRole('columnheader', { name: 'Tenant' })).toBeNull();
  });
  it('opens and closes a row with a click on it; an open row stays open when older events load', async () => {
    const newer = auditEvent({ action: 'tenant.updated' });
    const older = auditEvent({ action: 'tenant.created' });
    function LoadOlder() {
      const [events, setEvents] = useState([newer]);
      return (
        <>
          <button onClick={() => setEvents([newer, older])}>Load older</button>
          <EventsTable events={events} />
        </>
      );
    }
    renderInTestApp(
      <FreshPermissions>
        <LoadOlder />
      </FreshPermissions>,
      { apis: [mockApis.permission()], mountedRoutes },
    );
    fireEvent.click(screen.getByText('tenant.updated'));
    expect(await screen.findByTestId('event-details')).toHaveTextContent(
      `Seq: ${newer.seq}`,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Load older' }));
    expect(await screen.findByText('tenant.created')).toBeInTheDocument();
    const [open, closed] = screen.getAllByTestId('audit-event-row');
    expect(
      within(open).getByRole('button', { name: 'Hide details' }),
    ).toHaveAttribute('aria-expanded', 'true');
    expect(
      within(closed).getByRole('button', { name: 'Show details' }),
    ).toHaveAttribute('aria-expanded', 'false');
    expect(screen.getAllByTestId('event-details')).toHaveLength(1);

    fireEvent.click(screen.getByText('tenant.updated'));
    expect(
      await within(open).findByRole('button', { name: 'Show details' }),
    ).toHaveAttribute('aria-expanded', 'false');
  });
});

describe('Prove inclusion', () => {
  // a signed tree over seq 1–7; events are leaves 0–6
  const chain: AuditEvent[] = Array.from({ length: 7 }, (_, i) =>
    auditEvent({ seq: i + 1, hash: randomHashHex() }),
  );
  const leaves = chain.map(e => naiveLeafHash(e.hash));
  const root = b64(naiveRoot(leaves));
  const noteOf = (treeSize: number, rootHash = root) => ({
    origin: 'audit.dezky.example/log',
    treeSize,
    rootHash,
    text: `audit.dezky.example/log\n${treeSize}\n${rootHash}\n\n\u2014 audit x\n`,
  });
  const proofOf = (seq: number) => ({
    leafIndex: seq - 1,
    treeSize: 7,
    hashes: naivePath(seq - 1, leaves).map(b64),
  });

  const expand = async (
    event: AuditEvent,
    api: ReturnType<typeof fakeAuditApi>,
    permission = mockApis.permission(),
  ) => {
    renderInTestApp(table([event]), {
      apis: [[auditApiRef, api], permission],
      mountedRoutes,
    });
    fireEvent.click(screen.getByRole('button', { name: 'Show details' }));
    await screen.findByTestId('event-details');
  };

  it('verifies an event in the signed tree in the browser', async () => {
    const api = fakeAuditApi({
      latestCheckpointNote: jest.fn(async () => noteOf(7)),
      inclusionProof: jest.fn(async seq => proofOf(seq)),
    });
    await expand(chain[4], api);

    fireEvent.click(
      await screen.findByRole('button', { name: 'Prove inclusion' }),
    );
    const result = await screen.findByTestId('inclusion-result');
    expect(result).toHaveTextContent(
      `Included in the signed tree of size 7 (root ${root.slice(
        0,
        12,
      )}…): verified`,
    );
    expect(within(result).getByTitle(root)).toBeInTheDocument();
    expect(api.inclusionProof).toHaveBeenCalledWith(5, 7);
    // the latest note, when asked
    expect(api.latestCheckpointNote).toHaveBeenCalledTimes(1);
  });

  it('says in red when a tampered proof does not verify', async () => {
    const api = fakeAuditApi({
      latestCheckpointNote: jest.fn(async () => noteOf(7)),
      inclusionProof: jest.fn(async seq => {
        const proof = proofOf(seq);
        const first = Buffer.from(proof.hashes[0], 'base64');
        first[0] ^= 0xff;
        return { ...proof, hashes: [b64(first), ...proof.hashes.slice(1)] };
      }),
    });
    await expand(chain[2], api);

    fireEvent.click(
      await screen.findByRole('button', { name: 'Prove inclusion' }),
    );
    const result = await screen.findByTestId('inclusion-result');
    expect(result).toHaveTextContent('Proof does not verify');
    expect(result).toHaveTextContent(
      'the path does not hash to the signed root',
    );
    expect(result.className).toMatch(/standardError/);
  });

  it('also fails an event whose hash is not the one in the tree', async () => {
    const api = fakeAuditApi({
      latestCheckpointNote: jest.fn(async () => noteOf(7)),
      inclusionProof: jest.fn(async seq => proofOf(seq)),
    });
    await expand({ ...chain[0], hash: randomHashHex() }, api);
    fireEvent.click(
      await screen.findByRole('button', { name: 'Prove inclusion' }),
    );
    expect(await screen.findByTestId('inclusion-result')).toHaveTextContent(
      'Proof does not verify',
    );
  });

  it('says when the event is newer than the signed tree, without asking for a proof', async () => {
    const api = fakeAuditApi({
      latestCheckpointNote: jest.fn(async () => noteOf(7)),
    });
    await expand(auditEvent({ seq: 9 }), api);
    fireEvent.click(
      await screen.findByRole('button', { name: 'Prove inclusion' }),
    );
    expect(await screen.findByTestId('inclusion-result')).toHaveTextContent(
      'Not yet in the latest signed tree (size 7); sign a checkpoint first',
    );
    expect(api.inclusionProof).not.toHaveBeenCalled();
  });

  it("shows the server's message when the proof fails to load", async () => {
    const api = fakeAuditApi({
      latestCheckpointNote: jest.fn(async () => noteOf(7)),
      inclusionProof: jest.fn(async () => {
        throw new Error('treeSize: larger than the tree');
      }),
    });
    await expand(chain[0], api);
    fireEvent.click(
      await screen.findByRole('button', { name: 'Prove inclusion' }),
    );
    expect(await screen.findByTestId('inclusion-error')).toHaveTextContent(
      'Could not prove inclusion: treeSize: larger than the tree',
    );
  });

  it('offers no proof when the permission API denies audit.chain.verify', async () => {
    const api = fakeAuditApi({
      latestCheckpointNote: jest.fn(async () => noteOf(7)),
    });
    const permission = mockApis.permission({
      authorize: AuthorizeResult.DENY,
    });
    const authorize = jest.spyOn(permission, 'authorize');
    await expand(chain[0], api, permission);
    await waitFor(() => expect(authorize).toHaveBeenCalled());
    // let the refusal land before looking
    await act(async () => {});
    expect(
      screen.queryByRole('button', { name: 'Prove inclusion' }),
    ).toBeNull();
    expect(screen.queryByTestId('inclusion-proof')).toBeNull();
    expect(api.latestCheckpointNote).not.toHaveBeenCalled();
  });

  it('still offers it when the checkpoint fails for another reason', async () => {
    const api = fakeAuditApi({
      latestCheckpointNote: jest.fn(async () => {
        throw new Error('No checkpoint signed yet');
      }),
    });
    await expand(chain[0], api);
    fireEvent.click(
      await screen.findByRole('button', { name: 'Prove inclusion' }),
    );
    expect(await screen.findByTestId('inclusion-error')).toHaveTextContent(
      'Could not prove inclusion: No checkpoint signed yet',
    );
  });
});
