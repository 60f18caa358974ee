import {
  DevPlatform,
  devPlatformProvisioningConfig,
} from '@internal/dev-platform';
import fs from 'fs';
import path from 'path';
import { seededCatalog } from './catalogFiles';
import { signInAll } from './oidcSignIn';
import {
  PortalDatabase,
  PortalDatabaseConfig,
  portalDatabaseConfig,
  PortalServers,
  startPortal,
  waitForCatalog,
} from './servers';

const { users, partners, tenants } = seededCatalog();

/**
 * The databases of a portal whose provisioning outlives a restart: on
 * SQLite a file in `dir`, on PostgreSQL the backend's own databases (kept
 * until `dropPortalDatabases`).
 */
export function restartableDatabase(
  engine: PortalDatabase,
  dir: string,
): PortalDatabaseConfig {
  return engine === 'sqlite'
    ? {
        ...portalDatabaseConfig('sqlite'),
        plugin: {
          provisioning: {
            connection: { directory: dir, filename: 'provisioning.sqlite' },
          },
        },
      }
    : portalDatabaseConfig('postgres');
}

/**
 * Writes a config file reading the catalog copied to `dir/catalog` and
 * provisioning against the platform (plus `extra`, merged at the top).
 */
export function writeProvisioningConfig(
  dir: string,
  platform: DevPlatform,
  extra: { provisioning?: object; [key: string]: unknown } = {},
): string {
  const file = path.join(dir, 'app-config.provisioning.yaml');
  const { provisioning, ...rest } = extra;
  fs.writeFileSync(
    file,
    JSON.stringify({
      ...rest,
      catalog: {
        locations: [
          { type: 'file', target: path.join(dir, 'catalog/**/*.yaml') },
        ],
      },
      provisioning: {
        ...devPlatformProvisioningConfig(platform.urls),
        ...provisioning,
      },
    }),
  );
  return file;
}

/**
 * Starts the portal on that config and database, waits for the seeded
 * catalog, and signs these people in: their `Bearer …` headers by email.
 */
export async function startProvisioningPortal(
  configFile: string,
  database: PortalDatabaseConfig,
  emails: string[],
): Promise<{ portal: PortalServers; auth: Map<string, string> }> {
  const portal = await startPortal(
    {},
    { configFiles: [configFile], database, keepDatabases: true },
  );
  await waitForCatalog(
    portal.backendUrl,
    ['user', 'tenant', 'partner'],
    users.length + tenants.length + partners.length,
  );
  const tokens = await signInAll(portal, emails);
  return {
    portal,
    auth: new Map([...tokens].map(([e, t]) => [e, `Bearer ${t}`])),
  };
}
