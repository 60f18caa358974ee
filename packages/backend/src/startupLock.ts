/*
 * One backend instance starts at a time on a PostgreSQL cluster.
 *
 * Every plugin (Backstage's catalog, auth, scheduler and key stores as well as
 * the Dezky stores) creates its knex migration tables and runs its migrations
 * while the backend starts. knex does not wait for another process doing the
 * same: two instances started at the same moment on an empty database fail
 * with `MigrationLocked`, `relation "…knex_migrations" already exists` or a
 * duplicate `pg_type` key. This root service takes a PostgreSQL advisory lock
 * before any plugin starts and releases it once the backend has started (its
 * connection closes, and with it the lock, if the process dies first), so the
 * second instance starts on migrated databases. On SQLite it does nothing.
 *
 * It must be initialised before the other root services that touch the
 * database (the audit chain migrates its store as a root service):
 * Backstage initialises root services in the order they are added, and
 * features given to backend.add() come before those of feature loaders such
 * as the audit plugin's.
 */
import {
  coreServices,
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';

/** The few calls of the `pg` driver used here (it ships no types). */
interface PgClient {
  connect(): Promise<void>;
  query(sql: string, values?: unknown[]): Promise<{ rows: any[] }>;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): void;
}
type PgClientConstructor = new (config: object) => PgClient;

/** The lock's name; hashed to the advisory lock key in PostgreSQL. */
export function startupLockName(config: Config): string {
  const prefix =
    config.getOptionalString('backend.database.prefix') ?? 'backstage_plugin_';
  return `dezky-portal:backend-start:${prefix}`;
}

/**
 * Where the lock is taken: the `postgres` maintenance database of the
 * configured server, which Backstage's own database creation connects to as
 * well (advisory locks are per database, so every instance must use the same).
 * Undefined when the backend is not on PostgreSQL.
 */
export function startupLockConnection(config: Config): object | undefined {
  if (config.getOptionalString('backend.database.client') !== 'pg') {
    return undefined;
  }
  const connection = config.get('backend.database.connection');
  if (typeof connection === 'string') {
    const url = new URL(connection);
    url.pathname = '/postgres';
    return { connectionString: url.toString() };
  }
  const {
    type: _type,
    instance: _instance,
    ...rest
  } = connection as Record<string, unknown>;
  return { ...rest, database: 'postgres' };
}

const startupLockServiceRef = createServiceRef<void>({
  id: 'dezky.backend.startupLock',
  scope: 'root',
});

/** Add to the backend before the plugins; see the file's comment. */
export const startupLockServiceFactory = createServiceFactory({
  service: startupLockServiceRef,
  deps: {
    config: coreServices.rootConfig,
    logger: coreServices.rootLogger,
    lifecycle: coreServices.rootLifecycle,
  },
  async factory({ config, logger, lifecycle }) {
    const connection = startupLockConnection(config);
    if (!connection) return;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Client } = require('pg') as { Client: PgClientConstructor };
    const client = new Client(connection);
    // a connection lost later is logged, not fatal: the lock is gone with it
    client.on('error', error =>
      logger.warn(`Start-up lock connection failed: ${error}`),
    );
    const name = startupLockName(config);
    try {
      await client.connect();
    } catch (error) {
      throw new Error(
        `could not connect to PostgreSQL (backend.database.connection) to take the start-up lock: ${error}`,
      );
    }
    const lockArgs = ['dezky-portal', name];
    const { rows } = await client.query(
      'SELECT pg_try_advisory_lock(hashtext($1), hashtext($2)) AS locked',
      lockArgs,
    );
    if (!rows[0].locked) {
      const since = Date.now();
      logger.info(
        'Another instance is starting on this database (migrations); waiting for it to finish before starting',
      );
      await client.query(
        'SELECT pg_advisory_lock(hashtext($1), hashtext($2))',
        lockArgs,
      );
      logger.info(
        `The other instance has started; starting after ${Math.round(
          (Date.now() - since) / 1000,
        )} s`,
      );
    }
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      try {
        await client.query(
          'SELECT pg_advisory_unlock(hashtext($1), hashtext($2))',
          lockArgs,
        );
      } finally {
        await client.end().catch(() => {});
      }
    };
    lifecycle.addStartupHook(release);
    lifecycle.addShutdownHook(release);
  },
});
