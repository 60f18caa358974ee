import { expect, Page, test } from '@playwright/test';
import { signIn } from './signIn';

/*
 * Reports and payouts against the real backend, which (as scripts/start
 * does) writes a demo MRR history of 12 month ends once billing knows the
 * priced seeded tenants, with those months' payouts closed
 * (docs/reports.md#demo-history): an operator opens Reports and sees the
 * MRR chart and its table; a partner's staff member sees their partner's
 * numbers only — the same as the operator's filtered to that partner — and
 * no leaderboard; an operator marks a closed payout paid.
 */
const OPERATOR = 'anna.schmidt@dezky.example';
const STAFF = 'mia.huber@alpenwerk.example'; // staff of alpenwerk-systems
const PARTNER = 'alpenwerk-systems';

/** The table's rows as their cells' texts, by column key. */
async function rows(page: Page, keys: string[]): Promise<string[][]> {
  const out: string[][] = [];
  const all = page.getByTestId('report-row');
  for (let i = 0; i < (await all.count()); i++) {
    const row = all.nth(i);
    const cells: string[] = [];
    for (const key of keys) {
      cells.push((await row.getByTestId(`cell-${key}`).innerText()).trim());
    }
    out.push(cells);
  }
  return out;
}

/** Opens a report until the demo history's past months are in its table. */
async function openReport(page: Page, query: string) {
  await expect(async () => {
    await page.goto(`/billing/reports?${query}`);
    await expect(page.getByTestId('report-row').nth(6)).toBeVisible({
      timeout: 3_000,
    });
  }).toPass({ timeout: 120_000 });
}

const pastMonths = (table: string[][]) => {
  const current = new Date().toISOString().slice(0, 7);
  return table.filter(([period]) => period < current);
};

test('an operator sees the MRR chart and table; partner staff see only their partner’s numbers', async ({
  browser,
}) => {
  test.setTimeout(240_000);
  const operator = await browser.newPage();
  await signIn(operator, OPERATOR);
  await operator.getByRole('link', { name: 'Reports', exact: true }).click();
  await expect(
    operator.getByRole('tab', { name: 'MRR over time', selected: true }),
  ).toBeVisible();
  await openReport(operator, 'report=mrr');
  await expect(
    operator.getByRole('figure', { name: 'MRR over time in EUR' }),
  ).toBeVisible();
  await expect(
    operator.getByRole('columnheader', { name: 'MRR', exact: true }),
  ).toBeVisible();
  // every amount names its currency
  const everyone = await rows(operator, ['period', 'currency', 'mrr']);
  expect(everyone.length).toBeGreaterThanOrEqual(7);
  for (const [, currency, mrr] of everyone) {
    expect(currency).toBe('EUR');
    expect(mrr).toMatch(/€|EUR/);
  }
  await expect(
    operator.getByRole('tab', { name: 'Partner leaderboard' }),
  ).toBeVisible();

  // the operator's view of one partner …
  await openReport(operator, `report=mrr&partner=${PARTNER}`);
  const theirs = pastMonths(
    await rows(operator, ['period', 'currency', 'mrr', 'tenants']),
  );
  expect(theirs.length).toBeGreaterThan(0);
  const partnerTotal = theirs.map(r => r[2]).join('|');
  expect(partnerTotal).not.toBe(
    pastMonths(everyone)
      .map(r => r[2])
      .join('|'),
  );

  // … is what the partner's staff see, with no filter
  const staff = await browser.newPage();
  await signIn(staff, STAFF);
  await openReport(staff, 'report=mrr');
  expect(
    pastMonths(await rows(staff, ['period', 'currency', 'mrr', 'tenants'])),
  ).toEqual(theirs);
  await expect(
    staff.getByRole('tab', { name: 'Partner leaderboard' }),
  ).toHaveCount(0);
  await staff.getByRole('tab', { name: 'Top tenants' }).click();
  await expect(staff.getByTestId('report-row').first()).toBeVisible();
  const partners = await rows(staff, ['partner']);
  expect(new Set(partners.map(([p]) => p))).toEqual(new Set([PARTNER]));
  await operator.close();
  await staff.close();
});

test('an operator marks a closed payout paid', async ({ page }) => {
  test.setTimeout(180_000);
  await signIn(page, OPERATOR);
  const ledger = page.getByRole('region', { name: 'Partner payouts' });
  const closed = ledger.locator(
    `[data-testid="payout-row"][data-state="closed"][data-partner="${PARTNER}"]`,
  );
  await expect(async () => {
    await page.goto('/billing');
    await expect(closed.first()).toBeVisible({ timeout: 3_000 });
  }).toPass({ timeout: 120_000 });
  const row = closed.first();
  const id = await row.getAttribute('data-payout');
  await row.getByRole('button', { name: 'Mark paid' }).click();
  const form = page.getByRole('dialog', { name: 'Mark payout paid' });
  await form.getByLabel('Reference').fill('SEPA-E2E-0001');
  await form.getByLabel('Paid on').fill('2026-12-01');
  await form.getByRole('button', { name: 'Continue' }).click();
  const confirm = page.getByRole('dialog', { name: 'Mark this payout paid?' });
  await confirm.getByRole('button', { name: 'Mark paid' }).click();
  await expect(confirm).toHaveCount(0);
  const paid = ledger.locator(
    `[data-testid="payout-row"][data-payout="${id}"]`,
  );
  await expect(paid).toHaveAttribute('data-state', 'paid');
  await expect(paid).toContainText('SEPA-E2E-0001');
  await expect(paid.getByRole('button', { name: 'Mark paid' })).toBeDisabled();

  // the partner's Payouts tab shows it paid too
  await page.goto(`/catalog/default/partner/${PARTNER}/payouts`);
  await expect(
    page.locator(`[data-testid="payout-row"][data-payout="${id}"]`),
  ).toHaveAttribute('data-state', 'paid');
});
