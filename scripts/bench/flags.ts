/*
 * Feature flags benchmark: 100 flags of mixed states evaluated for 10,000
 * tenants in process with evaluateFlag (the rules the backend uses), the same
 * workload with unleash-client evaluating locally from bootstrapped
 * definitions (no server), and the OFREP bulk endpoint of the real backend
 * under load (autocannon on loopback).
 * Run through scripts/bench/flags (see scripts/bench/README.md).
 */
import { Flag, FlagContext } from '@internal/plugin-flags-common';
import { evaluateFlag } from '@internal/plugin-flags-node';
import net from 'net';
import { performance } from 'perf_hooks';
import { InMemStorageProvider, Unleash } from 'unleash-client';
import type { ClientFeaturesResponse } from 'unleash-client';
import {
  PortalServers,
  startPortal,
} from '../../packages/backend/src/testing/servers';
import { signInThroughOidc } from '../../packages/backend/src/testing/oidcSignIn';
import { fmtInt, gitCommit, log, machineLine, table } from './report';

type FeatureInterface = ClientFeaturesResponse['features'][number];
type Constraint = NonNullable<
  NonNullable<FeatureInterface['strategies']>[number]['constraints']
>[number];

const EXTERNAL_TOKEN = 'dezky-development-external-token';
const OPERATOR_EMAIL = 'anna.schmidt@dezky.example';
const PLANS = ['starter', 'business', 'enterprise'];
const ENVIRONMENT = 'development';

interface Options {
  flags: number;
  tenants: number;
  rounds: number;
  duration: number;
  connections: number;
  http: boolean;
}

const USAGE = `usage: scripts/bench/flags [options]
  --flags N         flags to generate (default 100)
  --tenants N       tenants to evaluate them for (default 10000)
  --rounds N        measured passes per evaluator, alternating (default 3)
  --duration S      seconds of load on the OFREP bulk endpoint (default 10)
  --connections N   autocannon connections (default 10)
  --no-http         skip the OFREP load test (no backend is started)
`;

class UsageError extends Error {}
class CheckFailed extends Error {}

function parseOptions(argv: string[]): Options {
  const o: Options = {
    flags: 100,
    tenants: 10_000,
    rounds: 3,
    duration: 10,
    connections: 10,
    http: true,
  };
  const numeric: Record<string, keyof Options> = {
    '--flags': 'flags',
    '--tenants': 'tenants',
    '--rounds': 'rounds',
    '--duration': 'duration',
    '--connections': 'connections',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      process.stdout.write(USAGE);
      process.exit(0);
    }
    if (arg === '--no-http') {
      o.http = false;
      continue;
    }
    const key = numeric[arg];
    const value = argv[++i];
    const n = Number(value);
    if (!key || !Number.isInteger(n) || n < 1) {
      throw new UsageError(`bad option: ${arg} ${value ?? ''}`.trim());
    }
    (o as any)[key] = n;
  }
  return o;
}

// --- output -------------------------------------------------------------------

const pad = (n: number, width: number) => String(n).padStart(width, '0');

// --- the workload ---------------------------------------------------------------

/** A small deterministic PRNG (mulberry32), so every run has the same flags. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const partnerName = (p: number) => `bench-${pad(p, 3)}`;
const tenantName = (t: number) => `t${pad(t, 5)}`;

/**
 * Synthetic tenants: plan round robin, partner bench-001..100 for four in
 * five, none (a direct customer) for the fifth.
 */
function makeTenants(n: number): FlagContext[] {
  const out: FlagContext[] = [];
  for (let t = 1; t <= n; t++) {
    const ctx: FlagContext = {
      tenant: tenantName(t),
      plan: PLANS[t % PLANS.length],
      environment: ENVIRONMENT,
    };
    if (t % 5 !== 0) ctx.partner = partnerName(((t - 1) % 100) + 1);
    out.push(ctx);
  }
  return out;
}

/**
 * Mixed flags, by index: 15 % off, 15 % on, 35 % targeted, 35 % rollout;
 * scopes on plans, partners, tenants and environments in several
 * combinations (and some empty), rollout percentages from 0 to 100 with
 * some fractional ones.
 */
function makeFlags(n: number, tenants: number): Flag[] {
  const rnd = prng(42);
  const pick = <T>(list: T[], k: number) => {
    const copy = [...list];
    const out: T[] = [];
    while (out.length < k && copy.length) {
      out.push(copy.splice(Math.floor(rnd() * copy.length), 1)[0]);
    }
    return out;
  };
  const partners = Array.from({ length: 100 }, (_, i) => partnerName(i + 1));
  const someTenants = (k: number) =>
    Array.from({ length: k }, () =>
      tenantName(1 + Math.floor(rnd() * tenants)),
    );
  const scopes: Array<() => Flag['scope']> = [
    () => ({ plans: [], tenants: [], partners: [], environments: [] }),
    () => ({
      plans: pick(PLANS, 1),
      tenants: [],
      partners: [],
      environments: [],
    }),
    () => ({
      plans: pick(PLANS, 2),
      tenants: [],
      partners: pick(partners, 30),
      environments: [],
    }),
    () => ({
      plans: [],
      tenants: [],
      partners: pick(partners, 10),
      environments: [],
    }),
    () => ({
      plans: [],
      tenants: someTenants(50),
      partners: [],
      environments: [],
    }),
    () => ({
      plans: pick(PLANS, 2),
      tenants: [],
      partners: [],
      environments: [ENVIRONMENT],
    }),
    () => ({
      plans: [],
      tenants: [],
      partners: [],
      environments: ['staging'],
    }),
  ];
  const pcts = [0, 1, 5, 10, 12.5, 25, 33.33, 50, 75, 90, 99.99, 100];
  const flags: Flag[] = [];
  for (let i = 0; i < n; i++) {
    const slot = i % 20;
    const state: Flag['state'] =
      slot < 3 ? 'off' : slot < 6 ? 'on' : slot < 13 ? 'targeted' : 'rollout';
    // targeted: never the empty scope except for one in seven (nobody)
    const scope =
      state === 'on' || state === 'off'
        ? scopes[0]()
        : scopes[Math.floor(rnd() * scopes.length)]();
    flags.push({
      key: `bench-flag-${pad(i + 1, 3)}`,
      description: `Generated by scripts/bench/flags (${state}).`,
      type: 'release',
      state,
      pct: state === 'rollout' ? pcts[Math.floor(rnd() * pcts.length)] : 0,
      scope,
      createdAt: '2026-11-27T10:00:00.000Z',
      updatedAt: '2026-11-27T10:00:00.000Z',
    });
  }
  return flags;
}

/**
 * A flag as an Unleash feature: a flexibleRollout strategy sticky on the
 * `tenant` context field, with IN constraints for each non-empty scope list
 * (plan, partner, tenant, environment). off and a targeted flag with an
 * empty scope (nobody) are disabled features; on and targeted roll out to
 * 100 %.
 */
function toUnleashFeature(flag: Flag): FeatureInterface {
  const constraints = (
    [
      ['plan', flag.scope.plans],
      ['partner', flag.scope.partners],
      ['tenant', flag.scope.tenants],
      ['environment', flag.scope.environments],
    ] as const
  )
    .filter(([, values]) => values.length > 0)
    .map(([contextName, values]) => ({
      contextName,
      operator: 'IN' as Constraint['operator'],
      inverted: false,
      values: [...values],
    }));
  const emptyScope = constraints.length === 0;
  const enabled =
    flag.state === 'on' ||
    flag.state === 'rollout' ||
    (flag.state === 'targeted' && !emptyScope);
  const rollout =
    flag.state === 'rollout' ? flag.pct : flag.state === 'off' ? 0 : 100;
  return {
    name: flag.key,
    type: 'release',
    enabled,
    stale: false,
    impressionData: false,
    project: 'default',
    strategies: [
      {
        name: 'flexibleRollout',
        parameters: {
          rollout: String(rollout),
          stickiness: 'tenant',
          groupId: flag.key,
        },
        constraints: flag.state === 'on' ? [] : constraints,
      },
    ],
    variants: [],
  };
}

/** The Unleash context of a tenant: custom fields in properties. */
function toUnleashContext(ctx: FlagContext) {
  const properties: Record<string, string> = {
    tenant: ctx.tenant,
    plan: ctx.plan ?? '',
  };
  if (ctx.plan === undefined) delete properties.plan;
  if (ctx.partner !== undefined) properties.partner = ctx.partner;
  return { environment: ctx.environment, properties };
}

/**
 * An Unleash client that only knows the bootstrapped features: refresh and
 * metrics off, its URL a local listener that counts connections (any
 * network use would show there).
 */
async function startUnleash(features: FeatureInterface[]) {
  let connections = 0;
  const trap = net.createServer(socket => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>(resolve => trap.listen(0, '127.0.0.1', resolve));
  const port = (trap.address() as net.AddressInfo).port;
  const events: string[] = [];
  const unleash = new Unleash({
    appName: 'dezky-bench-flags',
    url: `http://127.0.0.1:${port}/api/`,
    refreshInterval: 0,
    disableMetrics: true,
    skipInstanceCountWarning: true,
    bootstrap: { data: features },
    storageProvider: new InMemStorageProvider(),
  });
  unleash.on('warn', w => events.push(`warn: ${String(w)}`));
  unleash.on('error', e => events.push(`error: ${String(e?.message ?? e)}`));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new CheckFailed('unleash-client not ready after 10 s')),
      10_000,
    );
    unleash.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return {
    unleash,
    events,
    connections: () => connections,
    stop: async () => {
      unleash.destroy();
      await new Promise(resolve => trap.close(resolve));
    },
  };
}

interface PassResult {
  ms: number;
  on: number;
}

function passOurs(
  keys: string[],
  byKey: Map<string, Flag>,
  contexts: FlagContext[],
): PassResult {
  let on = 0;
  const started = performance.now();
  for (const ctx of contexts) {
    for (const key of keys) {
      if (evaluateFlag(byKey.get(key)!, ctx).value) on++;
    }
  }
  return { ms: performance.now() - started, on };
}

function passUnleash(
  unleash: Unleash,
  keys: string[],
  contexts: ReturnType<typeof toUnleashContext>[],
): PassResult {
  let on = 0;
  const started = performance.now();
  for (const ctx of contexts) {
    for (const key of keys) {
      if (unleash.isEnabled(key, ctx)) on++;
    }
  }
  return { ms: performance.now() - started, on };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
};

interface InProcessResult {
  ours: number;
  unleash: number;
  ratio: number;
}

async function inProcess(o: Options): Promise<InProcessResult> {
  const contexts = makeTenants(o.tenants);
  const flags = makeFlags(o.flags, o.tenants);
  const keys = flags.map(f => f.key);
  const byKey = new Map(flags.map(f => [f.key, f]));
  const ucontexts = contexts.map(toUnleashContext);
  const evals = keys.length * contexts.length;
  const states = ['off', 'on', 'targeted', 'rollout'].map(
    s => `${flags.filter(f => f.state === s).length} ${s}`,
  );
  log(
    `in process: ${keys.length} flags (${states.join(', ')}) x ${fmtInt(
      contexts.length,
    )} tenants = ${fmtInt(evals)} evaluations per pass`,
  );

  const u = await startUnleash(flags.map(toUnleashFeature));
  try {
    // agreement (and warm-up): every pair once through both
    let agree = 0;
    let compared = 0;
    const disagreements: string[] = [];
    const rollout = { pairs: 0, agree: 0, oursIn: 0, unleashIn: 0 };
    const reasons = new Map<string, number>();
    for (let c = 0; c < contexts.length; c++) {
      for (const flag of flags) {
        const ours = evaluateFlag(flag, contexts[c]);
        reasons.set(ours.reason, (reasons.get(ours.reason) ?? 0) + 1);
        const theirs = u.unleash.isEnabled(flag.key, ucontexts[c]);
        if (flag.state === 'rollout') {
          rollout.pairs++;
          if (ours.value === theirs) rollout.agree++;
          if (ours.value) rollout.oursIn++;
          if (theirs) rollout.unleashIn++;
          continue;
        }
        compared++;
        if (ours.value === theirs) agree++;
        else if (disagreements.length < 5) {
          disagreements.push(
            `${flag.key} (${flag.state}) for ${contexts[c].tenant}: ours ${ours.value} (${ours.reason}), unleash ${theirs}`,
          );
        }
      }
    }
    log(
      `evaluateFlag reasons: ${[...reasons]
        .sort((a, b) => b[1] - a[1])
        .map(([r, n]) => `${r} ${((n / evals) * 100).toFixed(1)} %`)
        .join(', ')}`,
    );
    log(
      `agreement on off/on/targeted: ${fmtInt(agree)} of ${fmtInt(
        compared,
      )} evaluations`,
    );
    log(
      `rollout flags (different hashes, so not compared): on for ${(
        (rollout.oursIn / rollout.pairs) *
        100
      ).toFixed(1)} % (ours) and ${(
        (rollout.unleashIn / rollout.pairs) *
        100
      ).toFixed(1)} % (unleash) of ${fmtInt(rollout.pairs)}; same value for ${(
        (rollout.agree / rollout.pairs) *
        100
      ).toFixed(1)} %`,
    );
    if (agree !== compared) {
      throw new CheckFailed(
        `evaluateFlag and unleash-client disagree on ${
          compared - agree
        } off/on/targeted evaluations, e.g.\n  ${disagreements.join('\n  ')}`,
      );
    }

    // measured passes, alternating
    passOurs(keys, byKey, contexts);
    passUnleash(u.unleash, keys, ucontexts);
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let r = 0; r < o.rounds; r++) {
      const a = passOurs(keys, byKey, contexts);
      const b = passUnleash(u.unleash, keys, ucontexts);
      if (a.on !== passOurs(keys, byKey, contexts).on) {
        throw new CheckFailed('evaluateFlag is not deterministic');
      }
      ours.push(evals / (a.ms / 1000));
      theirs.push(evals / (b.ms / 1000));
      log(
        `pass ${r + 1}/${o.rounds}: evaluateFlag ${(a.ms / 1000).toFixed(
          2,
        )} s (${fmtInt(ours[r])}/s), unleash-client ${(b.ms / 1000).toFixed(
          2,
        )} s (${fmtInt(theirs[r])}/s)`,
      );
    }
    if (u.connections() !== 0) {
      throw new CheckFailed(
        `unleash-client opened ${u.connections()} connections to its URL; it must evaluate locally only`,
      );
    }
    const unexpected = u.events.filter(e => !e.includes('bootstrap'));
    log(
      `unleash-client network use: ${u.connections()} connections to its URL; events: ${
        unexpected.length ? unexpected.slice(0, 3).join('; ') : 'none'
      }`,
    );
    const result = {
      ours: median(ours),
      unleash: median(theirs),
      ratio: median(ours) / median(theirs),
    };
    return result;
  } finally {
    await u.stop();
  }
}

// --- the OFREP bulk endpoint under load -------------------------------------------

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; max: number; average: number };
  throughput: { average: number };
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
// autocannon ships no type declarations
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon: Autocannon = require('autocannon');

interface HttpRow {
  label: string;
  /** The status every response must have. */
  status: number;
  result: AutocannonResult;
}

let portal: PortalServers | undefined;

async function waitUntil(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
) {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > timeoutMs) {
      throw new CheckFailed(
        `gave up after ${timeoutMs / 1000} s waiting until ${what}`,
      );
    }
    await new Promise(r => setTimeout(r, 500));
  }
  log(`${what} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

async function call(
  token: string,
  method: string,
  urlPath: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${portal!.backendUrl}${urlPath}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any = text;
  try {
    json = JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: res.status, body: json, headers: res.headers };
}

async function httpLoad(o: Options): Promise<HttpRow[]> {
  log('starting the dev IdP and the backend (startPortal)');
  portal = await startPortal();
  log(`backend ready at ${portal.backendUrl}`);
  // sign-in needs the operator's User entity, the bench the tenant acme
  await waitUntil(
    'the catalog has anna.schmidt and acme',
    120_000,
    async () => {
      const user = await call(
        EXTERNAL_TOKEN,
        'GET',
        '/api/catalog/entities/by-name/user/default/anna.schmidt',
      );
      const acme = await call(
        EXTERNAL_TOKEN,
        'GET',
        '/api/catalog/entities/by-name/tenant/default/acme',
      );
      return user.status === 200 && acme.status === 200;
    },
  );
  const signIn = await signInThroughOidc({
    backendUrl: portal.backendUrl,
    appOrigin: portal.appOrigin,
    email: OPERATOR_EMAIL,
  });
  if (!signIn.ok) {
    throw new CheckFailed(
      `sign-in of ${OPERATOR_EMAIL} failed: ${signIn.error}`,
    );
  }
  const operator = signIn.token;
  log(`signed in ${signIn.userEntityRef} (operator) through the dev IdP`);

  // the flags: the same generator as in process, created through the API
  const flags = makeFlags(o.flags, 10_000);
  const existing = await call(operator, 'GET', '/api/flags/flags');
  if (existing.status !== 200) {
    throw new CheckFailed(
      `GET /api/flags/flags: HTTP ${existing.status}: ${JSON.stringify(
        existing.body,
      ).slice(0, 300)}`,
    );
  }
  for (const f of flags) {
    const res = await call(operator, 'POST', '/api/flags/flags', {
      key: f.key,
      description: f.description,
      type: f.type,
      state: f.state,
      pct: f.pct,
      scope: f.scope,
    });
    if (res.status !== 201 && res.status !== 200) {
      throw new CheckFailed(
        `creating ${f.key}: HTTP ${res.status}: ${JSON.stringify(
          res.body,
        ).slice(0, 300)}`,
      );
    }
  }
  const total =
    (Array.isArray(existing.body) ? existing.body : existing.body.items ?? [])
      .length + flags.length;
  log(
    `created ${flags.length} flags through POST /api/flags/flags (${total} in all)`,
  );

  // the flags plugin reads the catalog's tenants every 30 s: until it has
  // acme, acme would be evaluated as a tenant it does not know
  await waitUntil('the flags plugin knows acme', 60_000, async () => {
    const res = await call(operator, 'GET', '/api/flags/tenants/acme');
    return res.status === 200;
  });

  // who calls: the external token if the flags plugin admits it, else the operator
  const path = '/api/flags/ofrep/v1/evaluate/flags';
  const body = { context: { targetingKey: 'acme' } };
  let token = EXTERNAL_TOKEN;
  let caller = 'the development external-access token';
  let probe = await call(token, 'POST', path, body);
  if (probe.status === 401 || probe.status === 403) {
    log(
      `the external-access token is refused (HTTP ${probe.status}); using the operator's token`,
    );
    token = operator;
    caller = `the operator ${OPERATOR_EMAIL}`;
    probe = await call(token, 'POST', path, body);
  }
  const etag = probe.headers.get('etag');
  if (probe.status !== 200 || probe.body?.flags?.length !== total || !etag) {
    throw new CheckFailed(
      `POST ${path}: HTTP ${probe.status}, ${
        probe.body?.flags?.length
      } flags (expected ${total}), ETag ${etag}: ${JSON.stringify(
        probe.body,
      ).slice(0, 300)}`,
    );
  }
  const again = await call(token, 'POST', path, body, {
    'if-none-match': etag,
  });
  if (again.status !== 304) {
    throw new CheckFailed(
      `POST ${path} with If-None-Match ${etag}: HTTP ${again.status}, expected 304`,
    );
  }
  const bytes = Buffer.byteLength(JSON.stringify(probe.body));
  log(
    `OFREP bulk as ${caller}: ${total} flags for acme, ${fmtInt(
      bytes,
    )} bytes, ETag ${etag}; If-None-Match gives 304`,
  );

  const run = async (
    label: string,
    status: number,
    request: Record<string, unknown>,
  ): Promise<HttpRow> => {
    const opts = { ...request, connections: o.connections };
    await autocannon({ ...opts, duration: 2 }); // warm-up
    log(`${label}: ${o.duration} s, ${o.connections} connections`);
    const result = await autocannon({ ...opts, duration: o.duration });
    return { label, status, result };
  };
  const ofrep = (headers: Record<string, string>, bearer = token) => ({
    url: `${portal!.backendUrl}${path}`,
    method: 'POST',
    headers: {
      authorization: `Bearer ${bearer}`,
      'content-type': 'application/json',
      ...headers,
    },
    body: JSON.stringify(body),
  });
  return [
    await run('bulk, full answer (200)', 200, ofrep({})),
    await run(
      'bulk, unchanged (If-None-Match, 304)',
      304,
      ofrep({ 'if-none-match': etag }),
    ),
    // a user's token: verified as a JWT, the permission asked of the
    // permission backend (a service's is decided in process)
    ...(token === operator
      ? []
      : [
          await run(
            'bulk, full answer, as the operator (user token)',
            200,
            ofrep({}, operator),
          ),
        ]),
    // what any request costs: the root router's middleware, no plugin
    await run('for reference: GET /.backstage/health/v1/liveness', 200, {
      url: `${portal!.backendUrl}/.backstage/health/v1/liveness`,
    }),
  ];
}

// --- main -----------------------------------------------------------------------

async function main(argv: string[]) {
  const o = parseOptions(argv);
  const cleanup = async () => {
    const p = portal;
    portal = undefined;
    await p?.stop();
  };
  const onSignal = () => {
    cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.stdout.on('error', () => {});

  try {
    console.log('Dezky feature flags benchmark');
    console.log(`machine: ${machineLine()}`);
    console.log(`commit:  ${gitCommit()}`);
    console.log('');

    const ip = await inProcess(o);
    const http = o.http ? await httpLoad(o) : [];

    console.log('');
    console.log(
      table([
        ['in process', 'evaluations', 'evals/s (median)'],
        [
          'evaluateFlag (@internal/plugin-flags-node)',
          fmtInt(o.flags * o.tenants),
          fmtInt(ip.ours),
        ],
        [
          'unleash-client, bootstrapped, no server',
          fmtInt(o.flags * o.tenants),
          fmtInt(ip.unleash),
        ],
      ]),
    );
    if (http.length) {
      console.log('');
      const rows = [
        [
          'OFREP POST /api/flags/ofrep/v1/evaluate/flags, acme',
          'requests',
          'req/s',
          'p50 ms',
          'p99 ms',
          'max ms',
          'status',
          'errors',
        ],
      ];
      for (const { label, result: r } of http) {
        rows.push([
          label,
          fmtInt(r.requests.total),
          fmtInt(r.requests.average),
          String(r.latency.p50),
          String(r.latency.p99),
          String(r.latency.max),
          Object.entries(r.statusCodeStats)
            .map(([code, { count }]) => `${code} x ${fmtInt(count)}`)
            .join(', '),
          fmtInt(r.errors + r.timeouts),
        ]);
      }
      console.log(table(rows));
    }
    console.log('');
    console.log(
      `evaluateFlag / unleash-client = ${ip.ratio.toFixed(
        2,
      )}x (target >= 2x): ${ip.ratio >= 2 ? 'PASS' : 'FAIL'}`,
    );
    if (http.length) {
      const r = http[0].result;
      const ok = r.requests.average >= 5000 && r.latency.p99 < 20;
      console.log(
        `OFREP bulk = ${fmtInt(r.requests.average)} req/s, p99 ${
          r.latency.p99
        } ms (target >= 5,000 req/s, p99 < 20 ms): ${ok ? 'PASS' : 'FAIL'}`,
      );
      for (const row of http) {
        const codes = Object.keys(row.result.statusCodeStats);
        if (
          row.result.errors ||
          row.result.timeouts ||
          codes.some(c => Number(c) !== row.status)
        ) {
          throw new CheckFailed(
            `${row.label}: expected only HTTP ${
              row.status
            }, got ${JSON.stringify(row.result.statusCodeStats)}, ${
              row.result.errors
            } errors, ${row.result.timeouts} timeouts`,
          );
        }
      }
    }
    return 0;
  } finally {
    await cleanup();
  }
}

main(process.argv.slice(2)).then(
  code => process.exit(code),
  e => {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n${USAGE}`);
      process.exit(2);
    }
    process.stderr.write(
      `\nFAILED: ${e instanceof CheckFailed ? e.message : e?.stack ?? e}\n`,
    );
    process.exit(1);
  },
);
