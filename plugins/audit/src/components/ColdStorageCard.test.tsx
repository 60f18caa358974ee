import {
  fireEvent,
  screen,
  waitFor,
  waitForElementToBeRemoved,
  within,
} from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { auditChainVerifyPermission } from '@internal/plugin-audit-common';
import { FreshPermissions } from '@internal/plugin-dezky-react';
import { ReactNode } from 'react';
import { AuditArchiveBatch, auditApiRef } from '../api';
import { archiveBatch, fakeAuditApi, notAllowed } from '../testing/fakes';
import { ColdStorageCard } from './ColdStorageCard';

/** Renders the card for an operator: the permission API allows everything. */
function renderCard(
  api: ReturnType<typeof fakeAuditApi>,
  props: {
    onChanged?: () => void;
    onSearchArchive?: (batch: AuditArchiveBatch) => void;
  } = {},
  permission = mockApis.permission(),
) {
  return renderInTestApp(
    <Host>
      <ColdStorageCard {...props} />
    </Host>,
    { apis: [[auditApiRef, api], permission] },
  );
}

/** No permission decision cached from an earlier test; a host to look into. */
function Host(props: { children: ReactNode }) {
  return (
    <FreshPermissions>
      <div data-testid="host">{props.children}</div>
    </FreshPermissions>
  );
}

const older = archiveBatch({ fromSeq: 1, toSeq: 5000 });
const newer = archiveBatch({
  fromSeq: 5001,
  toSeq: 7500,
  bytes: 512,
  restoredAt: '2027-03-01T09:00:00.000Z',
});

/** Confirms the open dialog with its primary button. */
async function confirmDialog(title: string, button: string) {
  const dialog = await screen.findByRole('dialog');
  expect(dialog).toHaveTextContent(title);
  fireEvent.click(within(dialog).getByRole('button', { name: button }));
  await waitForElementToBeRemoved(() => screen.queryByRole('dialog'));
}

describe('ColdStorageCard', () => {
  it('lists the batches with range, size, manifest and restored status', async () => {
    const api = fakeAuditApi({
      listArchiveBatches: jest.fn(async () => [newer, older]),
    });
    renderCard(api, { onSearchArchive: jest.fn() });

    const rows = await screen.findAllByTestId('archive-batch-row');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('5001–7500');
    expect(rows[0]).toHaveTextContent('2,500');
    expect(rows[0]).toHaveTextContent('512 B');
    expect(within(rows[0]).getByText('Restored')).toBeInTheDocument();
    expect(
      within(rows[0]).getByRole('button', { name: 'Search this range' }),
    ).toBeInTheDocument();
    expect(
      within(rows[0]).getByRole('button', { name: 'Drop restored copy' }),
    ).toBeInTheDocument();
    expect(
      within(rows[0]).queryByRole('button', { name: 'Restore' }),
    ).toBeNull();

    expect(rows[1]).toHaveTextContent('1–5000');
    expect(rows[1]).toHaveTextContent('5,000');
    expect(rows[1]).toHaveTextContent('1.5 MiB');
    expect(within(rows[1]).getByText('In S3')).toBeInTheDocument();
    expect(
      within(rows[1]).queryByRole('button', { name: 'Search this range' }),
    ).toBeNull();
    const manifest = within(rows[1]).getByTestId('archive-manifest');
    expect(manifest).toHaveTextContent('cccccccccccc…');
    expect(manifest).toHaveAttribute('title', older.manifestSha256);
  });

  it('runs the archiving after confirmation, then reloads and says what it did', async () => {
    const archived = [
      archiveBatch({ fromSeq: 7501, toSeq: 9000 }),
      archiveBatch({ fromSeq: 9001, toSeq: 9100 }),
    ];
    const listArchiveBatches = jest
      .fn()
      .mockResolvedValueOnce([older])
      .mockResolvedValue([...archived, older]);
    const onChanged = jest.fn();
    const api = fakeAuditApi({
      listArchiveBatches,
      runArchive: jest.fn(async () => ({
        cutoff: '2027-01-01T00:00:00.000Z',
        batches: archived,
        events: 1600,
      })),
    });
    renderCard(api, { onChanged });

    // cancelling does nothing
    fireEvent.click(await screen.findByRole('button', { name: 'Run now' }));
    const dialog = await screen.findByRole('dialog');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitForElementToBeRemoved(() => screen.queryByRole('dialog'));
    expect(api.runArchive).not.toHaveBeenCalled();

    fireEvent.click(screen.getByRole('button', { name: 'Run now' }));
    await confirmDialog(
      'Archive events older than the retention to S3 now?',
      'Archive now',
    );
    expect(await screen.findByTestId('archive-result')).toHaveTextContent(
      'Archived 2 batches with 1,600 events (seq 7501–9100).',
    );
    expect(api.runArchive).toHaveBeenCalledTimes(1);
    await waitFor(() =>
      expect(screen.getAllByTestId('archive-batch-row')).toHaveLength(3),
    );
    expect(listArchiveBatches).toHaveBeenCalledTimes(2);
    expect(onChanged).toHaveBeenCalledTimes(1);
  });

  it('says so when a run archived nothing', async () => {
    const api = fakeAuditApi({
      runArchive: jest.fn(async () => ({
        cutoff: '2027-01-01T00:00:00.000Z',
        batches: [],
        events: 0,
      })),
    });
    renderCard(api);

    expect(await screen.findByTestId('archive-empty')).toHaveTextContent(
      'Nothing archived yet: events stay hot for the retention period.',
    );
    fireEvent.click(screen.getByRole('button', { name: 'Run now' }));
    await confirmDialog(
      'Archive events older than the retention to S3 now?',
      'Archive now',
    );
    expect(await screen.findByTestId('archive-result')).toHaveTextContent(
      'Nothing to archive: no events are older than the retention period.',
    );
  });

  it('says why a run did nothing when the server puts it as skipped', async () => {
    const api = fakeAuditApi({
      runArchive: jest.fn(async () => ({
        cutoff: '2027-01-01T00:00:00.000Z',
        batches: [],
        events: 0,
        skipped: 'another instance is archiving',
      })),
    });
    renderCard(api);
    fireEvent.click(await screen.findByRole('button', { name: 'Run now' }));
    await confirmDialog(
      'Archive events older than the retention to S3 now?',
      'Archive now',
    );
    expect(await screen.findByTestId('archive-result')).toHaveTextContent(
      'another instance is archiving',
    );
  });

  it('restores a batch and offers to search it', async () => {
    const restored = { ...older, restoredAt: '2027-03-02T10:00:00.000Z' };
    const listArchiveBatches = jest
      .fn()
      .mockResolvedValueOnce([older])
      .mockResolvedValue([restored]);
    const onSearchArchive = jest.fn();
    const api = fakeAuditApi({
      listArchiveBatches,
      restoreBatch: jest.fn(async () => ({ ...restored, restored: 5000 })),
    });
    renderCard(api, { onSearchArchive });

    const [row] = await screen.findAllByTestId('archive-batch-row');
    fireEvent.click(within(row).getByRole('button', { name: 'Restore' }));
    expect(await screen.findByTestId('archive-result')).toHaveTextContent(
      'Restored 5,000 events of seq 1–5000',
    );
    expect(api.restoreBatch).toHaveBeenCalledWith(older.id);
    fireEvent.click(
      await screen.findByRole('button', { name: 'Search this range' }),
    );
    expect(onSearchArchive).toHaveBeenCalledWith(restored);
  });

  it('drops a restored copy only after confirmation', async () => {
    const listArchiveBatches = jest
      .fn()
      .mockResolvedValueOnce([newer])
      .mockResolvedValue([{ ...newer, restoredAt: undefined }]);
    const api = fakeAuditApi({
      listArchiveBatches,
      dropRestoredBatch: jest.fn(async () => undefined),
    });
    renderCard(api);

    fireEvent.click(
      await screen.findByRole('button', { name: 'Drop restored copy' }),
    );
    await confirmDialog('Drop the restored copy of seq 5001–7500?', 'Drop');
    expect(await screen.findByTestId('archive-result')).toHaveTextContent(
      'Dropped the restored copy of seq 5001–7500; the batch stays archived in S3.',
    );
    expect(api.dropRestoredBatch).toHaveBeenCalledWith(newer.id);
    expect(
      await screen.findByRole('button', { name: 'Restore' }),
    ).toBeInTheDocument();
  });

  it("shows a failed action with the server's message", async () => {
    const api = fakeAuditApi({
      listArchiveBatches: jest.fn(async () => [older]),
      restoreBatch: jest.fn(async () => {
        throw await notAllowed('Not allowed: audit.archive.restore');
      }),
    });
    renderCard(api);

    fireEvent.click(await screen.findByRole('button', { name: 'Restore' }));
    expect(await screen.findByTestId('archive-error')).toHaveTextContent(
      'Could not restore seq 1–5000: Not allowed: audit.archive.restore',
    );
  });

  it('shows an error when the list fails for another reason', async () => {
    const api = fakeAuditApi({
      listArchiveBatches: jest.fn(async () => {
        throw new Error('S3 unreachable');
      }),
    });
    renderCard(api);
    expect(
      await screen.findByText(
        'Could not list the archived batches: S3 unreachable',
      ),
    ).toBeInTheDocument();
  });

  it('offers no change when the permission API allows listing only', async () => {
    const api = fakeAuditApi({
      listArchiveBatches: jest.fn(async () => [newer, older]),
    });
    renderCard(
      api,
      { onSearchArchive: jest.fn() },
      mockApis.permission({
        authorize: request =>
          request.permission.name === auditChainVerifyPermission.name
            ? AuthorizeResult.ALLOW
            : AuthorizeResult.DENY,
      }),
    );
    const [restored] = await screen.findAllByTestId('archive-batch-row');
    expect(restored).toHaveTextContent('5001–7500');
    expect(
      within(restored).getByRole('button', { name: 'Search this range' }),
    ).toBeInTheDocument();
    for (const name of ['Run now', 'Restore', 'Drop restored copy']) {
      expect(screen.queryByRole('button', { name })).toBeNull();
    }
  });

  it('is hidden when the server refuses the list after all', async () => {
    const api = fakeAuditApi({
      listArchiveBatches: jest.fn(async () => {
        throw await notAllowed('Not allowed: audit.chain.verify');
      }),
    });
    renderCard(api);
    await waitFor(() => expect(api.listArchiveBatches).toHaveBeenCalled());
    await waitFor(() =>
      expect(screen.getByTestId('host')).toBeEmptyDOMElement(),
    );
    expect(screen.queryByRole('button', { name: 'Run now' })).toBeNull();
  });
});
