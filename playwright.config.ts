import { defineConfig } from '@playwright/test';

/*
 * End-to-end tests in Chromium (the Debian package; Playwright's own browser
 * downloads are not used). scripts/test builds the app first; the backend then
 * serves it on :7007 with the seeded catalog on SQLite.
 */
const port = Number(process.env.E2E_PORT ?? 7007);
const baseURL = `http://localhost:${port}`;

/*
 * The e2e backend's catalog: the seeded catalog/ (as in app-config.yaml) plus
 * the e2e-only fixtures of packages/app/e2e-tests/fixtures (an Integration
 * whose probe target health.test.ts serves, then stops). Still one glob, so
 * every file is read in the same round and the fixtures' owner reference
 * resolves on the first pass. APP_CONFIG_ values are parsed as JSON and
 * replace the whole list; the path is relative to packages/backend.
 */
const catalogLocations = [
  {
    type: 'file',
    target: '../../{catalog,packages/app/e2e-tests/fixtures}/**/*.yaml',
  },
];

/*
 * scripts/dev-platform on its default ports, and the portal pointed at it
 * with the stand-ins' development credentials (as scripts/start does).
 */
const DEV_PLATFORM_CONTROL = 'http://127.0.0.1:7023';
const DEV_PLATFORM_ENV = {
  PROVISIONING_AUTHENTIK_URL: 'http://127.0.0.1:7020',
  PROVISIONING_AUTHENTIK_TOKEN: 'dev-authentik-api-token',
  PROVISIONING_STALWART_URL: 'http://127.0.0.1:7021',
  PROVISIONING_STALWART_USERNAME: 'admin',
  PROVISIONING_STALWART_PASSWORD: 'dev-stalwart-admin',
  PROVISIONING_OCIS_URL: 'http://127.0.0.1:7022',
  PROVISIONING_OCIS_TOKEN_URL: 'http://127.0.0.1:7020/application/o/token/',
  PROVISIONING_OCIS_CLIENT_ID: 'dezky-portal-ocis',
  PROVISIONING_OCIS_REFRESH_TOKEN: 'dev-ocis-bootstrap-refresh-token',
  // the domain checks ask the DNS stand-in (scripts/dev-platform :7025)
  PROVISIONING_DOMAINS_RESOLVERS: '127.0.0.1:7025',
  // the local Stripe (scripts/dev-platform :7024), as scripts/start sets it
  BILLING_STRIPE_ENABLED: 'true',
  BILLING_STRIPE_SECRET_KEY: 'sk_test_dev_platform',
  BILLING_STRIPE_WEBHOOK_SECRET: 'whsec_dev_platform',
  BILLING_STRIPE_API_URL: 'http://127.0.0.1:7024',
};

export default defineConfig({
  testDir: 'packages/app/e2e-tests',
  timeout: 90_000,
  expect: { timeout: 30_000 },
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 1,
  reporter: [['list'], ['json', { outputFile: 'test-results/e2e.json' }]],
  outputDir: 'test-results/e2e',
  webServer: [
    {
      // the development identity provider the portal signs in through
      command: 'node scripts/dev-idp/index.mjs',
      url: 'http://127.0.0.1:7010/.well-known/openid-configuration',
      reuseExistingServer: !process.env.CI,
      timeout: 30_000,
      stdout: 'ignore',
      stderr: 'pipe',
      env: { DEV_IDP_REDIRECT_URIS: `${baseURL}/api/auth/oidc/handler/frame` },
    },
    {
      // the development stand-ins of Authentik, Stalwart and OCIS the seeded
      // tenants are provisioned into (provisioning.test.ts injects faults
      // through its control endpoint), and the local Stripe, delivering its
      // signed webhooks to the backend (retried until it is up)
      command: `scripts/dev-platform --stripe-webhook-url ${baseURL}/api/billing/stripe/webhook`,
      url: `${DEV_PLATFORM_CONTROL}/faults`,
      reuseExistingServer: !process.env.CI,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      command: 'yarn workspace backend start',
      url: `${baseURL}/.backstage/health/v1/readiness`,
      reuseExistingServer: !process.env.CI,
      timeout: 180_000,
      stdout: 'ignore',
      stderr: 'pipe',
      env: {
        APP_CONFIG_app_baseUrl: baseURL,
        APP_CONFIG_backend_baseUrl: baseURL,
        APP_CONFIG_backend_listen_port: String(port),
        APP_CONFIG_backend_cors_origin: baseURL,
        APP_CONFIG_catalog_locations: JSON.stringify(catalogLocations),
        // as scripts/start: 12 past month ends and their (closed) payouts
        BILLING_DEMO_HISTORY_MONTHS: '12',
        ...DEV_PLATFORM_ENV,
      },
    },
  ],
  use: {
    baseURL,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
});
