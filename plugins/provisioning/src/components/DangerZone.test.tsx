import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import {
  AuthorizeResult,
  EvaluatePermissionRequest,
} from '@backstage/plugin-permission-common';
import { FreshPermissions } from '@internal/plugin-dezky-react';
import {
  LifecycleActionResult,
  TenantLifecycle,
} from '@internal/plugin-provisioning-common';
import { provisioningApiRef } from '../api';
import {
  aDetail,
  aHold,
  aLifecycle,
  deferred,
  fakeProvisioningApi,
  responseError,
} from '../testing/fakes';
import { EntityProvisioningContent } from './EntityProvisioningContent';

/*
 * The Danger zone as it shows on the tenant's Provisioning tab: the actions
 * change the tenant there (its status chip) as the server answers.
 */

const acme = {
  apiVersion: 'dezky.io/v1alpha1',
  kind: 'Tenant',
  metadata: { name: 'acme', namespace: 'default' },
  spec: {},
};

const DAY = 86_400_000;
const HOUR = 3_600_000;

const suspendedInPortal = aLifecycle({
  status: 'suspended',
  source: 'portal',
  hold: aHold({ at: '2026-12-07T09:00:00Z' }),
});

/** The permissions the user has on every tenant, by name. */
function allowing(...names: string[]) {
  return mockApis.permission({
    authorize: (request: EvaluatePermissionRequest) =>
      names.includes(request.permission.name)
        ? AuthorizeResult.ALLOW
        : AuthorizeResult.DENY,
  });
}

function renderTab(
  lifecycle: TenantLifecycle,
  overrides: Parameters<typeof fakeProvisioningApi>[0] = {},
  permission = mockApis.permission(),
) {
  const api = fakeProvisioningApi({
    getTenant: jest.fn(async () => aDetail({ lifecycle })),
    ...overrides,
  });
  renderInTestApp(
    <FreshPermissions>
      <EntityProvider entity={acme}>
        <EntityProvisioningContent />
      </EntityProvider>
    </FreshPermissions>,
    { apis: [[provisioningApiRef, api], permission] },
  );
  return api;
}

const button = (name: string) => screen.getByRole('button', { name });
const dialog = () => screen.getByRole('dialog');
const chip = () => screen.getByTestId('lifecycle-chip');

describe('the Danger zone', () => {
  it('suspends with a reason, which is required, and shows the tenant suspended', async () => {
    const answer = deferred<LifecycleActionResult>();
    const api = renderTab(aLifecycle(), {
      suspend: jest.fn(() => answer.promise),
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Suspend' }));
    expect(dialog()).toHaveTextContent('Suspend ACME GmbH?');

    // no reason, or only blanks: nothing to confirm
    expect(button('Suspend tenant')).toBeDisabled();
    const reason = screen.getByLabelText('Reason');
    fireEvent.change(reason, { target: { value: '   ' } });
    expect(button('Suspend tenant')).toBeDisabled();
    fireEvent.change(reason, { target: { value: ' unpaid invoices ' } });
    expect(button('Suspend tenant')).toBeEnabled();

    fireEvent.click(button('Suspend tenant'));
    expect(api.suspend).toHaveBeenCalledWith('acme', 'unpaid invoices');
    // in progress: neither button, nor the field
    expect(button('Suspend tenant')).toBeDisabled();
    expect(button('Cancel')).toBeDisabled();
    expect(reason).toBeDisabled();

    answer.resolve({
      tenant: aDetail({ lifecycle: suspendedInPortal }),
    });
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(chip()).toHaveTextContent('suspended · portal');
    expect(screen.getByTestId('lifecycle-description')).toHaveTextContent(
      'Status: suspended in the portal by anna.schmidt@dezky.example on 2026-12-07: unpaid invoices',
    );
    // a suspended tenant can be resumed, not suspended again
    expect(screen.queryByRole('button', { name: 'Suspend' })).toBeNull();
    expect(button('Resume')).toBeInTheDocument();
  });

  it('resumes a suspension set in the portal after confirming', async () => {
    const api = renderTab(suspendedInPortal);
    fireEvent.click(await screen.findByRole('button', { name: 'Resume' }));
    expect(dialog()).toHaveTextContent('Resume ACME GmbH?');
    expect(api.resume).not.toHaveBeenCalled();
    fireEvent.click(button('Resume tenant'));
    expect(api.resume).toHaveBeenCalledWith('acme');
    await waitFor(() => expect(chip()).toHaveTextContent(/^active$/));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(button('Suspend')).toBeInTheDocument();
  });

  it('cancels a dialog without calling the server', async () => {
    const api = renderTab(aLifecycle());
    fireEvent.click(await screen.findByRole('button', { name: 'Suspend' }));
    fireEvent.change(screen.getByLabelText('Reason'), {
      target: { value: 'unpaid invoices' },
    });
    fireEvent.click(button('Cancel'));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(api.suspend).not.toHaveBeenCalled();
    // opened again: the reason is asked again
    fireEvent.click(button('Suspend'));
    expect(screen.getByLabelText('Reason')).toHaveValue('');
  });

  it('offers no Resume for a suspension in git, but says where to lift it', async () => {
    renderTab(
      aLifecycle({
        status: 'suspended',
        source: 'git',
        gitStatus: 'suspended',
      }),
    );
    expect(await screen.findByTestId('lifecycle-note')).toHaveTextContent(
      "Suspended in git: to resume it, change spec.status in the tenant's YAML",
    );
    expect(chip()).toHaveTextContent('suspended · git');
    expect(screen.queryByRole('button', { name: 'Resume' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Suspend' })).toBeNull();
    // it can still be terminated
    expect(button('Terminate')).toBeInTheDocument();
  });

  it("terminates only once the tenant's name is typed exactly and a reason given", async () => {
    const api = renderTab(aLifecycle());
    fireEvent.click(await screen.findByRole('button', { name: 'Terminate' }));
    expect(dialog()).toHaveTextContent('Terminate ACME GmbH?');
    const confirm = button('Terminate tenant');
    const typed = screen.getByLabelText("Type the tenant's name to confirm");
    const type = (value: string) =>
      fireEvent.change(typed, { target: { value } });

    fireEvent.change(screen.getByLabelText('Reason'), {
      target: { value: 'contract ended' },
    });
    expect(confirm).toBeDisabled();
    for (const almost of ['acm', 'Acme', 'acme ', ' acme', 'ACME GmbH']) {
      type(almost);
      expect(confirm).toBeDisabled();
    }
    type('acme');
    expect(confirm).toBeEnabled();
    // the name alone is not enough: the reason is required too
    fireEvent.change(screen.getByLabelText('Reason'), {
      target: { value: '' },
    });
    expect(confirm).toBeDisabled();
    fireEvent.change(screen.getByLabelText('Reason'), {
      target: { value: 'contract ended' },
    });

    fireEvent.click(confirm);
    expect(api.terminate).toHaveBeenCalledWith(
      'acme',
      'contract ended',
      'acme',
    );
    await waitFor(() => expect(chip()).toHaveTextContent('terminating'));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(screen.getByTestId('termination-countdown')).toHaveTextContent(
      /^torn down in (29 d 23 h|30 d)$/,
    );
    expect(button('Cancel termination')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Terminate' })).toBeNull();
  });

  it('counts down to the teardown while terminating, and cancels the termination after confirming', async () => {
    const terminating = aLifecycle({
      status: 'terminating',
      source: 'portal',
      hold: aHold({ kind: 'terminating', reason: 'contract ended' }),
      terminationStartedAt: new Date().toISOString(),
      graceEndsAt: new Date(
        Date.now() + 6 * DAY + 4 * HOUR + 60_000,
      ).toISOString(),
    });
    const api = renderTab(terminating);
    expect(
      await screen.findByTestId('termination-countdown'),
    ).toHaveTextContent('torn down in 6 d 4 h');
    expect(screen.getByTestId('lifecycle-description')).toHaveTextContent(
      'contract ended',
    );
    expect(chip()).toHaveTextContent('terminating · portal');

    fireEvent.click(button('Cancel termination'));
    expect(dialog()).toHaveTextContent('Cancel the termination of ACME GmbH?');
    fireEvent.click(button('Resume tenant'));
    expect(api.resume).toHaveBeenCalledWith('acme');
    await waitFor(() => expect(chip()).toHaveTextContent(/^active$/));
    expect(screen.queryByTestId('termination-countdown')).toBeNull();
  });

  it('offers no Cancel termination for a cancellation in git', async () => {
    renderTab(
      aLifecycle({
        status: 'terminating',
        source: 'git',
        gitStatus: 'cancelled',
        graceEndsAt: new Date(Date.now() + 2 * DAY).toISOString(),
      }),
    );
    expect(await screen.findByTestId('lifecycle-note')).toHaveTextContent(
      "Cancelled in git: to keep the tenant, change spec.status in the tenant's YAML",
    );
    expect(screen.getByTestId('termination-countdown')).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Cancel termination' }),
    ).toBeNull();
  });

  it('says when a tenant was terminated, and offers nothing', async () => {
    renderTab(
      aLifecycle({
        status: 'terminated',
        source: 'portal',
        hold: aHold({ kind: 'terminating', reason: 'contract ended' }),
        terminatedAt: '2027-01-06T10:00:00Z',
      }),
    );
    expect(await screen.findByTestId('lifecycle-note')).toHaveTextContent(
      /^Terminated on 2027-01-06 \d\d:\d\d\./,
    );
    expect(chip()).toHaveTextContent('terminated · portal');
    for (const name of [
      'Suspend',
      'Resume',
      'Terminate',
      'Cancel termination',
    ]) {
      expect(screen.queryByRole('button', { name })).toBeNull();
    }
  });

  it("shows the server's refusal in the dialog, keeps it open and reads the tenant again", async () => {
    const api = renderTab(aLifecycle(), {
      suspend: jest.fn(async () => {
        throw await responseError(
          409,
          'acme is terminating: it cannot be suspended',
          'ConflictError',
        );
      }),
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Suspend' }));
    fireEvent.change(screen.getByLabelText('Reason'), {
      target: { value: 'unpaid invoices' },
    });
    fireEvent.click(button('Suspend tenant'));
    expect(await screen.findByTestId('lifecycle-error')).toHaveTextContent(
      'acme is terminating: it cannot be suspended',
    );
    expect(dialog()).toBeInTheDocument();
    expect(button('Suspend tenant')).toBeEnabled();
    await waitFor(() => expect(api.getTenant).toHaveBeenCalledTimes(2));

    // closed and opened again: the old error is gone
    fireEvent.click(button('Cancel'));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    fireEvent.click(button('Suspend'));
    expect(screen.queryByTestId('lifecycle-error')).toBeNull();
  });

  it('shows partner staff Suspend but not Terminate, deciding for this tenant', async () => {
    const permission = allowing('provisioning.tenant.suspend');
    const authorize = jest.spyOn(permission, 'authorize');
    renderTab(aLifecycle(), {}, permission);
    expect(
      await screen.findByRole('button', { name: 'Suspend' }),
    ).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Terminate' })).toBeNull();
    for (const name of [
      'provisioning.tenant.suspend',
      'provisioning.tenant.terminate',
    ]) {
      expect(authorize).toHaveBeenCalledWith(
        expect.objectContaining({
          permission: expect.objectContaining({ name }),
          resourceRef: 'tenant:default/acme',
        }),
      );
    }
  });

  it('offers no Cancel termination without the terminate permission', async () => {
    renderTab(
      aLifecycle({
        status: 'terminating',
        source: 'portal',
        hold: aHold({ kind: 'terminating' }),
        graceEndsAt: new Date(Date.now() + DAY).toISOString(),
      }),
      {},
      allowing('provisioning.tenant.suspend'),
    );
    await screen.findByTestId('termination-countdown');
    await act(async () => undefined);
    expect(
      screen.queryByRole('button', { name: 'Cancel termination' }),
    ).toBeNull();
  });

  it('offers nothing, and says so, to whom the server allows neither', async () => {
    renderTab(
      aLifecycle(),
      {},
      mockApis.permission({ authorize: AuthorizeResult.DENY }),
    );
    expect(await screen.findByTestId('lifecycle-note')).toHaveTextContent(
      'You may not suspend, resume or terminate this tenant.',
    );
    expect(screen.queryByRole('button', { name: 'Suspend' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Terminate' })).toBeNull();
    expect(screen.getByTestId('lifecycle-description')).toHaveTextContent(
      'Status: active',
    );
  });
});
