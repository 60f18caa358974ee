import { expect, test } from '@playwright/test';
import { seeded } from './seeded';
import { signIn } from './signIn';

/*
 * The Infrastructure page against the real backend: a card per deployed
 * integration of the seeded catalog (their targets do not exist on a
 * development machine, so they are bad and the banner is up), and the
 * planned ones listed apart, never probed.
 * Not yet here ([6/6] open): a probe target stopped by the test.
 */
test('the Infrastructure page shows the seeded integrations', async ({
  page,
}) => {
  const integrations = await seeded('Integration');
  const planned = integrations.filter(i => i.spec.lifecycle === 'planned');
  const deployed = integrations.filter(i => i.spec.lifecycle !== 'planned');
  await signIn(page);
  await page.getByRole('link', { name: 'Infrastructure', exact: true }).click();
  // the first probe round runs at start; reload until every card has a result
  await expect(async () => {
    await page.reload();
    await expect(page.getByTestId('health-card')).toHaveCount(deployed.length, {
      timeout: 2000,
    });
  }).toPass({ timeout: 60_000 });
  for (const i of deployed) {
    await expect(
      page.getByTestId('health-card').filter({ hasText: i.metadata.title }),
    ).toBeVisible();
  }
  await expect(page.getByTestId('health-planned-item')).toHaveCount(
    planned.length,
  );
  await expect(page.getByTestId('health-banner')).toBeVisible();
});
