import { expect, Page, test } from '@playwright/test';
import { signIn } from './signIn';

/*
 * Billing against the real backend and the local Stripe (scripts/dev-platform
 * :7024, which delivers its signed webhooks to the backend): an operator
 * turns the flag new_billing_engine on, syncs a tenant from its Billing tab
 * and sees its Stripe subscription; an hour later (the stand-in's clock) the
 * invoice Stripe finalized reaches the tab by webhook; then the operator
 * edits the tenant's price, sees the impact preview and confirms, and every
 * subscription it counted is moved. The flag is left on (no other e2e test
 * reads it); the price keeps its new version.
 */
const OPERATOR = 'anna.schmidt@dezky.example';
const TENANT = 'oberland-schule'; // sold directly, plan business, 30 seats
const TAB = `/catalog/default/tenant/${TENANT}/billing`;
const CONTROL = 'http://127.0.0.1:7023';
const PRICE = 'business · EUR · monthly';

async function turnOnBillingEngine(page: Page) {
  await page.goto('/flags');
  await page
    .locator('[data-testid="flag-row"][data-flag-key="new_billing_engine"]')
    .click();
  const panel = page.getByTestId('flag-panel');
  await expect(
    panel.getByRole('heading', { name: 'new_billing_engine' }),
  ).toBeVisible();
  const save = panel.getByRole('button', { name: 'Save', exact: true });
  await panel.getByRole('button', { name: 'on', exact: true }).click();
  if (await save.isEnabled()) await save.click();
  await expect(
    page
      .locator('[data-testid="flag-row"][data-flag-key="new_billing_engine"]')
      .getByTestId('flag-state'),
  ).toHaveText('on');
}

test('an operator syncs a tenant to Stripe, sees the invoice a signed webhook delivered, and re-prices with the impact preview', async ({
  page,
  request,
}) => {
  test.setTimeout(180_000);
  await signIn(page, OPERATOR);
  await turnOnBillingEngine(page);

  // the tenant is billed once it is provisioned (within a minute of the
  // backend's start); Sync now makes its Stripe customer and subscription
  await expect(async () => {
    await page.goto(TAB);
    await expect(page.getByTestId('billing-plan')).toHaveText('business', {
      timeout: 2_000,
    });
  }).toPass({ timeout: 90_000 });
  await page.getByRole('button', { name: 'Sync now' }).click();
  await expect(page.getByTestId('stripe-subscription')).toHaveText(/^sub_/);
  await expect(page.getByTestId('stripe-quantity')).toHaveText('30');
  await expect(page.getByTestId('condition-message')).toHaveText(
    'in sync with Stripe',
  );

  // an hour later Stripe finalizes the first invoice and sends
  // invoice.finalized, signed, to the backend
  const advanced = await request.post(`${CONTROL}/stripe/clock/advance`, {
    data: { seconds: 3601 },
  });
  expect(advanced.ok()).toBe(true);
  await request.post(`${CONTROL}/stripe/webhook/flush`);
  await expect(async () => {
    await page.goto(TAB);
    await expect(page.getByTestId('invoice-row').first()).toBeVisible({
      timeout: 2_000,
    });
  }).toPass({ timeout: 30_000 });
  const invoice = page.getByTestId('invoice-row').first();
  await expect(invoice.getByTestId('invoice-number')).not.toHaveText('Draft');
  await expect(invoice.getByTestId('invoice-total')).toHaveText(/357(\.|,)00/);
  await expect(invoice.getByRole('link', { name: /at Stripe/ })).toBeVisible();

  // re-pricing: the impact preview first, then the moves it announced
  await page.goto('/billing/prices');
  await page.getByRole('button', { name: `Edit ${PRICE}` }).click();
  const edit = page.getByRole('dialog');
  await edit.getByTestId('amount-input').fill('12.90');
  await edit.getByRole('button', { name: 'Review' }).click();
  const confirm = page
    .getByRole('dialog')
    .filter({ hasText: `Change the price of ${PRICE}?` });
  await expect(confirm.getByTestId('impact-subscriptions')).toBeVisible();
  const [, count] = /Moves (\d+) live subscription/.exec(
    (await confirm.getByTestId('impact-subscriptions').textContent()) ?? '',
  )!;
  expect(Number(count)).toBeGreaterThan(0);
  await expect(
    confirm.locator('[data-testid="impact-currency"][data-currency="EUR"]'),
  ).toBeVisible();
  await confirm.getByRole('button', { name: 'Change price' }).click();
  await expect(page.getByText(`Re-pricing: ${count} moved.`)).toBeVisible();

  // the tenant's subscription is on the new version, in Stripe too
  await page.goto(TAB);
  await expect(page.getByTestId('billing-per-seat')).toHaveText(/12(\.|,)90/);
});
