import { DEV_PLATFORM_CREDENTIALS, DevPlatform } from './types';

/**
 * The portal's `provisioning` config block pointing at a running
 * dev-platform with its development credentials (what scripts/start exports
 * as PROVISIONING_* variables), for tests and benches. `limits` (e.g.
 * `timeoutMs`, `concurrency`, `requestsPerSecond`) go to every system.
 */
export function devPlatformProvisioningConfig(
  urls: DevPlatform['urls'],
  limits: Record<string, number> = {},
) {
  const c = DEV_PLATFORM_CREDENTIALS;
  return {
    authentik: {
      baseUrl: urls.authentik,
      apiToken: c.authentik.apiToken,
      ...limits,
    },
    stalwart: {
      baseUrl: urls.stalwart,
      username: c.stalwart.username,
      password: c.stalwart.password,
      ...limits,
    },
    ocis: {
      baseUrl: urls.ocis,
      auth: {
        tokenUrl: `${urls.authentik}${c.ocis.tokenPath}`,
        clientId: c.ocis.clientId,
        refreshToken: c.ocis.bootstrapRefreshToken,
      },
      ...limits,
    },
  };
}
