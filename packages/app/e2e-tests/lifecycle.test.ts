import { expect, Page, test } from '@playwright/test';
import { signIn } from './signIn';

/*
 * A tenant's lifecycle against the real backend: an operator suspends a
 * tenant from its Provisioning tab's Danger zone with a reason, sees it
 * suspended there (after a reload too) and in the Tenants table, then
 * resumes it. The tenant is werkbank-coop (sold directly, so no partner
 * staff's view changes), which no other e2e test uses; a failed run
 * resumes it afterwards, so the other tests see it active.
 */
const TENANT = 'werkbank-coop';
const TITLE = 'Werkbank eG';
const TAB = `/catalog/default/tenant/${TENANT}/provisioning`;
const OPERATOR = 'anna.schmidt@dezky.example';

const chip = (page: Page) => page.getByTestId('lifecycle-chip');
const dangerZone = (page: Page) =>
  page.getByRole('region', { name: 'Danger zone' });

/** Opens the tenant's Provisioning tab once the engine has provisioned it. */
async function openTab(page: Page) {
  await page.goto(TAB);
  // the seeded tenants are provisioned within a minute of the backend's start
  await expect(page.getByTestId('step-card')).toHaveCount(3);
  await expect(chip(page)).toBeVisible();
}

test.afterEach(async ({ page }) => {
  // whatever happened above: leave the tenant active for the other tests
  await openTab(page);
  if ((await chip(page).getAttribute('data-status')) !== 'active') {
    await dangerZone(page)
      .getByRole('button', { name: 'Resume', exact: true })
      .click();
    await page
      .getByRole('dialog')
      .getByRole('button', { name: 'Resume tenant' })
      .click();
  }
  await expect(chip(page)).toHaveAttribute('data-status', 'active');
});

test('an operator suspends a tenant with a reason, sees it suspended, and resumes it', async ({
  page,
}) => {
  const reason = `e2e: unpaid invoices ${Date.now()}`;
  await signIn(page, OPERATOR);
  await openTab(page);
  await expect(chip(page)).toHaveAttribute('data-status', 'active');
  await expect(chip(page)).toHaveText('active');

  // Suspend: the dialog asks for a reason before it lets the user confirm
  await dangerZone(page)
    .getByRole('button', { name: 'Suspend', exact: true })
    .click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText('Suspend');
  const confirm = dialog.getByRole('button', { name: 'Suspend tenant' });
  await expect(confirm).toBeDisabled();
  await dialog.getByLabel('Reason').fill(reason);
  await expect(confirm).toBeEnabled();
  await confirm.click();
  await expect(dialog).toBeHidden();

  // suspended in the portal, by whom and why
  await expect(chip(page)).toHaveAttribute('data-status', 'suspended');
  await expect(chip(page)).toHaveAttribute('data-source', 'portal');
  await expect(chip(page)).toHaveText('suspended · portal');
  const description = page.getByTestId('lifecycle-description');
  await expect(description).toContainText(
    `suspended in the portal by ${OPERATOR}`,
  );
  await expect(description).toContainText(reason);

  // the server keeps it: a reload shows it suspended, with Resume offered
  await openTab(page);
  await expect(chip(page)).toHaveText('suspended · portal');
  await expect(page.getByTestId('lifecycle-description')).toContainText(reason);
  await expect(
    dangerZone(page).getByRole('button', { name: 'Suspend', exact: true }),
  ).toHaveCount(0);

  // the Tenants table shows the same status
  await page.goto(`/tenants?q=${TENANT}`);
  const row = page.locator('tbody tr').filter({ hasText: TITLE });
  await expect(row.getByTestId('lifecycle-chip')).toHaveText(
    'suspended · portal',
  );

  // Resume, after confirming
  await openTab(page);
  await dangerZone(page)
    .getByRole('button', { name: 'Resume', exact: true })
    .click();
  const resume = page.getByRole('dialog');
  await resume.getByRole('button', { name: 'Resume tenant' }).click();
  await expect(resume).toBeHidden();
  await expect(chip(page)).toHaveAttribute('data-status', 'active');
  await expect(chip(page)).toHaveText('active');
  await expect(
    dangerZone(page).getByRole('button', { name: 'Suspend', exact: true }),
  ).toBeVisible();
});
