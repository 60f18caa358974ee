import { expect, test } from '@playwright/test';
import { signIn } from './signIn';

/*
 * A tenant's Members and Domains tabs against the real backend and
 * scripts/dev-platform (started by playwright.config.ts; the backend's domain
 * checks ask its DNS stand-in, PROVISIONING_DOMAINS_RESOLVERS=127.0.0.1:7025).
 * An operator adds a member and sees the one-time password once; then a
 * domain's ownership record shows "missing" with the line to publish, the
 * test publishes exactly that line to the DNS stand-in, rechecks, and the
 * record turns "ok".
 */
const CONTROL = 'http://127.0.0.1:7023';
const TENANT = 'hafenkontor'; // active, one domain (catalog/tenants)
const DOMAIN = 'hafenkontor.example';

async function control(method: 'PUT' | 'DELETE', path: string, body?: object) {
  const res = await fetch(`${CONTROL}${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  expect(res.ok, `${method} ${path}: ${res.status}`).toBe(true);
}

test.afterAll(async () => {
  // the DNS stand-in holds nothing again for the tests after these
  await control('DELETE', '/dns/records');
});

test('an operator adds a member to a tenant and sees the one-time password once', async ({
  page,
}) => {
  const name = `Erika Muster ${Date.now()}`;
  const email = `erika.${Date.now()}@${DOMAIN}`;
  await signIn(page);
  await page.goto(`/catalog/default/tenant/${TENANT}/members`);
  // the tenant is provisioned within a minute of the backend's start
  await expect(page.getByRole('button', { name: 'Add member' })).toBeEnabled({
    timeout: 90_000,
  });
  await page.getByRole('button', { name: 'Add member' }).click();
  const add = page.getByRole('dialog', { name: 'Add member' });
  await add.getByLabel('Name').fill(name);
  await add.getByLabel('Email').fill(email);
  await add.getByLabel('Role').click();
  await page.getByRole('option', { name: 'member', exact: true }).click();
  await add.getByRole('button', { name: 'Add', exact: true }).click();

  const added = page.getByTestId('password-dialog');
  await expect(
    added.getByRole('dialog', { name: `${name} added` }),
  ).toBeVisible();
  const shown = added.getByTestId('one-time-password');
  await expect(shown).toHaveText(/^\S{16}$/);
  const password = (await shown.textContent())!.trim();
  expect(password).toHaveLength(16);
  await added.getByRole('button', { name: 'Done' }).click();
  await expect(added).toBeHidden();
  await expect(page.getByText(password)).toHaveCount(0);
  expect(await page.content()).not.toContain(password);

  const row = page.locator(
    `[data-testid="member-row"][data-member="${email}"]`,
  );
  await expect(row).toBeVisible();
  await expect(row).toContainText(name);
});

test("a domain's missing record turns ok once the line shown is published", async ({
  page,
}) => {
  await signIn(page);
  await page.goto(`/catalog/default/tenant/${TENANT}/domains`);
  const card = page.getByRole('region', { name: `Domain ${DOMAIN}` });
  await expect(card).toHaveAttribute('data-testid', 'domain-card');
  const ownership = card.locator(
    '[data-testid="domain-record"][data-kind="ownership"]',
  );
  const recheck = card.getByRole('button', { name: `Recheck ${DOMAIN}` });

  // pending until the Stalwart step has stored the domain's DKIM keys; the
  // stand-in holds nothing, so then "missing"
  await expect(async () => {
    await recheck.click();
    await expect(ownership).toHaveAttribute('data-status', 'missing', {
      timeout: 5_000,
    });
  }).toPass({ timeout: 90_000 });
  await expect(ownership.getByTestId('record-status')).toBeVisible();
  const publish = ownership.getByTestId('record-publish');
  await expect(publish).toHaveText(
    new RegExp(
      `^_dezky\\.${DOMAIN.replace(
        '.',
        '\\.',
      )}\\. IN TXT "dezky-verification=[^"]+"$`,
    ),
  );
  const line = (await publish.textContent())!.trim();

  await control('PUT', '/dns/records', { record: line });
  await expect(async () => {
    await recheck.click();
    await expect(ownership).toHaveAttribute('data-status', 'ok', {
      timeout: 5_000,
    });
  }).toPass({ timeout: 60_000 });
  const value = line.slice(line.indexOf('"') + 1, -1);
  await expect(ownership.getByTestId('record-found')).toHaveText(value);
  // the other records are still unpublished
  await expect(
    card.locator('[data-testid="domain-record"][data-kind="mx"]'),
  ).toHaveAttribute('data-status', 'missing');
});
