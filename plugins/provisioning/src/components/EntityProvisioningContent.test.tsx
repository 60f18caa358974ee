import {
  act,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { FreshPermissions } from '@internal/plugin-dezky-react';
import { ReconcileResult } from '@internal/plugin-provisioning-common';
import { provisioningApiRef } from '../api';
import {
  aDetail,
  deferred,
  fakeProvisioningApi,
  responseError,
} from '../testing/fakes';
import {
  EntityProvisioningContent,
  POLL_MS,
} from './EntityProvisioningContent';

const acme = {
  apiVersion: 'dezky.io/v1alpha1',
  kind: 'Tenant',
  metadata: { name: 'acme', namespace: 'default' },
  spec: {},
};

function renderTab(
  api: ReturnType<typeof fakeProvisioningApi>,
  permission = mockApis.permission(),
) {
  return renderInTestApp(
    <FreshPermissions>
      <EntityProvider entity={acme}>
        <EntityProvisioningContent />
      </EntityProvider>
    </FreshPermissions>,
    { apis: [[provisioningApiRef, api], permission] },
  );
}

const card = (step: string) =>
  screen.getByRole('region', { name: `${step} step` });

/** Acme degraded: Stalwart's quota drifted and its last call failed; OCIS not needed. */
const degraded = aDetail({
  phase: 'degraded',
  stepsBy: {
    authentik: {
      external: { group: 'b4c1d2e3', application: 'acme-portal' },
    },
    stalwart: {
      status: 'error',
      reason: 'SystemUnavailable',
      message: 'PATCH /api/principal/acme returned 503 Service Unavailable',
      attempts: 4,
      lastTransitionTime: new Date(Date.now() - 300_000).toISOString(),
      nextAttemptAt: new Date(Date.now() + 90_000).toISOString(),
      external: { domain: 'acme.example' },
      desired: {
        name: 'acme',
        quota: { mailGb: 20, aliases: 10 },
        domains: ['acme.example'],
      },
      observed: {
        name: 'acme',
        quota: { mailGb: 10, aliases: 10 },
        domains: ['acme.example'],
      },
      differences: ['quota.mailGb'],
    },
    ocis: {
      status: 'skipped',
      reason: 'NotInIntegrations',
      desired: undefined,
      observed: undefined,
      external: undefined,
    },
  },
  attempts: [
    {
      step: 'stalwart',
      trigger: 'retry',
      startedAt: '2026-11-25T17:00:00Z',
      finishedAt: '2026-11-25T17:00:02Z',
      status: 'error',
      message: 'PATCH /api/principal/acme returned 503 Service Unavailable',
      changes: [],
    },
    {
      step: 'authentik',
      trigger: 'catalog',
      startedAt: '2026-11-25T16:00:00Z',
      finishedAt: '2026-11-25T16:00:01Z',
      status: 'ok',
      changes: [
        'created group acme (b4c1d2e3)',
        'created application acme-portal',
      ],
    },
  ],
  dnsRecords: [
    {
      domain: 'acme.example',
      readAt: new Date(Date.now() - 60_000).toISOString(),
      records: [
        { name: 'acme.example', type: 'MX', value: '10 mail.dezky.example' },
        {
          name: 'v1-rsa-20261207._domainkey.acme.example',
          type: 'TXT',
          value:
            'v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA',
        },
      ],
    },
  ],
});

describe('EntityProvisioningContent', () => {
  it('shows the phase and a card per step, with desired vs observed and the differences', async () => {
    const api = fakeProvisioningApi({
      getTenant: jest.fn(async () => degraded),
    });
    renderTab(api);

    expect(await screen.findAllByTestId('step-card')).toHaveLength(3);
    expect(api.getTenant).toHaveBeenCalledWith('acme');
    expect(screen.getByTestId('phase-chip')).toHaveTextContent('degraded');
    expect(screen.getByTestId('phase-meaning')).toHaveTextContent(
      'A step it needs is in error after having been ok.',
    );

    // each card: its status in the chip
    const status = (step: string) =>
      within(card(step)).getByTestId('step-status');
    expect(status('authentik')).toHaveTextContent('ok');
    expect(status('stalwart')).toHaveTextContent('error');
    expect(status('ocis')).toHaveTextContent('skipped');

    // stalwart: reason, message, since, attempts, next retry, what exists
    const stalwart = card('stalwart');
    expect(stalwart).toHaveTextContent('SystemUnavailable');
    expect(within(stalwart).getByTestId('step-message')).toHaveTextContent(
      'PATCH /api/principal/acme returned 503 Service Unavailable',
    );
    expect(within(stalwart).getByTestId('step-facts')).toHaveTextContent(
      /Since5 min( \d+ s)? ago/,
    );
    expect(within(stalwart).getByTestId('step-attempts')).toHaveTextContent(
      '4',
    );
    expect(within(stalwart).getByTestId('step-retry')).toHaveTextContent(
      /^next retry in 1 min \d+ s$/,
    );
    expect(within(stalwart).getByTestId('step-external')).toHaveTextContent(
      'domainacme.example',
    );
    expect(
      within(card('authentik')).getByTestId('step-external'),
    ).toHaveTextContent('groupb4c1d2e3applicationacme-portal');

    // desired vs observed: the drifted field marked, the others not
    expect(within(stalwart).getByTestId('step-differences')).toHaveTextContent(
      '1 difference: quota.mailGb',
    );
    const rows = within(stalwart).getAllByTestId('comparison-row');
    expect(rows.map(r => r.getAttribute('data-field'))).toEqual([
      'name',
      'quota.mailGb',
      'quota.aliases',
      'domains',
    ]);
    const mail = rows[1];
    expect(mail).toHaveAttribute('data-differs', 'true');
    expect(mail).toHaveTextContent('quota.mailGb differs2010');
    expect(rows[0]).toHaveAttribute('data-differs', 'false');
    expect(rows[0]).not.toHaveTextContent('differs');
    expect(rows[3]).toHaveTextContent('["acme.example"]["acme.example"]');
    expect(
      within(card('authentik')).getByTestId('step-differences'),
    ).toHaveTextContent('In sync.');
    expect(card('ocis')).toHaveTextContent(
      'Nothing asked of this system for the tenant.',
    );
    expect(within(card('ocis')).getByTestId('step-external')).toHaveTextContent(
      'Nothing yet.',
    );
  });

  it('lists the DNS records to publish on the Stalwart card only, each value copyable', async () => {
    const writeText = jest.fn(async () => undefined);
    Object.assign(navigator, { clipboard: { writeText } });
    renderTab(
      fakeProvisioningApi({ getTenant: jest.fn(async () => degraded) }),
    );
    await screen.findAllByTestId('step-card');

    expect(within(card('authentik')).queryByTestId('dns-records')).toBeNull();
    expect(within(card('ocis')).queryByTestId('dns-records')).toBeNull();
    const zone = within(card('stalwart')).getByRole('region', {
      name: 'DNS records of acme.example',
    });
    expect(zone).toHaveTextContent(/read 1 min( \d+ s)? ago/);
    const records = within(zone).getAllByTestId('dns-record');
    expect(records).toHaveLength(2);
    expect(records[0]).toHaveTextContent('acme.exampleMX10 mail.dezky.example');
    expect(records[1]).toHaveAttribute('data-type', 'TXT');
    expect(records[1]).toHaveTextContent(
      'v1-rsa-20261207._domainkey.acme.exampleTXTv=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA',
    );

    fireEvent.click(
      screen.getByRole('button', {
        name: 'Copy the TXT value of v1-rsa-20261207._domainkey.acme.example',
      }),
    );
    expect(writeText).toHaveBeenCalledWith(
      'v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA',
    );
  });

  it('says when Stalwart has no DNS records yet', async () => {
    renderTab(fakeProvisioningApi());
    expect(
      await within(
        await screen.findByRole('region', { name: 'stalwart step' }),
      ).findByTestId('dns-records'),
    ).toHaveTextContent('No DNS records read from Stalwart yet.');
  });

  it('lists the recent attempts with their trigger, status, message and changes', async () => {
    renderTab(
      fakeProvisioningApi({ getTenant: jest.fn(async () => degraded) }),
    );
    const attempts = await screen.findAllByTestId('provisioning-attempt');
    expect(attempts).toHaveLength(2);
    expect(attempts[0]).toHaveAttribute('data-step', 'stalwart');
    expect(attempts[0]).toHaveTextContent('retry');
    expect(attempts[0]).toHaveTextContent('2 s');
    expect(within(attempts[0]).getByTestId('status-chip')).toHaveTextContent(
      'error',
    );
    expect(attempts[0]).toHaveTextContent(
      'PATCH /api/principal/acme returned 503 Service Unavailable',
    );
    expect(attempts[1]).toHaveTextContent('catalog');
    expect(
      within(attempts[1])
        .getAllByRole('listitem')
        .map(li => li.textContent),
    ).toEqual([
      'created group acme (b4c1d2e3)',
      'created application acme-portal',
    ]);
  });

  it('reconciles, shows the outcome and the tenant as the server answered', async () => {
    const answer = deferred<ReconcileResult>();
    const api = fakeProvisioningApi({
      getTenant: jest.fn(async () => degraded),
      reconcile: jest.fn(() => answer.promise),
    });
    renderTab(api);
    const button = await screen.findByRole('button', { name: 'Reconcile' });
    fireEvent.click(button);
    expect(api.reconcile).toHaveBeenCalledWith('acme');
    await waitFor(() => expect(button).toBeDisabled());

    answer.resolve({ outcome: 'done', tenant: aDetail() });
    expect(await screen.findByTestId('reconcile-outcome')).toHaveTextContent(
      'Reconciled',
    );
    expect(screen.getByTestId('phase-chip')).toHaveTextContent('active');
    expect(
      within(card('stalwart')).getByTestId('step-status'),
    ).toHaveTextContent('ok');
    expect(within(card('stalwart')).queryByTestId('dns-record')).toBeNull();
    expect(api.getTenant).toHaveBeenCalledTimes(1);
  });

  it('says when another instance holds the tenant, and shows a failed reconcile', async () => {
    const api = fakeProvisioningApi({
      getTenant: jest.fn(async () => degraded),
      reconcile: jest.fn(async () => ({
        outcome: 'queued' as const,
        tenant: degraded,
      })),
    });
    renderTab(api);
    fireEvent.click(await screen.findByRole('button', { name: 'Reconcile' }));
    expect(await screen.findByTestId('reconcile-outcome')).toHaveTextContent(
      'Queued: another instance is working on this tenant',
    );

    api.reconcile.mockImplementationOnce(async () => {
      throw await responseError(500, 'Stalwart unreachable');
    });
    fireEvent.click(screen.getByRole('button', { name: 'Reconcile' }));
    expect(await screen.findByTestId('reconcile-error')).toHaveTextContent(
      'Reconcile failed: Stalwart unreachable',
    );
    expect(screen.queryByTestId('reconcile-outcome')).toBeNull();
  });

  it('offers no Reconcile when the permission API denies it for this tenant', async () => {
    const permission = mockApis.permission({ authorize: AuthorizeResult.DENY });
    const authorize = jest.spyOn(permission, 'authorize');
    renderTab(
      fakeProvisioningApi({ getTenant: jest.fn(async () => degraded) }),
      permission,
    );
    await screen.findAllByTestId('step-card');
    await waitFor(() =>
      expect(authorize).toHaveBeenCalledWith(
        expect.objectContaining({ resourceRef: 'tenant:default/acme' }),
      ),
    );
    await act(async () => undefined);
    expect(screen.queryByRole('button', { name: 'Reconcile' })).toBeNull();
  });

  it('re-reads every 3 s while a step is pending, and stops once none is', async () => {
    jest.useFakeTimers();
    try {
      const pending = aDetail({
        phase: 'pending',
        stepsBy: { ocis: { status: 'pending', lastOkAt: undefined } },
      });
      const api = fakeProvisioningApi({
        getTenant: jest.fn(async () => pending),
      });
      renderTab(api);
      await screen.findAllByTestId('step-card');
      expect(api.getTenant).toHaveBeenCalledTimes(1);

      api.getTenant.mockImplementation(async () => aDetail());
      act(() => jest.advanceTimersByTime(POLL_MS));
      await waitFor(() =>
        expect(
          within(card('ocis')).getByTestId('step-status'),
        ).toHaveTextContent('ok'),
      );
      expect(api.getTenant).toHaveBeenCalledTimes(2);
      act(() => jest.advanceTimersByTime(5 * POLL_MS));
      await act(async () => undefined);
      expect(api.getTenant).toHaveBeenCalledTimes(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('re-reads while a step in error has a retry due, so the retry shows without a click; not for an error without one', async () => {
    jest.useFakeTimers();
    try {
      const failing = aDetail({
        phase: 'degraded',
        stepsBy: {
          stalwart: {
            status: 'error',
            message:
              'stalwart: read the JMAP session: cannot reach http://x (ECONNREFUSED)',
            nextAttemptAt: '2026-12-07T10:00:05.000Z',
          },
        },
      });
      const api = fakeProvisioningApi({
        getTenant: jest.fn(async () => failing),
      });
      renderTab(api);
      await screen.findAllByTestId('step-card');
      api.getTenant.mockImplementation(async () => aDetail());
      act(() => jest.advanceTimersByTime(POLL_MS));
      await waitFor(() =>
        expect(
          within(card('stalwart')).getByTestId('step-status'),
        ).toHaveTextContent('ok'),
      );
      expect(api.getTenant).toHaveBeenCalledTimes(2);

      // an error with no retry scheduled (e.g. refused): nothing to wait for
      const stuck = aDetail({
        phase: 'degraded',
        stepsBy: { stalwart: { status: 'error', nextAttemptAt: undefined } },
      });
      const other = fakeProvisioningApi({
        getTenant: jest.fn(async () => stuck),
      });
      renderTab(other);
      await waitFor(() => expect(other.getTenant).toHaveBeenCalledTimes(1));
      act(() => jest.advanceTimersByTime(5 * POLL_MS));
      await act(async () => undefined);
      expect(other.getTenant).toHaveBeenCalledTimes(1);
    } finally {
      jest.useRealTimers();
    }
  });

  it('waits for a tenant the engine has not picked up yet, and shows other errors', async () => {
    jest.useFakeTimers();
    try {
      const api = fakeProvisioningApi({
        getTenant: jest.fn(async () => {
          throw await responseError(404, 'No tenant acme', 'NotFoundError');
        }),
      });
      const { unmount } = renderTab(api);
      expect(
        await screen.findByText('No provisioning for this tenant yet'),
      ).toBeInTheDocument();
      api.getTenant.mockImplementation(async () => degraded);
      act(() => jest.advanceTimersByTime(POLL_MS));
      expect(await screen.findAllByTestId('step-card')).toHaveLength(3);
      unmount();
    } finally {
      jest.useRealTimers();
    }

    renderTab(
      fakeProvisioningApi({
        getTenant: jest.fn(async () => {
          throw await responseError(500, 'provisioning database unavailable');
        }),
      }),
    );
    expect(
      (await screen.findAllByText(/provisioning database unavailable/)).length,
    ).toBeGreaterThan(0);
  });
});
