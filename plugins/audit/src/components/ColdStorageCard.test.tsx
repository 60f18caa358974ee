import {
  fireEvent,
  screen,
  waitFor,
  waitForElementToBeRemoved,
  within,
} from '@testing-library/react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { auditApiRef } from '../api';
import { archiveBatch, fakeAuditApi, notAllowed } from '../testing/fakes';
import { ColdStorageCard } from './ColdStorageCard';

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
    renderInTestApp(<ColdStorageCard onSearchArchive={jest.fn()} />, {
      apis: [[auditApiRef, api]],
    });

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
      runArchive: jest.fn(async () => ({ batches: archived })),
    });
    renderInTestApp(<ColdStorageCard onChanged={onChanged} />, {
      apis: [[auditApiRef, api]],
    });

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

  it("shows the server's message when a run archived nothing", async () => {
    const api = fakeAuditApi({
      runArchive: jest.fn(async () => ({
        batches: [],
        message: 'No events older than 90 days.',
      })),
    });
    renderInTestApp(<ColdStorageCard />, { apis: [[auditApiRef, api]] });

    expect(await screen.findByTestId('archive-empty')).toHaveTextContent(
      'Nothing archived yet: events stay hot for the retention period.',
    );
    fireEvent.click(screen.getByRole('button', { name: 'Run now' }));
    await confirmDialog(
      'Archive events older than the retention to S3 now?',
      'Archive now',
    );
    expect(await screen.findByTestId('archive-result')).toHaveTextContent(
      'No events older than 90 days.',
    );
  });

  it('says why a run did nothing when the server puts it as skipped', async () => {
    const api = fakeAuditApi({
      runArchive: jest.fn(async () => ({
        batches: [],
        skipped: 'another instance is archiving',
      })),
    });
    renderInTestApp(<ColdStorageCard />, { apis: [[auditApiRef, api]] });
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
      restoreBatch: jest.fn(async () => ({ restored: 5000 })),
    });
    renderInTestApp(<ColdStorageCard onSearchArchive={onSearchArchive} />, {
      apis: [[auditApiRef, api]],
    });

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
    renderInTestApp(<ColdStorageCard />, { apis: [[auditApiRef, api]] });

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
    renderInTestApp(<ColdStorageCard />, { apis: [[auditApiRef, api]] });

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
    renderInTestApp(<ColdStorageCard />, { apis: [[auditApiRef, api]] });
    expect(
      await screen.findByText(
        'Could not list the archived batches: S3 unreachable',
      ),
    ).toBeInTheDocument();
  });

  it('is hidden from users the server does not let list the batches', async () => {
    const api = fakeAuditApi({
      listArchiveBatches: jest.fn(async () => {
        throw await notAllowed('Not allowed: audit.archive.read');
      }),
    });
    renderInTestApp(
      <div data-testid="host">
        <ColdStorageCard />
      </div>,
      { apis: [[auditApiRef, api]] },
    );
    await waitFor(() => expect(api.listArchiveBatches).toHaveBeenCalled());
    await waitFor(() =>
      expect(screen.getByTestId('host')).toBeEmptyDOMElement(),
    );
    expect(screen.queryByRole('button', { name: 'Run now' })).toBeNull();
  });
});
