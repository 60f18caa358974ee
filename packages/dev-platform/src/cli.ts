/*
 * The process scripts/dev-platform runs: the development stand-ins of
 * Authentik, Stalwart, OCIS and Stripe plus their control endpoint, on fixed loopback
 * ports. DEVELOPMENT ONLY — it refuses to start when NODE_ENV=production.
 *
 * Environment (all optional):
 *   DEV_PLATFORM_PORT_AUTHENTIK  default 7020   (0 = any free port)
 *   DEV_PLATFORM_PORT_STALWART   default 7021
 *   DEV_PLATFORM_PORT_OCIS       default 7022
 *   DEV_PLATFORM_PORT_STRIPE     default 7024
 *   DEV_PLATFORM_PORT_CONTROL    default 7023
 *   DEV_PLATFORM_PORT_DNS        default 7025 (the DNS stand-in, UDP and TCP)
 *   DEV_PLATFORM_LATENCY_MS      default 0: every answer delayed by N ms
 *   DEV_PLATFORM_STRIPE_WEBHOOK_URL       where the Stripe stand-in POSTs its
 *                                events (also --stripe-webhook-url <url>, which wins);
 *                                default: nowhere until PUT /stripe/webhook
 *   DEV_PLATFORM_STRIPE_WEBHOOK_RETRY_MS  default 2000: with a webhook URL,
 *                                failed deliveries are retried after this delay
 *                                (doubling per failed round, up to 8×)
 *
 * Output: one parseable line per endpoint, `dev-platform <name> <url>` (name:
 * authentik, stalwart, ocis, stripe, control, dns — dns as <host>:<port>), then the development credentials, then
 * `dev-platform ready`. SIGINT/SIGTERM stop it (exit 0).
 * Exit codes: 0 stopped by a signal, 1 refused (production) or could not
 * listen, 2 bad environment or arguments. Docs: packages/dev-platform/README.md.
 */
import { startDevPlatform } from './platform';
import { STRIPE_API_VERSION } from './stripe';
import {
  DEV_PLATFORM_CREDENTIALS,
  DEV_SYSTEMS,
  DevPlatform,
  DevSystem,
} from './types';

type Endpoint = DevSystem | 'control' | 'dns';

const ENDPOINTS: readonly Endpoint[] = [...DEV_SYSTEMS, 'control', 'dns'];

const PORT_VARS: Record<Endpoint, string> = {
  authentik: 'DEV_PLATFORM_PORT_AUTHENTIK',
  stalwart: 'DEV_PLATFORM_PORT_STALWART',
  ocis: 'DEV_PLATFORM_PORT_OCIS',
  stripe: 'DEV_PLATFORM_PORT_STRIPE',
  control: 'DEV_PLATFORM_PORT_CONTROL',
  dns: 'DEV_PLATFORM_PORT_DNS',
};

const DEFAULT_PORTS: Record<Endpoint, number> = {
  authentik: 7020,
  stalwart: 7021,
  ocis: 7022,
  stripe: 7024,
  control: 7023,
  dns: 7025,
};

const LATENCY_VAR = 'DEV_PLATFORM_LATENCY_MS';
const WEBHOOK_URL_VAR = 'DEV_PLATFORM_STRIPE_WEBHOOK_URL';
const WEBHOOK_RETRY_VAR = 'DEV_PLATFORM_STRIPE_WEBHOOK_RETRY_MS';
const WEBHOOK_URL_FLAG = '--stripe-webhook-url';
const DEFAULT_WEBHOOK_RETRY_MS = 2000;
const HOST = '127.0.0.1';

const USAGE = `usage: scripts/dev-platform [--help] [${WEBHOOK_URL_FLAG} <url>]
Development stand-ins of Authentik, Stalwart, OCIS and Stripe with a fault-injection
control endpoint, on 127.0.0.1. Development only (refused when NODE_ENV=production).
  ${WEBHOOK_URL_FLAG} <url>  the Stripe stand-in POSTs its events there (signed with
                              the development webhook secret), retrying failed deliveries
Environment:
  ${PORT_VARS.authentik}  port of the Authentik stand-in (default ${DEFAULT_PORTS.authentik}; 0 = any free port)
  ${PORT_VARS.stalwart}   port of the Stalwart stand-in (default ${DEFAULT_PORTS.stalwart})
  ${PORT_VARS.ocis}       port of the OCIS stand-in (default ${DEFAULT_PORTS.ocis})
  ${PORT_VARS.stripe}     port of the Stripe stand-in (default ${DEFAULT_PORTS.stripe})
  ${PORT_VARS.control}    port of the control endpoint (default ${DEFAULT_PORTS.control})
  ${PORT_VARS.dns}        port of the DNS stand-in, UDP and TCP (default ${DEFAULT_PORTS.dns})
  ${LATENCY_VAR}      every answer delayed by N ms (default 0)
  ${WEBHOOK_URL_VAR}       as ${WEBHOOK_URL_FLAG} (the flag wins)
  ${WEBHOOK_RETRY_VAR}  first retry delay of failed deliveries (default ${DEFAULT_WEBHOOK_RETRY_MS}; doubles up to 8x)
Docs: packages/dev-platform/README.md`;

class UsageError extends Error {}

export interface CliSettings {
  ports: Record<Endpoint, number>;
  latencyMs: number;
  /** The Stripe stand-in's webhook endpoint from the start. */
  stripeWebhook?: { url: string; retryAfterMs: number };
}

function parseNonNegativeInteger(
  name: string,
  raw: string,
  max: number,
  what: string,
): number {
  const value = raw.trim();
  if (!/^\d+$/.test(value) || Number(value) > max) {
    throw new UsageError(
      `dev-platform: ${name}=${JSON.stringify(
        raw,
      )} is not valid: expected ${what}`,
    );
  }
  return Number(value);
}

/** An http(s) URL, or UsageError naming where it came from. */
function webhookUrl(raw: string, source: string): string {
  let url: URL | undefined;
  try {
    url = new URL(raw.trim());
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new UsageError(
      `dev-platform: ${source}=${JSON.stringify(
        raw,
      )} is not valid: expected an http(s) URL such as http://localhost:7007/api/billing/stripe/webhook`,
    );
  }
  return raw.trim();
}

/** The value of --stripe-webhook-url in argv (undefined: absent); UsageError for any other argument. */
export function readArgs(argv: string[]): { stripeWebhookUrl?: string } {
  let stripeWebhookUrl: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === WEBHOOK_URL_FLAG) {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) {
        throw new UsageError(`dev-platform: ${WEBHOOK_URL_FLAG} needs a URL`);
      }
      stripeWebhookUrl = webhookUrl(value, WEBHOOK_URL_FLAG);
      i += 1;
    } else if (arg.startsWith(`${WEBHOOK_URL_FLAG}=`)) {
      stripeWebhookUrl = webhookUrl(
        arg.slice(WEBHOOK_URL_FLAG.length + 1),
        WEBHOOK_URL_FLAG,
      );
    } else {
      throw new UsageError(
        `dev-platform: unexpected argument ${JSON.stringify(arg)}`,
      );
    }
  }
  return { stripeWebhookUrl };
}

/** The settings from the environment (and argv); throws UsageError naming the variable or flag. */
export function readSettings(
  env: NodeJS.ProcessEnv,
  argv: string[] = [],
): CliSettings {
  const ports = { ...DEFAULT_PORTS };
  for (const endpoint of ENDPOINTS) {
    const name = PORT_VARS[endpoint];
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    ports[endpoint] = parseNonNegativeInteger(
      name,
      raw,
      65535,
      'a port number 0-65535 (0 = any free port)',
    );
  }
  for (const a of ENDPOINTS) {
    for (const b of ENDPOINTS) {
      if (a < b && ports[a] !== 0 && ports[a] === ports[b]) {
        throw new UsageError(
          `dev-platform: ${PORT_VARS[a]} and ${PORT_VARS[b]} are both ${ports[a]}: every endpoint needs its own port`,
        );
      }
    }
  }
  const rawLatency = env[LATENCY_VAR];
  const latencyMs =
    rawLatency === undefined || rawLatency === ''
      ? 0
      : parseNonNegativeInteger(
          LATENCY_VAR,
          rawLatency,
          600_000,
          'a whole number of milliseconds 0-600000',
        );
  const { stripeWebhookUrl } = readArgs(argv);
  const rawUrl = env[WEBHOOK_URL_VAR];
  const url =
    stripeWebhookUrl ??
    (rawUrl === undefined || rawUrl.trim() === ''
      ? undefined
      : webhookUrl(rawUrl, WEBHOOK_URL_VAR));
  const rawRetry = env[WEBHOOK_RETRY_VAR];
  const retryAfterMs =
    rawRetry === undefined || rawRetry === ''
      ? DEFAULT_WEBHOOK_RETRY_MS
      : parseNonNegativeInteger(
          WEBHOOK_RETRY_VAR,
          rawRetry,
          3_600_000,
          'a whole number of milliseconds 1-3600000',
        );
  if (retryAfterMs === 0) {
    throw new UsageError(
      `dev-platform: ${WEBHOOK_RETRY_VAR}="0" is not valid: expected a whole number of milliseconds 1-3600000`,
    );
  }
  return {
    ports,
    latencyMs,
    ...(url ? { stripeWebhook: { url, retryAfterMs } } : {}),
  };
}

function webhookLines(platform: DevPlatform): string[] {
  const webhook = platform.stripe.webhook();
  if (!webhook) {
    return [
      `             webhooks: none yet; e.g. curl -X PUT -d '{"url":"http://localhost:7007/api/billing/stripe/webhook","retryAfterMs":2000}' ${platform.urls.control}/stripe/webhook`,
    ];
  }
  const retry = webhook.retryAfterMs
    ? `, failed deliveries retried after ${webhook.retryAfterMs} ms (doubling, up to 8x)`
    : '';
  return [`             webhooks: POSTed to ${webhook.url}${retry}`];
}

/** The lines printed once listening: URLs (parseable), credentials, curl examples, "ready". */
export function startupLines(platform: DevPlatform): string[] {
  const { urls } = platform;
  const c = DEV_PLATFORM_CREDENTIALS;
  return [
    ...ENDPOINTS.map(e => `dev-platform ${e} ${urls[e]}`),
    'Development credentials (fixed; packages/dev-platform/README.md):',
    `  authentik  Authorization: Bearer ${c.authentik.apiToken}   (no permissions: ${c.authentik.unprivilegedApiToken})`,
    `             curl -H 'Authorization: Bearer ${c.authentik.apiToken}' ${urls.authentik}/api/v3/core/groups/`,
    `  stalwart   basic ${c.stalwart.username}:${c.stalwart.password}   or Authorization: Bearer ${c.stalwart.apiKey}`,
    `             curl -u ${c.stalwart.username}:${c.stalwart.password} ${urls.stalwart}/jmap/session`,
    `  ocis       Authorization: Bearer <access_token> from the Authentik stand-in's token endpoint:`,
    `             curl -d grant_type=refresh_token -d client_id=${c.ocis.clientId} -d refresh_token=${c.ocis.bootstrapRefreshToken} ${urls.authentik}${c.ocis.tokenPath}`,
    `  stripe     secret key ${c.stripe.secretKey}   webhook secret ${c.stripe.webhookSecret}   API version ${STRIPE_API_VERSION}`,
    `             curl -u ${c.stripe.secretKey}: ${urls.stripe}/v1/customers`,
    ...webhookLines(platform),
    `  control    no credentials (loopback only): curl ${urls.control}/state`,
    `             curl -X PUT -H 'content-type: application/json' -d '{"down":true}' ${urls.control}/faults/stalwart`,
    `  dns        records held in memory, none at start (NXDOMAIN): dig @${urls.dns.replace(
      /:(\d+)$/,
      ' -p $1',
    )} TXT <name>`,
    `             curl -X PUT -H 'content-type: application/json' -d '{"name":"_dezky.example.com","type":"TXT","value":"dezky-verification=..."}' ${urls.control}/dns/records`,
    'dev-platform ready (development only; Ctrl-C stops it)',
  ];
}

function listenErrorMessage(err: unknown, settings: CliSettings): string {
  const e = err as NodeJS.ErrnoException & { port?: number };
  const port = e.port;
  const endpoint = ENDPOINTS.find(
    x => port !== undefined && settings.ports[x] === port,
  );
  const where = endpoint
    ? `port ${port} (${endpoint}, ${PORT_VARS[endpoint]})`
    : `port ${port ?? '?'}`;
  const hint = endpoint
    ? `set ${PORT_VARS[endpoint]} to a free port, or 0 for any`
    : 'set the DEV_PLATFORM_PORT_* variables to free ports, or 0 for any';
  if (e.code === 'EADDRINUSE') {
    return `dev-platform: ${where} on ${HOST} is already in use (is another dev-platform running?); ${hint}`;
  }
  if (e.code === 'EACCES') {
    return `dev-platform: not allowed to listen on ${where} on ${HOST}; ${hint}`;
  }
  return `dev-platform: cannot start: ${e.message ?? String(err)}`;
}

export async function main(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<{ exitCode: number } | { platform: DevPlatform }> {
  if (argv.includes('--help') || argv.includes('-h')) {
    out(USAGE);
    return { exitCode: 0 };
  }
  if (env.NODE_ENV === 'production') {
    err(
      'dev-platform: refusing to start with NODE_ENV=production: these are development stand-ins with fixed, published credentials; configure the real systems (PROVISIONING_*, docs/operations.md#provisioning)',
    );
    return { exitCode: 1 };
  }
  let settings: CliSettings;
  try {
    settings = readSettings(env, argv);
  } catch (e) {
    if (e instanceof UsageError) {
      err(e.message);
      if (/unexpected argument|needs a URL/.test(e.message)) err(USAGE);
      return { exitCode: 2 };
    }
    throw e;
  }
  try {
    const platform = await startDevPlatform({
      host: HOST,
      ports: settings.ports,
      latencyMs: settings.latencyMs,
      stripeWebhook: settings.stripeWebhook,
    });
    return { platform };
  } catch (e) {
    err(listenErrorMessage(e, settings));
    return { exitCode: 1 };
  }
}

async function run() {
  // a closed stdout (e.g. piped into head) must not bring the stand-ins down
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
    });
  }
  const result = await main(
    process.argv.slice(2),
    process.env,
    line => process.stdout.write(`${line}\n`),
    line => process.stderr.write(`${line}\n`),
  );
  if ('exitCode' in result) {
    process.exit(result.exitCode);
  }
  const { platform } = result;
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // a second signal while stopping: do not wait any longer
      process.exit(0);
    }
    stopping = true;
    platform.stop().then(
      () => {
        process.stdout.write(`dev-platform stopped (${signal})\n`);
        process.exit(0);
      },
      e => {
        process.stderr.write(`dev-platform: error while stopping: ${e}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // printed once the signals are handled: "ready" means it can be stopped cleanly
  for (const line of startupLines(platform)) {
    process.stdout.write(`${line}\n`);
  }
}

if (require.main === module) {
  run().catch(e => {
    process.stderr.write(`dev-platform: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
