import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { FreshPermissions } from '@internal/plugin-dezky-react';
import { flagsApiRef } from '../api';
import {
  aFlag,
  fakeFlagsApi,
  OPERATOR_REFS,
  responseError,
} from '../testing/fakes';
import { FlagsPage } from './FlagsPage';

/** The permission API as the server answers an operator: everything allowed. */
const operatorPermissions = () => mockApis.permission();

/** The permission API as the server answers partner staff: no changes. */
const staffPermissions = () =>
  mockApis.permission({
    authorize: request =>
      request.permission.attributes.action === 'read'
        ? AuthorizeResult.ALLOW
        : AuthorizeResult.DENY,
  });

/** The page with no permission decision cached from an earlier test. */
const page = () => (
  <FreshPermissions>
    <FlagsPage />
  </FreshPermissions>
);

const flags = [
  aFlag({
    key: 'gdpr_export_v2',
    state: 'rollout',
    pct: 12.5,
    scope: {
      plans: ['business'],
      tenants: ['acme', 'globex'],
      partners: [],
      environments: [],
    },
  }),
  aFlag({ key: 'new_billing', type: 'experiment', state: 'on', pct: 0 }),
  aFlag({ key: 'beta_mail', type: 'operational', state: 'targeted' }),
];

const rowOf = (key: string) =>
  screen
    .getAllByTestId('flag-row')
    .find(r => r.getAttribute('data-flag-key') === key)!;

describe('FlagsPage', () => {
  it('lists the flags with state, rollout and scope; staff only read', async () => {
    const api = fakeFlagsApi({ listFlags: jest.fn(async () => flags) });
    renderInTestApp(page(), {
      apis: [[flagsApiRef, api], staffPermissions()],
    });

    const rows = await screen.findAllByTestId('flag-row');
    // sorted by key
    expect(rows.map(r => r.getAttribute('data-flag-key'))).toEqual([
      'beta_mail',
      'gdpr_export_v2',
      'new_billing',
    ]);
    const gdpr = rowOf('gdpr_export_v2');
    expect(within(gdpr).getByTestId('flag-state')).toHaveTextContent('rollout');
    expect(within(gdpr).getByTestId('flag-pct')).toHaveTextContent('12.5 %');
    expect(gdpr).toHaveTextContent('plans: business · tenants: 2');
    expect(gdpr).toHaveTextContent('release');
    expect(
      within(rowOf('new_billing')).getByTestId('flag-pct'),
    ).toHaveTextContent('—');
    expect(rowOf('beta_mail')).toHaveTextContent('nobody (no scope)');
    expect(screen.queryByRole('button', { name: 'New flag' })).toBeNull();

    fireEvent.click(gdpr);
    const panel = await screen.findByTestId('flag-panel');
    expect(
      within(panel).getByRole('heading', { name: 'gdpr_export_v2' }),
    ).toBeInTheDocument();
    expect(within(panel).queryByRole('button', { name: 'Save' })).toBeNull();
    expect(
      within(panel).queryByRole('button', { name: 'Kill switch' }),
    ).toBeNull();
    expect(
      within(panel).getByRole('button', { name: 'rollout' }),
    ).toHaveAttribute('aria-pressed', 'true');
  });

  it('offers no operator action when the permission API denies, whatever the user’s groups', async () => {
    const api = fakeFlagsApi({ listFlags: jest.fn(async () => flags) });
    renderInTestApp(page(), {
      apis: [
        [flagsApiRef, api],
        // signed in as a member of the platform admins group …
        mockApis.identity({ ownershipEntityRefs: OPERATOR_REFS }),
        // … but the server's policy says no (e.g. removed from the group since)
        mockApis.permission({ authorize: AuthorizeResult.DENY }),
      ],
      initialRouteEntries: ['/flags?flag=new_billing'],
    });
    const panel = await screen.findByTestId('flag-panel');
    await screen.findAllByTestId('flag-row');
    for (const name of ['New flag', 'Save', 'Kill switch', 'Delete']) {
      expect(screen.queryByRole('button', { name })).toBeNull();
    }
    expect(within(panel).queryByLabelText(/Description/)).toBeNull();
  });

  it('opens the flag named in the URL and shows a save in its row', async () => {
    const saved = aFlag({
      key: 'new_billing',
      type: 'experiment',
      state: 'off',
    });
    const api = fakeFlagsApi({
      listFlags: jest.fn(async () => flags),
      updateFlag: jest.fn(async () => saved),
    });
    renderInTestApp(page(), {
      apis: [[flagsApiRef, api], operatorPermissions()],
      initialRouteEntries: ['/flags?flag=new_billing'],
    });
    const panel = await screen.findByTestId('flag-panel');
    expect(
      within(panel).getByRole('heading', { name: 'new_billing' }),
    ).toBeInTheDocument();
    const save = await within(panel).findByRole('button', { name: 'Save' });
    fireEvent.click(within(panel).getByRole('button', { name: 'off' }));
    fireEvent.click(save);
    await waitFor(() =>
      expect(
        within(rowOf('new_billing')).getByTestId('flag-state'),
      ).toHaveTextContent('off'),
    );
    expect(api.updateFlag).toHaveBeenCalledWith('new_billing', {
      state: 'off',
    });

    fireEvent.click(within(panel).getByRole('button', { name: 'Close' }));
    await waitFor(() => expect(screen.queryByTestId('flag-panel')).toBeNull());
  });

  it('creates a flag with the New flag dialog and opens it', async () => {
    const created = aFlag({
      key: 'new_checkout',
      description: 'The new checkout',
      type: 'experiment',
    });
    const api = fakeFlagsApi({
      listFlags: jest.fn(async () => flags),
      createFlag: jest.fn(async () => created),
    });
    renderInTestApp(page(), {
      apis: [[flagsApiRef, api], operatorPermissions()],
    });
    fireEvent.click(await screen.findByRole('button', { name: 'New flag' }));
    const dialog = await screen.findByRole('dialog');
    const create = within(dialog).getByRole('button', { name: 'Create' });
    expect(create).toBeDisabled();

    const key = within(dialog).getByLabelText(/Key/);
    fireEvent.change(key, { target: { value: 'New Checkout' } });
    expect(key).toHaveAttribute('aria-invalid', 'true');
    expect(create).toBeDisabled();
    fireEvent.change(key, { target: { value: 'new_checkout' } });
    // a description is required too
    expect(create).toBeDisabled();
    fireEvent.change(within(dialog).getByLabelText(/Description/), {
      target: { value: '  The new checkout ' },
    });
    expect(create).toBeEnabled();
    fireEvent.mouseDown(within(dialog).getByLabelText('Type'));
    fireEvent.click(await screen.findByRole('option', { name: 'experiment' }));
    fireEvent.click(create);

    await waitFor(() =>
      expect(api.createFlag).toHaveBeenCalledWith({
        key: 'new_checkout',
        description: 'The new checkout',
        type: 'experiment',
      }),
    );
    const panel = await screen.findByTestId('flag-panel');
    expect(
      within(panel).getByRole('heading', { name: 'new_checkout' }),
    ).toBeInTheDocument();
    expect(rowOf('new_checkout')).toBeInTheDocument();
  });

  it("shows the server's refusal in the New flag dialog", async () => {
    const api = fakeFlagsApi({
      createFlag: jest
        .fn()
        .mockRejectedValueOnce(
          await responseError(409, 'exists', 'ConflictError'),
        )
        .mockRejectedValueOnce(
          await responseError(400, 'description: must not be empty'),
        ),
    });
    renderInTestApp(page(), {
      apis: [[flagsApiRef, api], operatorPermissions()],
    });
    expect(await screen.findByText('No flags yet')).toBeInTheDocument();
    fireEvent.click(await screen.findByRole('button', { name: 'New flag' }));
    const dialog = await screen.findByRole('dialog');
    fireEvent.change(within(dialog).getByLabelText(/Key/), {
      target: { value: 'gdpr_export_v2' },
    });
    fireEvent.change(within(dialog).getByLabelText(/Description/), {
      target: { value: 'Export v2' },
    });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Create' }));
    expect(
      await within(dialog).findByTestId('new-flag-error'),
    ).toHaveTextContent('A flag with the key gdpr_export_v2 already exists.');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Create' }));
    await waitFor(() =>
      expect(within(dialog).getByTestId('new-flag-error')).toHaveTextContent(
        'description: must not be empty',
      ),
    );
  });

  it('removes a deleted flag and closes its panel', async () => {
    const api = fakeFlagsApi({
      listFlags: jest.fn(async () => flags),
      deleteFlag: jest.fn(async () => undefined),
    });
    renderInTestApp(page(), {
      apis: [[flagsApiRef, api], operatorPermissions()],
      initialRouteEntries: ['/flags?flag=beta_mail'],
    });
    const panel = await screen.findByTestId('flag-panel');
    fireEvent.click(
      await within(panel).findByRole('button', { name: 'Delete' }),
    );
    const dialog = await screen.findByTestId('confirm-dialog');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(screen.queryByTestId('flag-panel')).toBeNull());
    // the list re-reads after the panel closes
    await waitFor(() =>
      expect(screen.getAllByTestId('flag-row')).toHaveLength(2),
    );
    expect(api.deleteFlag).toHaveBeenCalledWith('beta_mail');
  });

  it('offers the catalog’s tenants, partners and plans in the chip pickers', async () => {
    const entity = (kind: string, name: string, spec = {}) => ({
      apiVersion: 'dezky.io/v1alpha1',
      kind,
      metadata: { name, namespace: 'default' },
      spec,
    });
    const api = fakeFlagsApi({ listFlags: jest.fn(async () => flags) });
    renderInTestApp(page(), {
      apis: [
        [flagsApiRef, api],
        operatorPermissions(),
        catalogApiMock({
          entities: [
            entity('Tenant', 'initech', { plan: 'enterprise' }),
            entity('Tenant', 'acme', { plan: 'business' }),
            entity('Partner', 'nordlicht-it'),
            entity('Component', 'not-a-tenant'),
          ],
        }),
      ],
      initialRouteEntries: ['/flags?flag=beta_mail'],
    });
    const panel = await screen.findByTestId('flag-panel');
    const pick = async (label: string) => {
      const input = within(panel).getByLabelText(label);
      fireEvent.mouseDown(input);
      fireEvent.keyDown(input, { key: 'ArrowDown' });
      const options = (await screen.findAllByRole('option')).map(
        o => o.textContent,
      );
      fireEvent.keyDown(input, { key: 'Escape' });
      return options;
    };
    await waitFor(async () =>
      expect(await pick('Tenants')).toEqual(['acme', 'globex', 'initech']),
    );
    expect(await pick('Plans')).toEqual(['business', 'enterprise']);
    expect(await pick('Partners')).toEqual(['nordlicht-it']);
    expect(await pick('Environments')).toEqual([
      'development',
      'production',
      'staging',
    ]);
  });

  it('says when there are no flags, or why they could not be loaded', async () => {
    const api = fakeFlagsApi();
    const { unmount } = renderInTestApp(page(), {
      apis: [[flagsApiRef, api], staffPermissions()],
    });
    expect(await screen.findByText('No flags yet')).toBeInTheDocument();
    expect(
      screen.getByText(
        'Flags appear here once the platform operators create them.',
      ),
    ).toBeInTheDocument();
    unmount();

    const failing = fakeFlagsApi({
      listFlags: jest.fn(async () => {
        throw await responseError(
          503,
          'flags database unavailable',
          'ServiceUnavailableError',
        );
      }),
    });
    renderInTestApp(page(), {
      apis: [[flagsApiRef, failing], staffPermissions()],
    });
    expect(
      (await screen.findAllByText(/flags database unavailable/)).length,
    ).toBeGreaterThan(0);
  });
});
