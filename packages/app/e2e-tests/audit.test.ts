import { expect, test } from '@playwright/test';
import { signIn } from './signIn';

/*
 * The Audit page against the real backend (scripts/test builds the app; the
 * backend serves it with the development IdP, see playwright.config.ts).
 * Every portal sign-in is recorded as `portal.user.signed-in` with the
 * user's email as the actor.
 */

const operator = 'anna.schmidt@dezky.example';

test("an operator's sign-in shows on the Audit page", async ({ page }) => {
  await signIn(page, operator);
  await page.getByRole('link', { name: 'Audit', exact: true }).click();
  await expect(page).toHaveURL(/\/audit/);

  // the "Sign-in" quick pick filters on portal.user.* and keeps it in the URL
  await page
    .getByTestId('audit-action-picks')
    .getByRole('button', { name: 'Sign-in', exact: true })
    .click();
  await expect(page).toHaveURL(/[?&]action=portal\.user\.\*/);

  // the event is committed before sign-in completes, but allow for a reload
  await expect(async () => {
    await page.reload();
    await expect(
      page
        .getByTestId('audit-event-row')
        .filter({ hasText: 'portal.user.signed-in' })
        .filter({ hasText: operator })
        .first(),
    ).toBeVisible({ timeout: 3000 });
  }).toPass({ timeout: 30_000 });
});

test('an operator verifies the chain from the Audit page', async ({ page }) => {
  await signIn(page, operator);
  await page.goto('/audit');
  await page.getByRole('button', { name: 'Verify', exact: true }).click();
  await expect(page.getByTestId('verify-result')).toContainText('verified');
  await expect(page.getByTestId('verify-result')).toContainText(
    /Chain verified: \d+ events, \d+ checkpoints?/,
  );
});

test("an operator proves an event's inclusion in the signed Merkle tree", async ({
  page,
}) => {
  await signIn(page, operator);
  await page.goto('/audit?action=portal.user.signed-in');
  const row = page.getByTestId('audit-event-row').first();
  await row.getByRole('button', { name: 'Show details' }).click();
  await page.getByRole('button', { name: 'Prove inclusion' }).click();
  await expect(page.getByTestId('inclusion-result')).toContainText(
    /Included in the signed tree of size \d+.*verified/,
  );
});
