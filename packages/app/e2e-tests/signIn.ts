import { expect, Page } from '@playwright/test';

/** Signs in through the development IdP's login form, in its popup. */
export async function signIn(
  page: Page,
  email = 'anna.schmidt@dezky.example',
): Promise<void> {
  await page.goto('/');
  const popupOpened = page.waitForEvent('popup');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const popup = await popupOpened;
  await popup.getByLabel('Email').fill(email);
  await popup.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(
    page.getByRole('link', { name: 'Tenants', exact: true }),
  ).toBeVisible();
}
