/*
 * Proof that a production start fails loudly, and that instances started
 * together on an empty PostgreSQL both come up (docs/operations.md,
 * "Running on PostgreSQL"). Run through scripts/production-start.
 *
 * It deploys the BUILT backend as docs/operations.md describes — the
 * `yarn build:backend` artefacts (packages/backend/dist/skeleton.tar.gz and
 * bundle.tar.gz) unpacked into a fresh folder with a production-only install
 * (`yarn workspaces focus --all --production`; install scripts off, so
 * better-sqlite3 is not compiled: these starts use PostgreSQL only) — and
 * starts it with `node packages/backend --config app-config.yaml --config
 * app-config.production.yaml` and NODE_ENV=production:
 *
 * 1. refused starts, each with one thing missing (the session secret, the
 *    audit signing key): the process must exit non-zero within 30 s with the
 *    reason on one line of stderr, naming the variable to set;
 * 2. two instances started at the same moment on an empty set of databases
 *    (a backend.database.prefix of their own): both must answer
 *    /.backstage/health/v1/readiness with 200 within 60 s, and neither may log
 *    a migration race (MigrationLocked, "already exists", duplicate key).
 *
 * Prints a PASS or FAIL line per check with its timings; exits 1 if any failed.
 * The PostgreSQL server is BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING
 * (in scripts/test a fresh one that scripts/production-start starts); the
 * databases made here are dropped at the end.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import { generateKeyPairSync, randomBytes } from 'crypto';
import fs from 'fs';
import knexFactory from 'knex';
import net from 'net';
import os from 'os';
import path from 'path';

const root = path.resolve(__dirname, '../..');
const dist = path.join(root, 'packages/backend/dist');
const REFUSED_WITHIN_MS = 30_000;
const READY_WITHIN_MS = 60_000;
const RACE = /MigrationLocked|already exists|duplicate key/;

let failures = 0;
function report(ok: boolean, name: string, detail: string) {
  if (!ok) failures++;
  // eslint-disable-next-line no-console
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}: ${detail}`);
}
function log(message: string) {
  // eslint-disable-next-line no-console
  console.log(`  ${message}`);
}
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The deployed folder, as docs/operations.md step 3 assembles it. */
function deploy(): string {
  for (const file of ['skeleton.tar.gz', 'bundle.tar.gz']) {
    if (!fs.existsSync(path.join(dist, file))) {
      throw new Error(
        `packages/backend/dist/${file} is missing: build first (yarn tsc && yarn build:backend)`,
      );
    }
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezky-production-'));
  const started = Date.now();
  execFileSync('tar', ['xzf', path.join(dist, 'skeleton.tar.gz'), '-C', dir]);
  for (const file of ['yarn.lock', 'package.json', '.yarnrc.yml']) {
    fs.copyFileSync(path.join(root, file), path.join(dir, file));
  }
  execFileSync('yarn', ['workspaces', 'focus', '--all', '--production'], {
    cwd: dir,
    env: { ...process.env, YARN_ENABLE_SCRIPTS: 'false' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  execFileSync('tar', ['xzf', path.join(dist, 'bundle.tar.gz'), '-C', dir]);
  for (const file of ['app-config.yaml', 'app-config.production.yaml']) {
    fs.copyFileSync(path.join(root, file), path.join(dir, file));
  }
  fs.cpSync(path.join(root, 'catalog'), path.join(dir, 'catalog'), {
    recursive: true,
  });
  log(`deployed to ${dir} in ${seconds(Date.now() - started)}`);
  return dir;
}

/** The PostgreSQL server to use, as POSTGRES_* variables. */
function postgresEnv(): Record<string, string> {
  const url = process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING;
  if (!url) {
    throw new Error(
      'BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING is not set: run through scripts/production-start, which starts PostgreSQL when it is unset',
    );
  }
  const u = new URL(url);
  return {
    POSTGRES_HOST: u.hostname,
    POSTGRES_PORT: u.port || '5432',
    POSTGRES_USER: decodeURIComponent(u.username) || 'postgres',
    POSTGRES_PASSWORD: decodeURIComponent(u.password) || 'unused',
  };
}

/** Everything a production start needs, valid. */
function productionEnv(port: number, prefix: string): Record<string, string> {
  const { privateKey } = generateKeyPairSync('ed25519');
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? os.tmpdir(),
    NODE_ENV: 'production',
    ...postgresEnv(),
    APP_BASE_URL: `http://localhost:${port}`,
    APP_CONFIG_backend_listen: `127.0.0.1:${port}`,
    APP_CONFIG_backend_database_prefix: prefix,
    AUTH_SESSION_SECRET: randomBytes(32).toString('hex'),
    // never fetched before a sign-in; nothing listens there
    AUTH_OIDC_METADATA_URL:
      'https://127.0.0.1:9/application/o/portal/.well-known/openid-configuration',
    AUTH_OIDC_CLIENT_ID: 'dezky-portal',
    AUTH_OIDC_CLIENT_SECRET: randomBytes(16).toString('hex'),
    AUDIT_SIGNING_KID: 'production-start-check',
    AUDIT_SIGNING_PRIVATE_KEY: privateKey
      .export({ type: 'pkcs8', format: 'pem' })
      .toString(),
  };
}

interface Started {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
}

function startBackend(dir: string, env: Record<string, string>): Started {
  const child = spawn(
    process.execPath,
    [
      'packages/backend',
      '--config',
      'app-config.yaml',
      '--config',
      'app-config.production.yaml',
    ],
    { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout!.on('data', d => stdout.push(String(d)));
  child.stderr!.on('data', d => stderr.push(String(d)));
  const exited = new Promise<number | null>(resolve =>
    child.once('exit', code => resolve(code)),
  );
  return { child, stdout, stderr, exited };
}

async function stop(started: Started) {
  if (started.child.exitCode !== null || started.child.signalCode) return;
  started.child.kill('SIGTERM');
  const timer = setTimeout(() => started.child.kill('SIGKILL'), 10_000);
  await started.exited;
  clearTimeout(timer);
}

/** A start with one thing missing: exits non-zero in time, one line naming `variable`. */
async function refusedStart(
  dir: string,
  prefix: string,
  what: string,
  unset: string[],
  variable: string,
) {
  const port = await freePort();
  const env = productionEnv(port, prefix);
  for (const name of unset) delete env[name];
  const t0 = Date.now();
  const started = startBackend(dir, env);
  const timer = setTimeout(
    () => started.child.kill('SIGKILL'),
    REFUSED_WITHIN_MS,
  );
  const code = await started.exited;
  clearTimeout(timer);
  const elapsed = Date.now() - t0;
  const lines = started.stderr
    .join('')
    .split('\n')
    .filter(l => l.startsWith('Dezky portal did not start:'));
  const name = `refused start without ${what}`;
  if (code === null) {
    report(
      false,
      name,
      `still running after ${seconds(
        REFUSED_WITHIN_MS,
      )} (killed); stderr: ${started.stderr.join('').slice(-500)}`,
    );
  } else if (code === 0) {
    report(false, name, `exited 0 after ${seconds(elapsed)}`);
  } else if (lines.length !== 1 || !lines[0].includes(variable)) {
    report(
      false,
      name,
      `exit ${code} after ${seconds(
        elapsed,
      )}, but no one line naming ${variable}; stderr: ${started.stderr
        .join('')
        .slice(-800)}`,
    );
  } else {
    report(true, name, `exit ${code} after ${seconds(elapsed)}: ${lines[0]}`);
  }
}

async function waitReady(
  url: string,
  started: Started,
  t0: number,
): Promise<number | undefined> {
  while (Date.now() - t0 < READY_WITHIN_MS) {
    if (started.child.exitCode !== null) return undefined;
    try {
      const res = await fetch(url);
      if (res.status === 200) return Date.now() - t0;
    } catch {
      // not listening yet
    }
    await new Promise(r => setTimeout(r, 200));
  }
  return undefined;
}

/** Two instances started at the same moment on empty databases. */
async function twoInstances(dir: string, prefix: string) {
  const ports = [await freePort(), await freePort()];
  const t0 = Date.now();
  const instances = ports.map(port =>
    startBackend(dir, productionEnv(port, prefix)),
  );
  const ready = await Promise.all(
    instances.map((started, i) =>
      waitReady(
        `http://127.0.0.1:${ports[i]}/.backstage/health/v1/readiness`,
        started,
        t0,
      ),
    ),
  );
  const logs = instances.map(s => s.stdout.join('') + s.stderr.join(''));
  await Promise.all(instances.map(stop));
  const raced = logs.flatMap((text, i) =>
    text
      .split('\n')
      .filter(l => RACE.test(l))
      .map(l => `instance ${i + 1}: ${l.slice(0, 300)}`),
  );
  const name = 'two instances started together on an empty PostgreSQL';
  const times = ready
    .map((ms, i) => `${i + 1}: ${ms === undefined ? 'not ready' : seconds(ms)}`)
    .join(', ');
  if (ready.some(ms => ms === undefined)) {
    report(
      false,
      name,
      `not both ready within ${seconds(READY_WITHIN_MS)} (${times}); ${logs
        .map((l, i) => `instance ${i + 1} log tail: ${l.slice(-1500)}`)
        .join('\n')}`,
    );
  } else if (raced.length) {
    report(false, name, `both ready (${times}) but:\n${raced.join('\n')}`);
  } else {
    const waited = logs.some(l =>
      l.includes('Another instance is starting on this database'),
    );
    report(
      true,
      name,
      `both ready after ${seconds(
        Math.max(...(ready as number[])),
      )} (${times})${waited ? '; one waited for the other to migrate' : ''}`,
    );
  }
}

/** Drops the databases of `prefix` (Backstage made one per plugin). */
async function dropDatabases(prefix: string) {
  const knex = knexFactory({
    client: 'pg',
    connection:
      process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING,
  });
  try {
    const rows = await knex('pg_database')
      .select('datname')
      .where('datname', 'like', `${prefix}%`);
    for (const { datname } of rows) {
      await knex.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [datname]);
    }
  } finally {
    await knex.destroy();
  }
}

async function main() {
  const run = `prodstart_${randomBytes(3).toString('hex')}`;
  const dir = deploy();
  try {
    await refusedStart(
      dir,
      `${run}_refused_`,
      'AUTH_SESSION_SECRET',
      ['AUTH_SESSION_SECRET'],
      'AUTH_SESSION_SECRET',
    );
    await refusedStart(
      dir,
      `${run}_refused_`,
      'the audit signing key',
      ['AUDIT_SIGNING_KID', 'AUDIT_SIGNING_PRIVATE_KEY'],
      'AUDIT_SIGNING_KID',
    );
    await twoInstances(dir, `${run}_`);
  } finally {
    await dropDatabases(`${run}_`).catch(e =>
      log(`could not drop the databases ${run}_*: ${e}`),
    );
    if (process.env.KEEP_DEPLOY) log(`kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
    log(`done ${new Date().toISOString()}`);
  }
  process.exitCode = failures ? 1 : 0;
}

main().catch(error => {
  report(false, 'production start check', String(error));
  process.exitCode = 1;
});
