import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import {
  AuthorizeResult,
  EvaluatePermissionRequest,
} from '@backstage/plugin-permission-common';
import { FreshPermissions } from '@internal/plugin-dezky-react';
import { MemberActionResult, provisioningApiRef, TenantMember } from '../api';
import {
  aMember,
  deferred,
  fakeProvisioningApi,
  okSteps,
  responseError,
} from '../testing/fakes';
import { EntityMembersContent } from './EntityMembersContent';

const acme = {
  apiVersion: 'dezky.io/v1alpha1',
  kind: 'Tenant',
  metadata: { name: 'acme', namespace: 'default', title: 'ACME GmbH' },
  spec: {},
};

const MANAGE = 'provisioning.tenant.members.manage';

function allowing(...names: string[]) {
  return mockApis.permission({
    authorize: (request: EvaluatePermissionRequest) =>
      names.includes(request.permission.name)
        ? AuthorizeResult.ALLOW
        : AuthorizeResult.DENY,
  });
}

const anna = aMember();
const bernd = aMember({
  id: '8',
  name: 'Bernd Maier',
  email: 'bernd@acme.example',
  username: 'bernd@acme.example',
  role: 'member',
  mfa: false,
  lastSignIn: null,
  mailbox: null,
});

/** Signed in as Anna (anna@acme.example), allowed to manage members unless told otherwise. */
function renderTab(
  items: TenantMember[],
  overrides: Parameters<typeof fakeProvisioningApi>[0] = {},
  permission = allowing(MANAGE),
) {
  const api = fakeProvisioningApi({
    listMembers: jest.fn(async () => ({ items, provisioned: true })),
    ...overrides,
  });
  renderInTestApp(
    <FreshPermissions>
      <EntityProvider entity={acme}>
        <EntityMembersContent />
      </EntityProvider>
    </FreshPermissions>,
    {
      apis: [
        [provisioningApiRef, api],
        permission,
        mockApis.identity({
          userEntityRef: 'user:default/anna.schmidt',
          email: 'anna@acme.example',
        }),
      ],
    },
  );
  return api;
}

const row = (email: string) =>
  screen
    .getAllByTestId('member-row')
    .find(r => r.getAttribute('data-member') === email)!;
const button = (name: string) => screen.getByRole('button', { name });

describe('the Members tab', () => {
  it('lists the members: name, email, role, SSO active, mailbox, last sign-in, MFA', async () => {
    const api = renderTab([
      anna,
      bernd,
      aMember({
        id: '9',
        email: 'c@acme.example',
        username: 'c',
        name: 'Carla',
        suspended: true,
        ssoActive: false,
      }),
    ]);
    await screen.findAllByTestId('member-row');
    expect(api.listMembers).toHaveBeenCalledWith('acme');
    expect(row('anna@acme.example')).toHaveTextContent(
      /Anna Schmidt.*anna@acme\.example.*admin.*yes.*anna@acme\.example \(active\).*\d{4}-\d\d-\d\d \d\d:\d\d.*yes/,
    );
    expect(row('bernd@acme.example')).toHaveTextContent(
      /Bernd Maier.*member.*yes.*—.*never.*no/,
    );
    expect(
      within(row('c@acme.example')).getByTestId('status-chip'),
    ).toHaveTextContent('suspended');
    // a suspended member is resumed, not suspended again
    expect(button('Resume Carla')).toBeEnabled();
    expect(screen.queryByRole('button', { name: 'Suspend Carla' })).toBeNull();
  });

  it('adds a member and shows the one-time password once, gone when the dialog closes', async () => {
    const writeText = jest.fn(async (_text: string) => undefined);
    Object.assign(navigator, { clipboard: { writeText } });
    const api = renderTab([anna]);
    fireEvent.click(await screen.findByRole('button', { name: 'Add member' }));
    const dialog = screen.getByRole('dialog', { name: 'Add member' });
    const add = within(dialog).getByRole('button', { name: 'Add' });
    expect(add).toBeDisabled();
    fireEvent.change(within(dialog).getByLabelText(/Name/), {
      target: { value: ' Bernd Maier ' },
    });
    fireEvent.change(within(dialog).getByLabelText(/Email/), {
      target: { value: 'not an address' },
    });
    expect(add).toBeDisabled();
    fireEvent.change(within(dialog).getByLabelText(/Email/), {
      target: { value: 'bernd@acme.example' },
    });
    expect(add).toBeEnabled();
    fireEvent.click(add);
    expect(api.createMember).toHaveBeenCalledWith('acme', {
      name: 'Bernd Maier',
      email: 'bernd@acme.example',
      role: 'member',
    });

    const shown = await screen.findByRole('dialog', {
      name: 'Bernd Maier added',
    });
    expect(within(shown).getByTestId('one-time-password')).toHaveTextContent(
      'Qx7-vR9!mK4pZ2wT',
    );
    expect(shown).toHaveTextContent('sign-in and mailbox');
    fireEvent.click(
      within(shown).getByRole('button', { name: 'Copy the one-time password' }),
    );
    expect(writeText).toHaveBeenCalledWith('Qx7-vR9!mK4pZ2wT');
    // the table is read again
    await waitFor(() => expect(api.listMembers).toHaveBeenCalledTimes(2));

    fireEvent.click(within(shown).getByRole('button', { name: 'Done' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(screen.queryByText('Qx7-vR9!mK4pZ2wT')).toBeNull();
    expect(document.body.innerHTML).not.toContain('Qx7-vR9!mK4pZ2wT');

    // opened again: an empty form, no password
    fireEvent.click(button('Add member'));
    const again = screen.getByRole('dialog', { name: 'Add member' });
    expect(within(again).getByLabelText(/Email/)).toHaveValue('');
    expect(document.body.innerHTML).not.toContain('Qx7-vR9!mK4pZ2wT');
  });

  it("keeps the server's refusal of Add member in its dialog", async () => {
    renderTab([anna], {
      createMember: jest.fn(async () => {
        throw await responseError(
          409,
          'bernd@acme.example is already a member of acme',
          'ConflictError',
        );
      }),
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Add member' }));
    const dialog = screen.getByRole('dialog', { name: 'Add member' });
    fireEvent.change(within(dialog).getByLabelText(/Name/), {
      target: { value: 'Bernd' },
    });
    fireEvent.change(within(dialog).getByLabelText(/Email/), {
      target: { value: 'bernd@acme.example' },
    });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Add' }));
    expect(await screen.findByTestId('add-member-error')).toHaveTextContent(
      'already a member of acme',
    );
    expect(screen.getByRole('dialog', { name: 'Add member' })).toBeVisible();
  });

  it.each([
    ['Suspend', 'Suspend Bernd Maier?', 'Suspend member', 'suspend'],
    ['Force logout', 'Force Bernd Maier out?', 'Force logout', 'logout'],
  ] as const)(
    '%s asks for a confirmation first, then calls the server',
    async (label, title, confirmLabel, action) => {
      const api = renderTab([anna, bernd]);
      fireEvent.click(
        await screen.findByRole('button', { name: `${label} Bernd Maier` }),
      );
      const dialog = screen.getByRole('dialog', { name: title });
      expect(api.memberAction).not.toHaveBeenCalled();
      fireEvent.click(
        within(dialog).getByRole('button', { name: confirmLabel }),
      );
      expect(api.memberAction).toHaveBeenCalledWith('acme', '8', action);
      await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
      expect(screen.getByTestId('member-notice')).toBeInTheDocument();
    },
  );

  it('says how many sessions a force logout ended', async () => {
    renderTab([anna, bernd]);
    fireEvent.click(
      await screen.findByRole('button', { name: 'Force logout Bernd Maier' }),
    );
    fireEvent.click(button('Force logout'));
    expect(await screen.findByTestId('member-notice')).toHaveTextContent(
      'Bernd Maier: 2 sessions ended.',
    );
  });

  it('removes after a confirmation, and cancelling calls nothing', async () => {
    const api = renderTab([anna, bernd]);
    fireEvent.click(
      await screen.findByRole('button', { name: 'Remove Bernd Maier' }),
    );
    expect(
      screen.getByRole('dialog', {
        name: 'Remove Bernd Maier from this tenant?',
      }),
    ).toHaveTextContent('cannot be undone');
    fireEvent.click(button('Cancel'));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(api.removeMember).not.toHaveBeenCalled();

    fireEvent.click(button('Remove Bernd Maier'));
    fireEvent.click(button('Remove member'));
    expect(api.removeMember).toHaveBeenCalledWith('acme', '8');
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
  });

  it('resets a password after a confirmation and shows the new one once', async () => {
    const answer = deferred<MemberActionResult>();
    const api = renderTab([anna, bernd], {
      memberAction: jest.fn(() => answer.promise),
    });
    fireEvent.click(
      await screen.findByRole('button', { name: 'Reset password Bernd Maier' }),
    );
    const dialog = screen.getByRole('dialog', {
      name: 'Reset the password of Bernd Maier?',
    });
    fireEvent.click(
      within(dialog).getByRole('button', { name: 'Reset password' }),
    );
    expect(api.memberAction).toHaveBeenCalledWith(
      'acme',
      '8',
      'reset-password',
    );
    expect(
      within(dialog).getByRole('button', { name: 'Cancel' }),
    ).toBeDisabled();
    answer.resolve({
      member: bernd,
      steps: okSteps(),
      oneTimePassword: 'Hn3=kW8?tY6bL5xE',
      passwordFor: ['sso', 'mailbox'],
    });
    const shown = await screen.findByRole('dialog', {
      name: 'New password for Bernd Maier',
    });
    expect(within(shown).getByTestId('one-time-password')).toHaveTextContent(
      'Hn3=kW8?tY6bL5xE',
    );
    fireEvent.click(within(shown).getByRole('button', { name: 'Done' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(document.body.innerHTML).not.toContain('Hn3=kW8?tY6bL5xE');
  });

  it("keeps the server's refusal of an action in its confirmation", async () => {
    renderTab([anna, bernd], {
      memberAction: jest.fn(async () => {
        throw await responseError(403, 'You cannot suspend yourself');
      }),
    });
    fireEvent.click(
      await screen.findByRole('button', { name: 'Suspend Bernd Maier' }),
    );
    fireEvent.click(button('Suspend member'));
    expect(await screen.findByTestId('member-action-error')).toHaveTextContent(
      'You cannot suspend yourself',
    );
    expect(screen.getByRole('dialog')).toBeInTheDocument();
  });

  it("disables suspend, force logout and remove on the user's own row, saying why", async () => {
    renderTab([anna, bernd]);
    await screen.findAllByTestId('member-row');
    await waitFor(() => expect(button('Suspend Anna Schmidt')).toBeDisabled());
    expect(button('Force logout Anna Schmidt')).toBeDisabled();
    expect(button('Remove Anna Schmidt')).toBeDisabled();
    // resetting one's own password is allowed
    expect(button('Reset password Anna Schmidt')).toBeEnabled();
    expect(screen.getByTestId('self-suspend')).toHaveAttribute(
      'title',
      'You cannot suspend yourself',
    );
    expect(screen.getByTestId('self-logout')).toHaveAttribute(
      'title',
      'You cannot force out yourself',
    );
    expect(screen.getByTestId('self-remove')).toHaveAttribute(
      'title',
      'You cannot remove yourself',
    );
    // someone else's row: everything enabled
    expect(button('Suspend Bernd Maier')).toBeEnabled();
    expect(button('Remove Bernd Maier')).toBeEnabled();
  });

  it('shows no Add member and no row actions without provisioning.tenant.members.manage', async () => {
    renderTab([anna, bernd], {}, allowing());
    await screen.findAllByTestId('member-row');
    expect(screen.queryByRole('button', { name: 'Add member' })).toBeNull();
    expect(screen.queryByRole('button', { name: /^Suspend / })).toBeNull();
    expect(screen.queryByRole('columnheader', { name: 'Actions' })).toBeNull();
  });

  it('explains a tenant whose sign-in group does not exist yet', async () => {
    renderTab([], {
      listMembers: jest.fn(async () => ({ items: [], provisioned: false })),
    });
    expect(await screen.findByText('No members yet')).toBeInTheDocument();
    expect(button('Add member')).toBeDisabled();
  });
});
