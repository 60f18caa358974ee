import { expect, Page, test } from '@playwright/test';
import { signIn } from './signIn';

/*
 * A tenant's Provisioning tab against the real backend and scripts/dev-platform
 * (started by playwright.config.ts on its default ports; the backend points at
 * it). The test takes the Stalwart stand-in down through dev-platform's
 * control endpoint, reconciles, sees Stalwart in error with the message while
 * Authentik and OCIS stay ok, then brings it back and sees the step turn ok
 * again without another click (the engine retries it).
 */
const CONTROL = 'http://127.0.0.1:7023';
const STALWART = 'http://127.0.0.1:7021';

async function control(method: 'PUT' | 'DELETE', path: string, body?: object) {
  const res = await fetch(`${CONTROL}${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  expect(res.ok, `${method} ${path}: ${res.status}`).toBe(true);
}

const step = (page: Page, name: string) =>
  page.getByRole('region', { name: `${name} step` });

async function expectStatus(page: Page, name: string, status: string) {
  await expect(step(page, name).getByTestId('step-status')).toHaveAttribute(
    'data-status',
    status,
  );
}

test.afterEach(async () => {
  await control('DELETE', '/faults/stalwart');
});

test('an operator sees a tenant provisioned, Stalwart failing while it is down, and recovering', async ({
  page,
}) => {
  await signIn(page);
  await page.goto('/catalog/default/tenant/acme/provisioning');
  // the seeded tenants are provisioned within a minute of the backend's start
  await expect(page.getByTestId('step-card')).toHaveCount(3);
  for (const name of ['authentik', 'stalwart', 'ocis']) {
    await expectStatus(page, name, 'ok');
  }
  await expect(
    step(page, 'authentik').getByTestId('step-external'),
  ).toBeVisible();

  await control('PUT', '/faults/stalwart', { down: true });
  await page.getByRole('button', { name: 'Reconcile' }).click();
  await expectStatus(page, 'stalwart', 'error');
  // "stalwart: <the call>: cannot reach …" (the JMAP session is read once per
  // process, so the failing call is whichever comes first)
  await expect(step(page, 'stalwart').getByTestId('step-message')).toHaveText(
    new RegExp(`^stalwart: .+: cannot reach ${STALWART} \\(ECONNREFUSED\\)$`),
  );
  await expectStatus(page, 'authentik', 'ok');
  await expectStatus(page, 'ocis', 'ok');
  await expect(page.getByTestId('phase-chip')).toHaveText(/degraded/);

  // back up: the retry (1 s, then growing) turns it ok without a click
  await control('DELETE', '/faults/stalwart');
  await expectStatus(page, 'stalwart', 'ok');
  await expect(step(page, 'stalwart').getByTestId('step-message')).toHaveCount(
    0,
  );
  await expect(page.getByTestId('phase-chip')).toHaveText(/active/);
});
