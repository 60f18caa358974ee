/*
 * Test and benchmark helper: starts the real development IdP and the real
 * backend (packages/backend/src/index.ts, the production code path) as child
 * processes on free loopback ports, with the repository's app-config.yaml.
 */
import { ChildProcess, spawn } from 'child_process';
import net from 'net';
import path from 'path';

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
    if (child.exitCode !== null) {
      throw new Error(
        `process exited (${child.exitCode}) before ${url} answered:\n${log.join(
          '',
        )}`,
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
}

/**
 * Starts the dev IdP and the backend; `extraEnv` adds APP_CONFIG_* overrides,
 * `options.configFiles` extra config files.
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
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const backendLog = collect(backend);
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
    throw e;
  }

  const stopChild = (child: ChildProcess) =>
    new Promise<void>(resolve => {
      if (child.exitCode !== null) {
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
