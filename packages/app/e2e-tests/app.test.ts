import { expect, test } from '@playwright/test';
import { e2eOnly } from './e2eCatalog';
import { seeded } from './seeded';
import { signIn } from './signIn';

test('the home page counts what the catalog holds', async ({ page }) => {
  const [tenants, partners, integrations] = await Promise.all([
    // the e2e backend also holds the e2e-only tenants (tenants.test.ts)
    Promise.all([seeded('Tenant'), e2eOnly('Tenant')]).then(l => l.flat()),
    seeded('Partner'),
    // the e2e backend also holds the e2e-only fixtures (health.test.ts)
    Promise.all([seeded('Integration'), e2eOnly('Integration')]).then(l =>
      l.flat(),
    ),
  ]);
  await signIn(page);
  // The catalog may still be ingesting right after start: reload until complete.
  await expect(async () => {
    await page.goto('/');
    await expect(page.getByTestId('tenant-count')).toHaveText(
      String(tenants.length),
      { timeout: 2000 },
    );
  }).toPass({ timeout: 60_000 });
  await expect(page.getByTestId('partner-count')).toHaveText(
    String(partners.length),
  );
  await expect(page.getByTestId('integration-count')).toHaveText(
    String(integrations.length),
  );
  const seats = tenants.reduce((s, t) => s + t.spec.seats, 0);
  await expect(page.getByTestId('seat-count')).toHaveText(String(seats));
  const planned = integrations.filter(
    i => i.spec.lifecycle === 'planned',
  ).length;
  await expect(
    page
      .getByTestId('integrations-by-lifecycle')
      .getByRole('row', { name: `planned ${planned}` }),
  ).toBeVisible();
  const terminated = partners.filter(
    p => p.spec.status === 'terminated',
  ).length;
  await expect(
    page
      .getByTestId('partners-by-status')
      .getByRole('row', { name: `terminated ${terminated}` }),
  ).toBeVisible();
  const nordlicht = tenants.filter(
    t => t.spec.partner === 'nordlicht-it',
  ).length;
  await expect(
    page
      .getByTestId('tenants-by-partner')
      .getByRole('row', { name: `Nordlicht IT GmbH ${nordlicht}` }),
  ).toBeVisible();
});

test("a tenant's entity page shows its plan, seats, domains, partner and integrations", async ({
  page,
}) => {
  const acme = (await seeded('Tenant')).find(t => t.metadata.name === 'acme');
  await signIn(page);
  await page.goto('/tenants');
  await page
    .getByRole('link', { name: acme.metadata.title, exact: true })
    .click();
  await expect(page).toHaveURL(/\/catalog\/default\/tenant\/acme/);
  const card = page.getByTestId('tenant-details');
  await expect(
    card.getByRole('row', { name: `Plan ${acme.spec.plan}` }),
  ).toBeVisible();
  await expect(
    card.getByRole('row', { name: `Seats ${acme.spec.seats}` }),
  ).toBeVisible();
  for (const d of acme.spec.domains) {
    await expect(card.getByText(d, { exact: false }).first()).toBeVisible();
  }
  await expect(
    card.getByRole('link', { name: 'Nordlicht IT GmbH', exact: true }),
  ).toBeVisible();
  await expect(
    card.getByRole('link', { name: 'Stalwart Mail', exact: true }),
  ).toBeVisible();
  // and the partner link leads to the partner's page with its cards
  await card
    .getByRole('link', { name: 'Nordlicht IT GmbH', exact: true })
    .click();
  await expect(
    page
      .getByTestId('partner-contract')
      .getByRole('row', { name: /Margin 20 %/ }),
  ).toBeVisible();
  await expect(
    page
      .getByTestId('partner-tenants')
      .getByRole('link', { name: acme.metadata.title, exact: true }),
  ).toBeVisible();
});

test('partner staff see only their tenants; after signing out, an operator sees all', async ({
  page,
}) => {
  // the seeded tenants and the e2e-only ones (paged through in tenants.test.ts)
  const tenants = [...(await seeded('Tenant')), ...(await e2eOnly('Tenant'))];
  const own = tenants.filter(t => t.spec.partner === 'alpenwerk-systems');
  expect(own.length).toBeGreaterThan(0);

  await signIn(page, 'mia.huber@alpenwerk.example');
  await expect(page.getByTestId('dezky-role')).toHaveText(
    /Partner staff of Alpenwerk Systems GmbH/,
  );
  await page.getByRole('link', { name: 'Tenants', exact: true }).click();
  await expect(
    page.getByText(`Tenants (${own.length} of ${own.length})`),
  ).toBeVisible();
  for (const t of tenants.filter(x => x.spec.partner !== 'alpenwerk-systems')) {
    await expect(
      page.getByRole('link', { name: t.metadata.title, exact: true }),
    ).toHaveCount(0);
  }
  // what staff may not use is not offered
  await expect(
    page.getByRole('link', { name: 'Catalog', exact: true }),
  ).toHaveCount(0);

  // sign out through the settings menu
  await page.goto('/settings');
  await page.getByRole('button', { name: 'more' }).click();
  await page.getByRole('menuitem', { name: 'Sign Out' }).click();
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();

  await signIn(page, 'jonas.weber@dezky.example');
  await expect(page.getByTestId('dezky-role')).toHaveText(/Operator/);
  await page.getByRole('link', { name: 'Tenants', exact: true }).click();
  await expect(
    page.getByText(`Tenants (${tenants.length} of ${tenants.length})`),
  ).toBeVisible();
  await expect(
    page.getByRole('link', { name: 'Catalog', exact: true }),
  ).toBeVisible();
});

test('someone the IdP knows but the catalog does not is refused and told why', async ({
  page,
}) => {
  await page.goto('/');
  const popupOpened = page.waitForEvent('popup');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const popup = await popupOpened;
  await popup.getByLabel('Email').fill('stranger@elsewhere.example');
  await popup.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(
    page.getByText(
      /Sign-in refused: stranger@elsewhere\.example is not a user of the Dezky portal/,
    ),
  ).toBeVisible();
  await expect(
    page.getByRole('link', { name: 'Tenants', exact: true }),
  ).toHaveCount(0);
});
