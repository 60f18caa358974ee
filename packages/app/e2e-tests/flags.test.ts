import { expect, Page, test } from '@playwright/test';
import { signIn } from './signIn';

/*
 * The Flags page and the tenant's Flags tab against the real backend
 * (scripts/test builds the app; the backend serves it with the development
 * IdP and seeds the flags of docs/flags.md on startup). The test leaves
 * gdpr_export_v2 as seeded: off, 0 %.
 */

const operator = 'anna.schmidt@dezky.example';
const key = 'gdpr_export_v2';
const tenantTab = '/catalog/default/tenant/acme/flags';

const flagRow = (page: Page) =>
  page.locator(`[data-testid="flag-row"][data-flag-key="${key}"]`);
const tenantRow = (page: Page) =>
  page.locator(`[data-testid="tenant-flag-row"][data-flag-key="${key}"]`);

/** Opens the flag's panel from the Flags page. */
async function openFlag(page: Page) {
  await page.goto('/flags');
  await flagRow(page).click();
  const panel = page.getByTestId('flag-panel');
  await expect(panel.getByRole('heading', { name: key })).toBeVisible();
  return panel;
}

test("an operator sets a flag to rollout 25 %, the preview shows ≈ N of M, saves; the tenant's Flags tab reflects it; the kill switch turns it off", async ({
  page,
}) => {
  await signIn(page, operator);
  await expect(
    page.getByRole('link', { name: 'Flags', exact: true }),
  ).toBeVisible();

  // rollout 25 %, with the live preview over the catalog's tenants
  let panel = await openFlag(page);
  await panel.getByRole('button', { name: 'rollout', exact: true }).click();
  await panel.getByLabel('Rollout %').fill('25');
  const preview = panel.getByTestId('rollout-preview');
  await expect(preview).toHaveText(/≈ \d+ of \d+ tenants/);
  const [, matching, total] = /≈ (\d+) of (\d+) tenants/
    .exec((await preview.textContent()) ?? '')!
    .map(Number);
  expect(matching).toBeLessThanOrEqual(total);

  const save = panel.getByRole('button', { name: 'Save', exact: true });
  await expect(save).toBeEnabled();
  await save.click();
  await expect(save).toBeDisabled();
  await expect(flagRow(page).getByTestId('flag-state')).toHaveText('rollout');
  await expect(flagRow(page).getByTestId('flag-pct')).toHaveText('25 %');
  await expect(panel.getByTestId('history-event').first()).toContainText(
    'state: off → rollout',
  );

  // the tenant's tab: acme's value and why, as the server evaluates it
  await page.goto(tenantTab);
  const row = tenantRow(page);
  await expect(row).toBeVisible();
  const reason = row.getByTestId('flag-reason');
  await expect(reason).toContainText('rollout');
  const value = (await row.getByTestId('flag-value').textContent())?.trim();
  expect(['on', 'off']).toContain(value);
  // the reason agrees with the value: bucket below 2500 is in
  await expect(reason).toContainText(
    value === 'on' ? /< 2500 → in/ : /≥ 2500 → out/,
  );
  // and with the preview: nobody in means off, everybody in means on
  if (matching === 0) expect(value).toBe('off');
  if (matching === total) expect(value).toBe('on');

  // the kill switch, after confirmation, turns it off for everyone
  panel = await openFlag(page);
  await expect(
    panel.getByRole('button', { name: 'rollout', exact: true }),
  ).toHaveAttribute('aria-pressed', 'true');
  await panel.getByRole('button', { name: 'Kill switch' }).click();
  const dialog = page.getByRole('dialog', { name: `Kill ${key}?` });
  await dialog.getByRole('button', { name: 'Kill', exact: true }).click();
  await expect(dialog).toBeHidden();
  await expect(
    panel.getByRole('button', { name: 'off', exact: true }),
  ).toHaveAttribute('aria-pressed', 'true');
  await expect(flagRow(page).getByTestId('flag-state')).toHaveText('off');
  await expect(panel.getByTestId('history-event').first()).toContainText(
    'flag.killed',
  );

  await page.goto(tenantTab);
  await expect(tenantRow(page).getByTestId('flag-value')).toHaveText('off');
  await expect(tenantRow(page).getByTestId('flag-reason')).toHaveText('off');
});
