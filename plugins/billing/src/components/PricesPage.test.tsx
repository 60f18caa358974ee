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
import { PriceDetail, PriceImpact } from '@internal/plugin-billing-common';
import { FreshPermissions } from '@internal/plugin-dezky-react';
import { billingApiRef } from '../api';
import { billingRouteRef } from '../routes';
import {
  aPrice,
  aPriceImpact,
  aRepricingOutcome,
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
      mountedRoutes: {
        '/billing': billingRouteRef,
        '/catalog/:namespace/:kind/:name': entityRouteRef,
      },
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

  it('edits an amount: old → new and the impact preview before confirming, the version on screen sent, then the re-pricing', async () => {
    const impact = deferred<PriceImpact>();
    const saved = deferred<PriceDetail>();
    const api = fakeBillingApi({
      listPrices: jest.fn(async () => ({ items: [business] })),
      priceImpact: jest.fn(() => impact.promise),
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
    expect(api.priceImpact).not.toHaveBeenCalled();
    fireEvent.click(review);

    const confirm = await screen.findByRole('dialog', {
      name: 'Change the price of business · EUR · monthly?',
    });
    expect(text(within(confirm).getByTestId('price-change'))).toBe(
      '€11.90 → €12.50',
    );
    expect(confirm).toHaveTextContent('version 3 → 4');
    // the impact of the amount typed, asked for before anything changes
    expect(api.priceImpact).toHaveBeenCalledWith(business.id, 1250);
    const change = within(confirm).getByRole('button', {
      name: 'Change price',
    });
    expect(within(confirm).getByTestId('progress')).toBeInTheDocument();
    expect(change).toBeDisabled();
    fireEvent.click(change);
    expect(api.updatePrice).not.toHaveBeenCalled();

    impact.resolve(
      aPriceImpact({
        priceId: business.id,
        version: 3,
        newPerSeatAmount: 1250,
        subscriptions: 3,
        perCurrency: [
          {
            currency: 'EUR',
            subscriptions: 3,
            mrrBefore: 35_700,
            mrrAfter: 37_500,
            mrrChange: 1_800,
            pausedMrrBefore: 1_190,
            pausedMrrAfter: 1_250,
          },
        ],
      }),
    );
    expect(
      await within(confirm).findByTestId('impact-subscriptions'),
    ).toHaveTextContent('Moves 3 live subscriptions (active or paused)');
    const eur = within(confirm).getByTestId('impact-currency');
    expect(eur).toHaveTextContent('EUR · 3 subscriptions');
    expect(text(within(eur).getByTestId('impact-mrr'))).toBe(
      '€357.00 → €375.00',
    );
    expect(text(within(eur).getByTestId('impact-change'))).toBe('+€18.00');
    expect(text(within(eur).getByTestId('impact-paused-mrr'))).toBe(
      '€11.90 → €12.50',
    );
    expect(api.updatePrice).not.toHaveBeenCalled();

    await waitFor(() => expect(change).toBeEnabled());
    fireEvent.click(change);
    expect(api.updatePrice).toHaveBeenCalledTimes(1);
    expect(api.updatePrice).toHaveBeenCalledWith(business.id, {
      perSeatAmount: 1250,
      version: 3,
    });
    const moved = [
      // an earlier edit's, still failing: listed, not this edit's
      aRepricingOutcome({
        tenant: 'umbrella',
        tenantRef: 'tenant:default/umbrella',
        fromVersion: 2,
        toVersion: 3,
        outcome: 'failed',
        error: 'Stripe: timeout',
        attempts: 5,
      }),
      aRepricingOutcome({ fromVersion: 3, toVersion: 4 }),
      aRepricingOutcome({
        tenant: 'globex',
        tenantRef: 'tenant:default/globex',
        fromVersion: 3,
        toVersion: 4,
        outcome: 'failed',
        error: 'Stripe: No such subscription: sub_globex',
        attempts: 1,
      }),
      aRepricingOutcome({
        tenant: 'initech',
        tenantRef: 'tenant:default/initech',
        fromVersion: 3,
        toVersion: 4,
        outcome: 'pending',
        attempts: 0,
      }),
    ];
    const after = {
      ...aPrice({ perSeatAmount: 1250, version: 4 }),
      history: [],
      repricing: moved,
    };
    api.getPrice.mockImplementation(async () => after);
    saved.resolve(after);
    expect(text(await screen.findByTestId('prices-notice'))).toBe(
      'business · EUR · monthly is now €12.50 per seat (version 4). Re-pricing: 1 moved, 1 failed, 1 pending.',
    );
    expect(api.listPrices).toHaveBeenCalledTimes(2);

    // what the edit moved, at once, in the price's details
    const details = await screen.findByRole('dialog', {
      name: 'business · EUR · monthly',
    });
    expect(await within(details).findAllByTestId('repricing-row')).toHaveLength(
      4,
    );
  });

  it('asks before an edit that moves no subscription, and does not offer to confirm without the impact', async () => {
    const api = fakeBillingApi({
      listPrices: jest.fn(async () => ({ items: [business] })),
      priceImpact: jest.fn(async () => {
        throw await responseError(503, 'billing database unavailable');
      }),
    });
    render(api);
    fireEvent.click(
      await screen.findByRole('button', {
        name: 'Edit business · EUR · monthly',
      }),
    );
    type(/^Amount per seat/, '9.5');
    fireEvent.click(screen.getByRole('button', { name: 'Review' }));
    expect(await screen.findByTestId('impact-error')).toHaveTextContent(
      'The impact could not be computed: billing database unavailable',
    );
    expect(screen.getByRole('button', { name: 'Change price' })).toBeDisabled();

    api.priceImpact.mockImplementation(async (id, perSeatAmount) =>
      aPriceImpact({ priceId: id, newPerSeatAmount: perSeatAmount }),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByTestId('impact-none')).toHaveTextContent(
      'No live subscription is on this price',
    );
    expect(api.priceImpact).toHaveBeenLastCalledWith(business.id, 950);
    expect(screen.getByRole('button', { name: 'Change price' })).toBeEnabled();
    expect(api.updatePrice).not.toHaveBeenCalled();

    // back to the amount: nothing sent
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(
      await screen.findByRole('dialog', {
        name: 'Edit business · EUR · monthly',
      }),
    ).toBeInTheDocument();
    expect(api.updatePrice).not.toHaveBeenCalled();
  });

  it('shows anyone a price’s details: the re-pricing outcomes, failed ones with the error and attempts, and the earlier versions', async () => {
    const api = fakeBillingApi({
      listPrices: jest.fn(async () => ({ items: [business] })),
      getPrice: jest.fn(async () => ({
        ...business,
        history: [
          {
            version: 2,
            perSeatAmount: 1090,
            replacedAt: '2026-12-07T10:00:00.000Z',
            replacedBy: 'user:default/anna.schmidt',
          },
          {
            version: 1,
            perSeatAmount: 990,
            replacedAt: '2026-12-02T10:00:00.000Z',
          },
        ],
        repricing: [
          aRepricingOutcome({
            tenant: 'globex',
            tenantRef: 'tenant:default/globex',
            fromVersion: 2,
            toVersion: 3,
            outcome: 'failed',
            error: 'Stripe: card_declined',
            attempts: 4,
          }),
          aRepricingOutcome({ fromVersion: 2, toVersion: 3 }),
        ],
      })),
    });
    render(api, staffPermissions());
    fireEvent.click(
      await screen.findByRole('button', {
        name: 'Details of business · EUR · monthly',
      }),
    );
    const details = await screen.findByRole('dialog', {
      name: 'business · EUR · monthly',
    });
    const rows = await within(details).findAllByTestId('repricing-row');
    expect(api.getPrice).toHaveBeenCalledWith(business.id);
    expect(within(details).getByTestId('repricing-summary')).toHaveTextContent(
      '1 moved, 1 failed: the billing reconcile retries the failed ones until they are moved.',
    );
    const globex = rows.find(r => r.getAttribute('data-tenant') === 'globex')!;
    expect(globex).toHaveAttribute('data-outcome', 'failed');
    expect(within(globex).getByTestId('repricing-error')).toHaveTextContent(
      'Stripe: card_declined',
    );
    expect(within(globex).getByTestId('repricing-attempts')).toHaveTextContent(
      '4',
    );
    expect(globex).toHaveTextContent('2 → 3');
    expect(
      within(globex).getByRole('link', { name: 'globex' }),
    ).toHaveAttribute('href', '/catalog/default/tenant/globex');
    const history = within(details).getAllByTestId('history-row');
    expect(history.map(r => r.getAttribute('data-version'))).toEqual([
      '2',
      '1',
    ]);
    expect(text(history[0])).toContain('€10.90');

    fireEvent.click(within(details).getByRole('button', { name: 'Reload' }));
    await waitFor(() => expect(api.getPrice).toHaveBeenCalledTimes(2));
    fireEvent.click(within(details).getByRole('button', { name: 'Close' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
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
    const change = await screen.findByRole('button', { name: 'Change price' });
    await waitFor(() => expect(change).toBeEnabled());
    fireEvent.click(change);
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
