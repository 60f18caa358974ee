import {
  act,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { PriceDetail } from '@internal/plugin-billing-common';
import { FreshPermissions } from '@internal/plugin-dezky-react';
import { billingApiRef } from '../api';
import { billingRouteRef } from '../routes';
import {
  aPrice,
  deferred,
  fakeBillingApi,
  responseError,
} from '../testing/fakes';
import { PricesPage } from './PricesPage';

/** The permission API as the server answers an operator: everything allowed. */
const operatorPermissions = () => mockApis.permission();

/** The permission API as the server answers partner staff: reads only. */
const staffPermissions = () =>
  mockApis.permission({
    authorize: request =>
      request.permission.attributes.action === 'read'
        ? AuthorizeResult.ALLOW
        : AuthorizeResult.DENY,
  });

const business = aPrice({ version: 3 });
const enterpriseYen = aPrice({
  id: '7a2d4c1f-9b8e-4a6d-8c5b-2d4f6a8c0e1b',
  plan: 'enterprise',
  currency: 'JPY',
  cycle: 'yearly',
  perSeatAmount: 1234,
  updatedBy: undefined,
});
const starterDinar = aPrice({
  id: '8b3e5d2a-0c9f-4b7e-9d6c-3e5a7b9d1f2c',
  plan: 'starter',
  currency: 'BHD',
  perSeatAmount: 1234,
});

function render(
  api: ReturnType<typeof fakeBillingApi>,
  permission = operatorPermissions(),
) {
  return renderInTestApp(
    <FreshPermissions>
      <PricesPage />
    </FreshPermissions>,
    {
      apis: [[billingApiRef, api], permission],
      mountedRoutes: { '/billing': billingRouteRef },
    },
  );
}

const rowOf = (plan: string) =>
  screen
    .getAllByTestId('price-row')
    .find(r => r.getAttribute('data-plan') === plan)!;

const text = (element: HTMLElement) =>
  element.textContent!.replace(/\u00a0/g, ' ');

/** Types into a dialog's field by its label. */
const type = (label: RegExp, value: string) =>
  fireEvent.change(screen.getByLabelText(label), { target: { value } });

describe('PricesPage', () => {
  it('lists the catalog with each amount in its currency; staff see no Add or Edit', async () => {
    const api = fakeBillingApi({
      listPrices: jest.fn(async () => ({
        items: [business, enterpriseYen, starterDinar],
      })),
    });
    const permission = staffPermissions();
    const authorize = jest.spyOn(permission, 'authorize');
    render(api, permission);

    expect(await screen.findAllByTestId('price-row')).toHaveLength(3);
    expect(api.listPrices).toHaveBeenCalledTimes(1);
    expect(text(within(rowOf('business')).getByTestId('price-amount'))).toBe(
      '€11.90',
    );
    expect(rowOf('business')).toHaveTextContent('businessEURmonthly');
    expect(
      within(rowOf('business')).getByTestId('price-version'),
    ).toHaveTextContent('3');
    expect(rowOf('business')).toHaveTextContent('user:default/anna.schmidt');
    expect(text(within(rowOf('enterprise')).getByTestId('price-amount'))).toBe(
      '¥1,234',
    );
    expect(rowOf('enterprise')).toHaveTextContent('enterpriseJPYyearly');
    expect(text(within(rowOf('starter')).getByTestId('price-amount'))).toBe(
      'BHD 1.234',
    );
    expect(screen.getByRole('button', { name: 'Billing' })).toHaveAttribute(
      'href',
      '/billing',
    );

    await waitFor(() =>
      expect(authorize).toHaveBeenCalledWith(
        expect.objectContaining({
          permission: expect.objectContaining({ name: 'billing.price.manage' }),
        }),
      ),
    );
    await act(async () => undefined);
    expect(screen.queryByRole('button', { name: 'Add price' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Edit' })).toBeNull();
  });

  it('offers operators Add price and Edit on every row', async () => {
    const api = fakeBillingApi({
      listPrices: jest.fn(async () => ({ items: [business, enterpriseYen] })),
    });
    render(api);
    expect(
      await screen.findByRole('button', { name: 'Add price' }),
    ).toBeInTheDocument();
    expect(
      await within(rowOf('business')).findByRole('button', {
        name: 'Edit business · EUR · monthly',
      }),
    ).toBeInTheDocument();
    expect(
      within(rowOf('enterprise')).getByRole('button', {
        name: 'Edit enterprise · JPY · yearly',
      }),
    ).toBeInTheDocument();
  });

  it('adds a price: the amount typed as a decimal goes out in minor units', async () => {
    const api = fakeBillingApi({
      listPrices: jest.fn(async () => ({ items: [business] })),
    });
    render(api);
    fireEvent.click(await screen.findByRole('button', { name: 'Add price' }));
    const dialog = screen.getByRole('dialog', { name: 'Add price' });
    const add = within(dialog).getByRole('button', { name: 'Add' });
    expect(add).toBeDisabled();

    type(/^Plan/, 'premium');
    type(/^Currency/, 'chf');
    type(/^Amount per seat/, '11.999');
    expect(dialog).toHaveTextContent('Enter CHF has 2 decimals at most');
    expect(add).toBeDisabled();
    type(/^Amount per seat/, '11.9');
    expect(dialog).toHaveTextContent(/CHF.11\.90 per seat/);
    expect(add).toBeEnabled();

    fireEvent.click(add);
    await waitFor(() =>
      expect(api.createPrice).toHaveBeenCalledWith({
        plan: 'premium',
        currency: 'CHF',
        cycle: 'monthly',
        perSeatAmount: 1190,
      }),
    );
    expect(text(await screen.findByTestId('prices-notice'))).toContain(
      'Added premium · CHF · monthly at CHF 11.90 per seat.',
    );
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(api.listPrices).toHaveBeenCalledTimes(2);
  });

  it('takes yen without decimals and dinar with three', async () => {
    const api = fakeBillingApi();
    render(api);
    fireEvent.click(await screen.findByRole('button', { name: 'Add price' }));
    const dialog = screen.getByRole('dialog', { name: 'Add price' });
    type(/^Plan/, 'starter');
    type(/^Currency/, 'JPY');
    type(/^Amount per seat/, '1234.5');
    expect(dialog).toHaveTextContent('Enter JPY has no decimals');
    type(/^Amount per seat/, '1234');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Add' }));
    await waitFor(() =>
      expect(api.createPrice).toHaveBeenLastCalledWith(
        expect.objectContaining({ currency: 'JPY', perSeatAmount: 1234 }),
      ),
    );

    fireEvent.click(await screen.findByRole('button', { name: 'Add price' }));
    type(/^Plan/, 'starter');
    type(/^Currency/, 'BHD');
    type(/^Amount per seat/, '1.234');
    fireEvent.click(
      within(screen.getByRole('dialog', { name: 'Add price' })).getByRole(
        'button',
        { name: 'Add' },
      ),
    );
    await waitFor(() =>
      expect(api.createPrice).toHaveBeenLastCalledWith(
        expect.objectContaining({ currency: 'BHD', perSeatAmount: 1234 }),
      ),
    );
  });

  it('shows the server’s refusal of a new price in the dialog', async () => {
    const api = fakeBillingApi({
      createPrice: jest.fn(async () => {
        throw await responseError(
          409,
          'business already has a EUR monthly price',
          'ConflictError',
        );
      }),
    });
    render(api);
    fireEvent.click(await screen.findByRole('button', { name: 'Add price' }));
    type(/^Plan/, 'business');
    type(/^Amount per seat/, '0.05');
    fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    await waitFor(() =>
      expect(api.createPrice).toHaveBeenCalledWith(
        expect.objectContaining({ perSeatAmount: 5 }),
      ),
    );
    expect(await screen.findByTestId('price-dialog-error')).toHaveTextContent(
      'business already has a EUR monthly price',
    );
    expect(screen.getByRole('dialog', { name: 'Add price' })).toBeVisible();
  });

  it('edits an amount: old → new in the confirmation, the version on screen sent', async () => {
    const saved = deferred<PriceDetail>();
    const api = fakeBillingApi({
      listPrices: jest.fn(async () => ({ items: [business] })),
      updatePrice: jest.fn(() => saved.promise),
    });
    render(api);
    fireEvent.click(
      await within(await screen.findByTestId('price-row')).findByRole(
        'button',
        { name: 'Edit business · EUR · monthly' },
      ),
    );
    const edit = screen.getByRole('dialog', {
      name: 'Edit business · EUR · monthly',
    });
    const amount = within(edit).getByTestId('amount-input') as HTMLInputElement;
    expect(amount.value).toBe('11.90');
    const review = within(edit).getByRole('button', { name: 'Review' });
    expect(review).toBeDisabled();
    type(/^Amount per seat/, '12.5');
    fireEvent.click(review);

    const confirm = await screen.findByRole('dialog', {
      name: 'Change the price of business · EUR · monthly?',
    });
    expect(text(within(confirm).getByTestId('price-change'))).toBe(
      '€11.90 → €12.50',
    );
    expect(confirm).toHaveTextContent('version 3 → 4');
    fireEvent.click(
      within(confirm).getByRole('button', { name: 'Change price' }),
    );
    expect(api.updatePrice).toHaveBeenCalledWith(business.id, {
      perSeatAmount: 1250,
      version: 3,
    });
    saved.resolve({
      ...aPrice({ perSeatAmount: 1250, version: 4 }),
      history: [],
      repricing: [],
    });
    expect(text(await screen.findByTestId('prices-notice'))).toBe(
      'business · EUR · monthly is now €12.50 per seat (version 4).',
    );
    expect(api.listPrices).toHaveBeenCalledTimes(2);
  });

  it('shows the server’s message when another edit came first, and reloads the catalog', async () => {
    const api = fakeBillingApi({
      listPrices: jest.fn(async () => ({ items: [business] })),
      updatePrice: jest.fn(async () => {
        throw await responseError(
          409,
          'the price is at version 4 now, not 3',
          'ConflictError',
        );
      }),
    });
    render(api);
    fireEvent.click(
      await screen.findByRole('button', {
        name: 'Edit business · EUR · monthly',
      }),
    );
    type(/^Amount per seat/, '13');
    fireEvent.click(screen.getByRole('button', { name: 'Review' }));
    fireEvent.click(
      await screen.findByRole('button', { name: 'Change price' }),
    );
    expect(await screen.findByTestId('prices-notice')).toHaveTextContent(
      'Not changed: the price is at version 4 now, not 3',
    );
    expect(api.updatePrice).toHaveBeenCalledWith(business.id, {
      perSeatAmount: 1300,
      version: 3,
    });
    await waitFor(() => expect(api.listPrices).toHaveBeenCalledTimes(2));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
  });

  it('says when the catalog is empty, and shows a failed read', async () => {
    const { unmount } = await render(fakeBillingApi(), staffPermissions());
    expect(await screen.findByText('No prices yet')).toBeInTheDocument();
    unmount();

    render(
      fakeBillingApi({
        listPrices: jest.fn(async () => {
          throw await responseError(500, 'billing database unavailable');
        }),
      }),
    );
    expect(
      (await screen.findAllByText(/billing database unavailable/)).length,
    ).toBeGreaterThan(0);
  });
});
