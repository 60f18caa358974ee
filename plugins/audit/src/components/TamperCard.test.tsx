import { fireEvent, screen, waitFor } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { auditChainVerifyPermission } from '@internal/plugin-audit-common';
import { FreshPermissions } from '@internal/plugin-dezky-react';
import { auditApiRef } from '../api';
import { fakeAuditApi, notAllowed } from '../testing/fakes';
import { TamperCard } from './TamperCard';

/** The card in a host, with no permission decision cached from an earlier test. */
const card = () => (
  <FreshPermissions>
    <div data-testid="host">
      <TamperCard />
    </div>
  </FreshPermissions>
);

const head = { seq: 42, hash: 'ab'.repeat(32) };
const checkpoint = {
  at: '2026-11-25T17:05:00.000Z',
  headSeq: 40,
  headHash: 'cd'.repeat(32),
  reason: 'interval' as const,
  kid: '2026-11',
  jws: 'x.y.z',
};

describe('TamperCard', () => {
  it('shows the head and checkpoint, and a verified chain', async () => {
    const api = fakeAuditApi({
      getStatus: jest.fn(async () => ({ head, latestCheckpoint: checkpoint })),
      verify: jest.fn(async () => ({
        ok: true,
        verified: 42,
        checkpoints: 3,
        head,
      })),
    });
    renderInTestApp(card(), {
      apis: [[auditApiRef, api], mockApis.permission()],
    });

    expect(await screen.findByTestId('head-seq')).toHaveTextContent('42');
    const hash = screen.getByTestId('head-hash');
    expect(hash).toHaveTextContent('abababababab…');
    expect(hash).toHaveAttribute('title', head.hash);
    expect(screen.getByTestId('checkpoint-seq')).toHaveTextContent('40');
    expect(screen.getByText('interval')).toBeInTheDocument();
    expect(screen.getByText('2026-11')).toBeInTheDocument();

    fireEvent.click(screen.getByRole('button', { name: 'Verify' }));
    expect(await screen.findByTestId('verify-result')).toHaveTextContent(
      'Chain verified: 42 events, 3 checkpoints',
    );
  });

  it('shows where the chain breaks, with expected and actual', async () => {
    const api = fakeAuditApi({
      getStatus: jest.fn(async () => ({ head })),
      verify: jest.fn(async () => ({
        ok: false,
        verified: 6,
        head,
        break: {
          kind: 'event-hash-mismatch' as const,
          seq: 7,
          expected: 'e'.repeat(64),
          actual: 'f'.repeat(64),
        },
      })),
    });
    renderInTestApp(card(), {
      apis: [[auditApiRef, api], mockApis.permission()],
    });

    fireEvent.click(await screen.findByRole('button', { name: 'Verify' }));
    const result = await screen.findByTestId('verify-result');
    expect(result).toHaveTextContent('Break at seq 7: event-hash-mismatch');
    expect(result).toHaveTextContent(`Expected: ${'e'.repeat(64)}`);
    expect(result).toHaveTextContent(`Actual: ${'f'.repeat(64)}`);
    expect(result).toHaveTextContent('6 events verified before the break');
    expect(screen.getByText('No checkpoint signed yet.')).toBeInTheDocument();
  });

  it('signs a checkpoint and refreshes the status', async () => {
    const getStatus = jest
      .fn()
      .mockResolvedValueOnce({ head })
      .mockResolvedValue({
        head,
        latestCheckpoint: { ...checkpoint, headSeq: 42, reason: 'manual' },
      });
    const api = fakeAuditApi({
      getStatus,
      createCheckpoint: jest.fn(async () => ({
        ...checkpoint,
        headSeq: 42,
        reason: 'manual' as const,
      })),
    });
    renderInTestApp(card(), {
      apis: [[auditApiRef, api], mockApis.permission()],
    });

    fireEvent.click(
      await screen.findByRole('button', { name: 'Sign checkpoint now' }),
    );
    expect(await screen.findByTestId('sign-result')).toHaveTextContent(
      'Signed checkpoint at seq 42',
    );
    expect(await screen.findByTestId('checkpoint-seq')).toHaveTextContent('42');
    expect(screen.getByText('manual')).toBeInTheDocument();
    expect(api.createCheckpoint).toHaveBeenCalledTimes(1);
    expect(getStatus).toHaveBeenCalledTimes(2);
  });

  it('offers no signing when the permission API allows verifying only', async () => {
    const api = fakeAuditApi({ getStatus: jest.fn(async () => ({ head })) });
    renderInTestApp(card(), {
      apis: [
        [auditApiRef, api],
        mockApis.permission({
          authorize: request =>
            request.permission.name === auditChainVerifyPermission.name
              ? AuthorizeResult.ALLOW
              : AuthorizeResult.DENY,
        }),
      ],
    });
    expect(await screen.findByTestId('head-seq')).toHaveTextContent('42');
    expect(screen.getByRole('button', { name: 'Verify' })).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Sign checkpoint now' }),
    ).toBeNull();
  });

  it('is hidden when the server refuses the status after all', async () => {
    const api = fakeAuditApi({
      getStatus: jest.fn(async () => {
        throw await notAllowed('Not allowed: audit.chain.verify');
      }),
    });
    renderInTestApp(card(), {
      apis: [[auditApiRef, api], mockApis.permission()],
    });
    await waitFor(() => expect(api.getStatus).toHaveBeenCalled());
    await waitFor(() =>
      expect(screen.getByTestId('host')).toBeEmptyDOMElement(),
    );
    expect(screen.queryByRole('button', { name: 'Verify' })).toBeNull();
  });
});
