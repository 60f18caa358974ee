import http from 'http';
import { expect, test } from '@playwright/test';
import { e2eOnly } from './e2eCatalog';
import { seeded } from './seeded';
import { signIn } from './signIn';

/*
 * The Infrastructure page against the real backend.
 * - A card per deployed integration: the seeded catalog's (most of their
 *   targets do not exist on a development machine, so those are bad and the
 *   banner is up) plus the e2e-only one of fixtures/health-e2e.yaml (loaded
 *   by playwright.config.ts); the planned ones listed apart, never probed.
 * - A probe target stopped by the test: the fixture's integration probes
 *   http://127.0.0.1:7013/healthz, which the test serves itself. Served, its
 *   card turns ok on Refresh (an operator's Refresh runs POST /api/health/probe)
 *   and the banner does not name it; stopped, its card turns bad and the
 *   banner names it.
 */

test('the Infrastructure page shows the seeded integrations', async ({
  page,
}) => {
  const integrations = [
    ...(await seeded('Integration')),
    ...(await e2eOnly('Integration')),
  ];
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

/** Stops the server and drops its kept-alive connections (the probe's too). */
function stop(server: http.Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise(resolve => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

test('a probe target stopped by the test turns its card bad and raises the banner', async ({
  page,
}) => {
  const [integration] = await e2eOnly('Integration');
  expect(integration?.spec.probe.type).toBe('http');
  const target = new URL(integration.spec.probe.target);
  const title: string = integration.metadata.title;
  const ref = `integration:default/${integration.metadata.name}`;

  const server = http.createServer((req, res) => {
    const found = req.url === target.pathname;
    res.writeHead(found ? 200 : 404, { 'content-type': 'text/plain' });
    res.end(found ? 'ok\n' : 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(target.port), target.hostname, () => resolve());
  });
  try {
    await signIn(page);
    await page
      .getByRole('link', { name: 'Infrastructure', exact: true })
      .click();
    const card = page.locator(
      `[data-testid="health-card"][data-integration="${ref}"]`,
    );
    const status = card.getByTestId('health-status');
    const banner = page.getByTestId('health-banner');
    const refresh = page.getByRole('button', { name: 'Refresh' });
    // an operator's Refresh runs a probe round (POST /api/health/probe)
    await expect(refresh).toHaveAttribute(
      'title',
      'Probe every integration now',
    );

    // served: ok, and the banner (up for the seeded targets) does not name it
    await expect(async () => {
      await refresh.click();
      await expect(status).toHaveAttribute('data-status', 'ok', {
        timeout: 5000,
      });
    }).toPass({ timeout: 60_000 });
    await expect(card).toContainText(title);
    await expect(banner).toBeVisible();
    await expect(banner).not.toContainText(title);

    // stopped: bad, and the banner names it
    await stop(server);
    await expect(async () => {
      await refresh.click();
      await expect(status).toHaveAttribute('data-status', 'bad', {
        timeout: 5000,
      });
    }).toPass({ timeout: 60_000 });
    await expect(card.getByTestId('health-error')).toBeVisible();
    await expect(banner).toContainText(title);
  } finally {
    await stop(server);
  }
});
