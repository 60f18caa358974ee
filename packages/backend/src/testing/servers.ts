/*
 * Test and benchmark helper: starts the real development IdP and the real
 * backend (packages/backend/src/index.ts, the production code path) as child
 * processes on free loopback ports, with the repository's app-config.yaml —
 * on SQLite in memory (the development default) or on the PostgreSQL whose
 * connection string scripts/test exports, in databases of its own.
 */
import { ChildProcess, spawn } from 'child_process';
import { randomBytes } from 'crypto';
import net from 'net';
import path from 'path';
import knexFactory from 'knex';

const repoRoot = path.resolve(__dirname, '../../../..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Whether a child has ended: `exitCode` stays null for one killed by a
 * signal (`signalCode` is set instead) — a backend SIGKILLed by `stop()`.
 */
const ended = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null;

function collect(child: ChildProcess) {
  const log: string[] = [];
  child.stdout?.on('data', d => log.push(String(d)));
  child.stderr?.on('data', d => log.push(String(d)));
  return log;
}

async function waitFor(
  url: string,
  child: ChildProcess,
  log: string[],
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (ended(child)) {
      throw new Error(
        `process exited (${
          child.exitCode ?? child.signalCode
        }) before ${url} answered:\n${log.join('')}`,
      );
    }
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise(r => setTimeout(r, 250));
  }
  throw new Error(
    `${url} did not answer within ${timeoutMs} ms:\n${log
      .join('')
      .slice(-3000)}`,
  );
}

export interface PortalServers {
  backendUrl: string;
  appOrigin: string;
  idpUrl: string;
  stop(): Promise<void>;
  backendLog: string[];
}

/** The database engines the real backend can be started on. */
export type PortalDatabase = 'sqlite' | 'postgres';

/** How test names spell each engine: `describe.each` over `{ name }`. */
export const PORTAL_DATABASE_NAMES: Record<PortalDatabase, string> = {
  sqlite: 'SQLite',
  postgres: 'PostgreSQL',
};

const POSTGRES_ENV = 'BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING';

/**
 * The engines an end-to-end test runs the backend on, as
 * `{ database, name }` for `describe.each(...)('… on $name', …)`: SQLite,
 * and PostgreSQL when BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING
 * is set. Under DEZKY_REQUIRE_POSTGRES (scripts/test, CI) a missing
 * PostgreSQL throws — the test file fails — instead of testing SQLite only,
 * as dezkyTestDatabases() does for store tests.
 */
export function portalDatabases(): {
  database: PortalDatabase;
  name: string;
}[] {
  const databases: PortalDatabase[] = ['sqlite'];
  if (process.env[POSTGRES_ENV]) databases.push('postgres');
  else if (process.env.DEZKY_REQUIRE_POSTGRES) {
    throw new Error(
      `DEZKY_REQUIRE_POSTGRES is set but ${POSTGRES_ENV} is not: run the tests through scripts/test, or start PostgreSQL first (. scripts/lib/postgres.sh; pg_start)`,
    );
  }
  return databases.map(database => ({
    database,
    name: PORTAL_DATABASE_NAMES[database],
  }));
}

/** A `backend.database` config (the keys startPortal sets, and per-plugin overrides). */
export type PortalDatabaseConfig = {
  client: string;
  connection: string;
  prefix?: string;
  plugin?: Record<string, { connection: Record<string, string> }>;
};

/**
 * The `backend.database` config of one backend start. On PostgreSQL every
 * call gets a prefix of its own (`dezky_t<random>_`): Backstage creates one
 * database per plugin, `<prefix><pluginId>`, so two starts — in one test file
 * or in parallel jest workers — never share a table. Pass the result as
 * `startPortal(env, { database })`; a test may also open a plugin's database
 * with it before the start (`DatabaseManager.fromConfig`) to seed it.
 */
export function portalDatabaseConfig(
  database: PortalDatabase,
): PortalDatabaseConfig {
  if (database === 'sqlite') {
    return { client: 'better-sqlite3', connection: ':memory:' };
  }
  const connection = process.env[POSTGRES_ENV];
  if (!connection) {
    throw new Error(
      `startPortal on PostgreSQL needs ${POSTGRES_ENV} (e.g. postgresql://postgres@127.0.0.1:5433/postgres): run the tests through scripts/test, or start one with . scripts/lib/postgres.sh; pg_start`,
    );
  }
  return {
    client: 'pg',
    connection,
    prefix: `dezky_t${randomBytes(5).toString('hex')}_`,
  };
}

/** Drops what a PostgreSQL config's backends created (after `keepDatabases` stops). */
export async function dropPortalDatabases(
  database: PortalDatabaseConfig,
): Promise<void> {
  if (database.client === 'pg' && database.prefix) {
    await dropDatabases(database.connection, database.prefix);
  }
}

/** Drops the databases Backstage created under `prefix` (after the backend stopped). */
async function dropDatabases(connection: string, prefix: string) {
  const admin = knexFactory({ client: 'pg', connection });
  try {
    const names: { datname: string }[] = await admin('pg_database')
      .select('datname')
      .whereRaw('starts_with(datname, ?)', [prefix]);
    for (const { datname } of names) {
      await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [datname]);
    }
  } finally {
    await admin.destroy();
  }
}

export interface StartPortalOptions {
  /**
   * Extra config files (absolute paths) for the backend, after the
   * repository's app-config.yaml. Backstage stops loading the default
   * app-config.yaml (and app-config.local.yaml) as soon as any `--config` is
   * given, so app-config.yaml is passed first explicitly; the files given here
   * override it (arrays such as catalog.locations are replaced, not merged).
   * Absent or empty: the backend starts without `--config`, as before.
   */
  configFiles?: string[];
  /**
   * The database the backend runs on: `'sqlite'` (in memory, the default, as
   * app-config.yaml says), `'postgres'` (the server in
   * BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING, with databases of
   * its own for this start, dropped by `stop()`), or a config from
   * `portalDatabaseConfig()` the test already used to seed a plugin's
   * database. Given as the `backend.database` environment override, so it
   * wins over app-config.yaml and `configFiles` for the keys it sets.
   */
  database?: PortalDatabase | PortalDatabaseConfig;
  /**
   * Leave the PostgreSQL databases in place on `stop()`, for a restart on
   * the same `database` config (the test drops them with the last stop).
   */
  keepDatabases?: boolean;
}

/**
 * Starts the dev IdP and the backend; `extraEnv` adds APP_CONFIG_* overrides,
 * `options.configFiles` extra config files, `options.database` the engine.
 */
export async function startPortal(
  extraEnv: Record<string, string> = {},
  options: StartPortalOptions = {},
): Promise<PortalServers> {
  const [idpPort, backendPort] = [await freePort(), await freePort()];
  const backendUrl = `http://localhost:${backendPort}`;
  const appOrigin = 'http://localhost:3000';
  const idpUrl = `http://127.0.0.1:${idpPort}`;
  const node = process.execPath;
  const database =
    typeof options.database === 'string'
      ? portalDatabaseConfig(options.database)
      : options.database;

  const idp = spawn(node, [path.join(repoRoot, 'scripts/dev-idp/index.mjs')], {
    env: {
      ...process.env,
      DEV_IDP_PORT: String(idpPort),
      DEV_IDP_REDIRECT_URIS: `${backendUrl}/api/auth/oidc/handler/frame`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const idpLog = collect(idp);
  await waitFor(
    `${idpUrl}/.well-known/openid-configuration`,
    idp,
    idpLog,
    30_000,
  );

  const backend = spawn(
    node,
    [
      '--require',
      require.resolve('@backstage/cli/config/nodeTransform.cjs'),
      'src/index.ts',
      ...(options.configFiles?.length
        ? [path.join(repoRoot, 'app-config.yaml'), ...options.configFiles]
        : []
      ).flatMap(file => ['--config', file]),
    ],
    {
      cwd: path.join(repoRoot, 'packages/backend'),
      env: {
        ...process.env,
        NODE_ENV: 'development',
        AUTH_OIDC_METADATA_URL: `${idpUrl}/.well-known/openid-configuration`,
        APP_CONFIG_backend_baseUrl: backendUrl,
        APP_CONFIG_backend_listen_port: String(backendPort),
        APP_CONFIG_app_baseUrl: appOrigin,
        ...(database
          ? { APP_CONFIG_backend_database: JSON.stringify(database) }
          : {}),
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const backendLog = collect(backend);
  // how it ended, for a test that finds it gone
  backend.once('exit', (code, signal) =>
    backendLog.push(`[backend exited: code ${code}, signal ${signal}]\n`),
  );
  const dropOwnDatabases = async () => {
    if (database?.client === 'pg' && database.prefix) {
      await dropDatabases(database.connection, database.prefix);
    }
  };
  try {
    await waitFor(
      `${backendUrl}/.backstage/health/v1/readiness`,
      backend,
      backendLog,
      120_000,
    );
  } catch (e) {
    idp.kill();
    backend.kill();
    await dropOwnDatabases().catch(() => {});
    throw e;
  }

  const stopChild = (child: ChildProcess) =>
    new Promise<void>(resolve => {
      // a second stop (a restart that failed, then afterAll) took a
      // SIGKILLed child for running and waited for ever for its exit
      if (ended(child)) {
        resolve();
        return;
      }
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    });
  return {
    backendUrl,
    appOrigin,
    idpUrl,
    backendLog,
    stop: async () => {
      await Promise.all([stopChild(backend), stopChild(idp)]);
      if (!options.keepDatabases) await dropOwnDatabases();
    },
  };
}

/**
 * Waits until the catalog has ingested `expected` entities of the given kinds
 * (sign-in needs the users), asking with the development external-access
 * token (a service principal).
 */
export async function waitForCatalog(
  backendUrl: string,
  kinds: string[],
  expected: number,
  timeoutMs = 60_000,
): Promise<void> {
  const filters = kinds.map(k => `filter=kind=${k}`).join('&');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(
      `${backendUrl}/api/catalog/entities?${filters}&fields=kind`,
      { headers: { authorization: 'Bearer dezky-development-external-token' } },
    );
    const body = res.ok ? await res.json() : await res.text();
    if (res.ok && body.length === expected) return;
    if (Date.now() > deadline) {
      throw new Error(
        `catalog not ingested: ${JSON.stringify(body).slice(0, 300)}`,
      );
    }
    await new Promise(r => setTimeout(r, 500));
  }
}
