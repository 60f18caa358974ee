/*
 * Catalog benchmark: generates a large catalog (default 100 partners with
 * 100 tenants each), starts the real dev IdP and backend on it, waits for
 * ingestion, signs in over OIDC as one partner's staff user and as an
 * operator, checks what they see, and measures the tenant list requests.
 * Run through scripts/bench/catalog (see scripts/bench/README.md).
 */
import { spawnSync } from 'child_process';
import { promises as fs } from 'fs';
import os from 'os';
import path from 'path';
import { performance } from 'perf_hooks';
import { parseAllDocuments, stringify } from 'yaml';
import {
  PortalServers,
  startPortal,
} from '../../packages/backend/src/testing/servers';
import { signInThroughOidc } from '../../packages/backend/src/testing/oidcSignIn';

import { fmtInt, gitCommit, log, machineLine, table } from './report';

const repoRoot = path.resolve(__dirname, '../..');
const EXTERNAL_TOKEN = 'dezky-development-external-token';
const OPERATOR_EMAIL = 'anna.schmidt@dezky.example';
const TENANT_INTEGRATIONS = ['authentik', 'stalwart', 'ocis'];
const PLANS = ['starter', 'business', 'enterprise'];

interface Options {
  partners: number;
  tenantsPerPartner: number;
  tenantsPerFile: number;
  requests: number;
  warmup: number;
  ingestTimeoutMin: number;
  database: 'sqlite';
}

const USAGE = `usage: scripts/bench/catalog [options]
  --partners N             partners to generate (default 100)
  --tenants-per-partner N  tenants per partner (default 100)
  --tenants-per-file N     tenants per generated YAML file (default 100)
  --requests N             measured requests per scenario (default 200)
  --warmup N               warm-up requests per scenario (default 20)
  --ingest-timeout MIN     give up waiting for ingestion after MIN minutes (default 15)
  --database sqlite        the backend database (only the embedded SQLite for now)
`;

function parseOptions(argv: string[]): Options {
  const o: Options = {
    partners: 100,
    tenantsPerPartner: 100,
    tenantsPerFile: 100,
    requests: 200,
    warmup: 20,
    ingestTimeoutMin: 15,
    database: 'sqlite',
  };
  const numeric: Record<string, keyof Options> = {
    '--partners': 'partners',
    '--tenants-per-partner': 'tenantsPerPartner',
    '--tenants-per-file': 'tenantsPerFile',
    '--requests': 'requests',
    '--warmup': 'warmup',
    '--ingest-timeout': 'ingestTimeoutMin',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      process.stdout.write(USAGE);
      process.exit(0);
    }
    const value = argv[++i];
    if (arg === '--database') {
      if (value !== 'sqlite') {
        throw new UsageError(
          `--database ${value}: only sqlite (the embedded default) is supported so far`,
        );
      }
      continue;
    }
    const key = numeric[arg];
    const n = Number(value);
    if (!key || !Number.isInteger(n) || n < (key === 'warmup' ? 0 : 1)) {
      throw new UsageError(`bad option: ${arg} ${value ?? ''}`.trim());
    }
    (o as any)[key] = n;
  }
  return o;
}

class UsageError extends Error {}
class CheckFailed extends Error {}

// --- the generated catalog --------------------------------------------------

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const partnerName = (p: number) => `bench-${pad(p, 3)}`;
const staffGroup = (p: number) => `partner-bench-${pad(p, 3)}`;
const staffUser = (p: number) => `staff-${pad(p, 3)}`;
const staffEmail = (p: number) => `${staffUser(p)}@bench.example`;
const tenantName = (t: number) => `t${pad(t, 5)}`;
/** Tenants are numbered 1..N and dealt to partners round robin. */
const partnerOfTenant = (t: number, partners: number) =>
  ((t - 1) % partners) + 1;

const yamlDocs = (docs: object[]) =>
  docs.map(d => stringify(d, { lineWidth: 0 })).join('---\n');

async function generateCatalog(dir: string, o: Options) {
  const seeded = path.join(repoRoot, 'catalog');
  await fs.mkdir(path.join(dir, 'integrations'), { recursive: true });
  await fs.mkdir(path.join(dir, 'partners'), { recursive: true });
  await fs.mkdir(path.join(dir, 'tenants'), { recursive: true });

  // operators (and the seeded people), and every integration tenants may name
  await fs.copyFile(path.join(seeded, 'org.yaml'), path.join(dir, 'org.yaml'));
  for (const file of await fs.readdir(path.join(seeded, 'integrations'))) {
    if (!file.endsWith('.yaml')) continue;
    await fs.copyFile(
      path.join(seeded, 'integrations', file),
      path.join(dir, 'integrations', file),
    );
  }

  const people: object[] = [];
  const partners: object[] = [];
  for (let p = 1; p <= o.partners; p++) {
    const name = partnerName(p);
    people.push(
      {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Group',
        metadata: {
          name: staffGroup(p),
          title: `Bench Partner ${pad(p, 3)} staff`,
        },
        spec: {
          type: 'partner-staff',
          profile: { displayName: `Bench Partner ${pad(p, 3)} staff` },
          children: [],
        },
      },
      {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'User',
        metadata: { name: staffUser(p) },
        spec: {
          profile: {
            displayName: `Staff ${pad(p, 3)}`,
            email: staffEmail(p),
          },
          memberOf: [staffGroup(p)],
        },
      },
    );
    partners.push({
      apiVersion: 'dezky.io/v1alpha1',
      kind: 'Partner',
      metadata: {
        name,
        title: `Bench Partner ${pad(p, 3)}`,
        description: 'Generated by scripts/bench/catalog.',
      },
      spec: {
        owner: `group:default/${staffGroup(p)}`,
        domain: `${name}.bench.example`,
        status: 'active',
        marginPct: 10 + (p % 15),
        contract: { startDate: '2025-01-01', noticeDays: 90 },
        contact: { name: `Staff ${pad(p, 3)}`, email: staffEmail(p) },
        billing: {
          company: `Bench Partner ${pad(p, 3)} GmbH`,
          country: 'DE',
          email: `billing@${name}.bench.example`,
          currency: 'EUR',
        },
      },
    });
  }
  await fs.writeFile(path.join(dir, 'org-bench.yaml'), yamlDocs(people));
  await fs.writeFile(
    path.join(dir, 'partners', 'bench-partners.yaml'),
    yamlDocs(partners),
  );

  const total = o.partners * o.tenantsPerPartner;
  let files = 0;
  for (let first = 1; first <= total; first += o.tenantsPerFile) {
    const docs: object[] = [];
    for (let t = first; t < first + o.tenantsPerFile && t <= total; t++) {
      const p = partnerOfTenant(t, o.partners);
      docs.push({
        apiVersion: 'dezky.io/v1alpha1',
        kind: 'Tenant',
        metadata: { name: tenantName(t), title: `Bench Tenant ${pad(t, 5)}` },
        spec: {
          owner: `group:default/${staffGroup(p)}`,
          partner: partnerName(p),
          plan: PLANS[t % PLANS.length],
          seats: 5 + ((t * 37) % 500),
          domains: [`${tenantName(t)}.bench.example`],
          integrations: TENANT_INTEGRATIONS,
        },
      });
    }
    files++;
    await fs.writeFile(
      path.join(dir, 'tenants', `bench-tenants-${pad(files, 4)}.yaml`),
      yamlDocs(docs),
    );
  }
  // what the catalog must end up with, per kind (lower case)
  const expected = new Map<string, number>();
  const add = (kind: string, n = 1) =>
    expected.set(
      kind.toLowerCase(),
      (expected.get(kind.toLowerCase()) ?? 0) + n,
    );
  for (const file of [
    path.join(dir, 'org.yaml'),
    ...(await fs.readdir(path.join(dir, 'integrations'))).map(f =>
      path.join(dir, 'integrations', f),
    ),
  ]) {
    for (const doc of parseAllDocuments(await fs.readFile(file, 'utf8'))) {
      add((doc.toJS() as { kind: string }).kind);
    }
  }
  add('group', o.partners);
  add('user', o.partners);
  add('partner', o.partners);
  add('tenant', total);
  return { tenants: total, tenantFiles: files, expected };
}

function validateCatalog(dir: string) {
  const started = performance.now();
  const result = spawnSync(
    path.join(repoRoot, 'scripts/validate-catalog'),
    [dir],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    const problems = (result.stdout ?? '').split('\n').filter(Boolean);
    throw new CheckFailed(
      `scripts/validate-catalog rejected the generated catalog (exit ${
        result.status
      }, ${problems.length} problems):\n${problems.slice(0, 20).join('\n')}\n${
        result.stderr ?? ''
      }`,
    );
  }
  log(`validate-catalog: ${(result.stderr ?? '').trim()} (${secs} s)`);
}

// --- talking to the portal --------------------------------------------------

let portal: PortalServers | undefined;

async function getJson(token: string, urlPath: string) {
  const res = await fetch(`${portal!.backendUrl}${urlPath}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: res.status, body };
}

async function countKind(kind: string): Promise<number> {
  const res = await getJson(
    EXTERNAL_TOKEN,
    `/api/catalog/entities/by-query?filter=kind=${kind}&limit=1`,
  );
  if (res.status !== 200) {
    throw new Error(
      `${kind} count: HTTP ${res.status}: ${JSON.stringify(res.body).slice(
        0,
        300,
      )}`,
    );
  }
  return res.body.totalItems as number;
}

/** The kinds whose count in the catalog differs from the generated one. */
async function incompleteKinds(expected: Map<string, number>) {
  const out: string[] = [];
  for (const [kind, n] of expected) {
    const got = await countKind(kind);
    if (got !== n) out.push(`${kind} ${got}/${n}`);
  }
  return out;
}

/** The backend's warnings and errors, grouped by message (numbers elided). */
function logWarnings(lines: string[]) {
  const all = lines
    .join('')
    // eslint-disable-next-line no-control-regex
    .replace(/\x1b\[[0-9;]*m/g, '')
    .split('\n')
    .filter(Boolean);
  const warnings = all.filter(l => / (warn|error) /.test(l));
  const byMessage = new Map<string, number>();
  for (const l of warnings) {
    const key = l
      .replace(/entity="[^"]*"|location="[^"]*"/g, '')
      .replace(/\d+/g, 'N')
      .slice(0, 200);
    byMessage.set(key, (byMessage.get(key) ?? 0) + 1);
  }
  const top = [...byMessage]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 10)
    .map(([m, n]) => `  ${n} x ${m}`);
  return { all, warnings, top };
}

function logSummary(lines: string[]): string {
  const { all, warnings, top } = logWarnings(lines);
  return [
    `backend log so far: ${all.length} lines, ${warnings.length} warnings/errors`,
    ...top,
  ].join('\n');
}

/** What the backend log says about processing, for when ingestion is slow. */
function logDiagnosis(lines: string[]): string {
  const { all } = logWarnings(lines);
  return [
    logSummary(lines),
    'last lines (without HTTP request lines):',
    ...all
      .filter(l => !l.includes('type="incomingRequest"'))
      .slice(-15)
      .map(l => `  ${l.slice(0, 300)}`),
  ].join('\n');
}

/**
 * Waits until the catalog holds every generated tenant (printing progress
 * every ~5 s), and every other generated entity too.
 */
async function waitForIngestion(
  expected: Map<string, number>,
  timeoutMin: number,
) {
  const expectedTenants = expected.get('tenant')!;
  const started = performance.now();
  const deadline = started + timeoutMin * 60_000;
  let lastPrint = started;
  let count = 0;
  let tenantsSecs: number | undefined;
  let missing: string[] = [];
  for (;;) {
    count = await countKind('tenant');
    const now = performance.now();
    const secs = (now - started) / 1000;
    if (count >= expectedTenants) {
      if (tenantsSecs === undefined) {
        tenantsSecs = secs;
        log(
          `ingestion: ${fmtInt(count)} / ${fmtInt(
            expectedTenants,
          )} tenants after ${secs.toFixed(1)} s (${(count / secs).toFixed(
            0,
          )} tenants/s)`,
        );
      }
      missing = await incompleteKinds(expected);
      if (!missing.length) return tenantsSecs;
    }
    if (now - lastPrint >= 5_000) {
      lastPrint = now;
      log(
        missing.length
          ? `ingestion: all tenants in, still missing: ${missing.join(', ')}`
          : `ingestion: ${fmtInt(count)} / ${fmtInt(
              expectedTenants,
            )} tenants, ${secs.toFixed(0)} s (${(count / secs).toFixed(
              0,
            )} tenants/s)`,
      );
    }
    if (now > deadline) {
      throw new CheckFailed(
        `ingestion did not finish within ${timeoutMin} min: ${fmtInt(
          count,
        )} of ${fmtInt(expectedTenants)} tenants (${(count / secs).toFixed(
          1,
        )} tenants/s)${
          missing.length ? `; other kinds: ${missing.join(', ')}` : ''
        }\n${logDiagnosis(portal!.backendLog)}`,
      );
    }
    await new Promise(r => setTimeout(r, 1_000));
  }
}

async function signIn(email: string) {
  const result = await signInThroughOidc({
    backendUrl: portal!.backendUrl,
    appOrigin: portal!.appOrigin,
    email,
  });
  if (!result.ok) {
    throw new CheckFailed(`sign-in of ${email} failed: ${result.error}`);
  }
  return result;
}

// --- measuring ---------------------------------------------------------------

interface Scenario {
  label: string;
  token: string;
  path: string;
  /** Items every response must hold. */
  expectItems: number;
}

interface Measured {
  scenario: Scenario;
  ms: number[];
  bytes: number;
}

async function measure(s: Scenario, o: Options): Promise<Measured> {
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < o.warmup + o.requests; i++) {
    const start = performance.now();
    const res = await fetch(`${portal!.backendUrl}${s.path}`, {
      headers: { authorization: `Bearer ${s.token}` },
    });
    const text = await res.text();
    const elapsed = performance.now() - start;
    if (res.status !== 200) {
      throw new CheckFailed(
        `${s.label}: request ${i + 1} answered HTTP ${res.status}: ${text.slice(
          0,
          300,
        )}`,
      );
    }
    // check every response, outside the timed part
    const body = JSON.parse(text);
    const items = Array.isArray(body) ? body.length : body.items.length;
    if (items !== s.expectItems) {
      throw new CheckFailed(
        `${s.label}: request ${i + 1} returned ${items} items, expected ${
          s.expectItems
        }`,
      );
    }
    if (i >= o.warmup) {
      ms.push(elapsed);
      bytes = text.length;
    }
  }
  return { scenario: s, ms, bytes };
}

/** Nearest-rank percentile. */
function percentile(sorted: number[], p: number): number {
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

function summarize(m: Measured) {
  const sorted = [...m.ms].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1],
  };
}

// --- output -------------------------------------------------------------------

const fmtMs = (n: number) => n.toFixed(1);
function fmtBytes(n: number) {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

// --- main -----------------------------------------------------------------------

async function main(argv: string[]): Promise<number> {
  const o = parseOptions(argv);
  const expectedTenants = o.partners * o.tenantsPerPartner;
  const staffIndex = Math.min(42, o.partners);
  console.log('Dezky portal catalog benchmark');
  console.log(`machine: ${machineLine()}`);
  console.log(`commit:  ${gitCommit()}`);
  console.log(
    `catalog: ${o.partners} partners x ${
      o.tenantsPerPartner
    } tenants = ${fmtInt(expectedTenants)} tenants; ${o.warmup} warm-up + ${
      o.requests
    } measured requests per scenario`,
  );
  console.log(
    'database: embedded SQLite, in memory (backend.database from app-config.yaml)',
  );

  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dezky-bench-catalog-'));
  const cleanup = async () => {
    const p = portal;
    portal = undefined;
    if (p) await p.stop();
    await fs.rm(tmp, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\n${signal}: stopping the servers\n`);
    cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // output piped into `head` and the like: keep running, and stop the servers
  process.stdout.on('error', () => {});
  process.once('uncaughtException', e => {
    process.stderr.write(`\nFAILED: ${e.stack ?? e}\n`);
    cleanup().finally(() => process.exit(1));
  });

  try {
    // 1. the catalog
    const catalogDir = path.join(tmp, 'catalog');
    const generated = await generateCatalog(catalogDir, o);
    log(
      `generated ${fmtInt(generated.tenants)} tenants in ${
        generated.tenantFiles
      } files under ${catalogDir}`,
    );
    validateCatalog(catalogDir);

    // 2. the portal on it
    const configFile = path.join(tmp, 'app-config.bench.yaml');
    await fs.writeFile(
      configFile,
      stringify({
        catalog: {
          // seconds: 0 replaces app-config.yaml's `seconds: 10` (objects merge)
          processingInterval: { minutes: 30, seconds: 0 },
          // One glob for the whole folder, not one location per folder as in
          // app-config.yaml: one location's entities enter the catalog
          // together, before any of them is processed. With several
          // locations, an entity processed before the location holding what
          // it references has been read (a Partner before org-bench.yaml and
          // its staff group) is rejected and, with a 30 minute interval, not
          // retried during the run.
          locations: [
            { type: 'file', target: path.join(catalogDir, '**', '*.yaml') },
          ],
        },
      }),
    );
    const startedAt = performance.now();
    portal = await startPortal({}, { configFiles: [configFile] });
    log(
      `backend ready at ${portal.backendUrl} in ${(
        (performance.now() - startedAt) /
        1000
      ).toFixed(1)} s`,
    );

    // 3. ingestion
    const ingestSecs = await waitForIngestion(
      generated.expected,
      o.ingestTimeoutMin,
    );
    const sinceStart = (performance.now() - startedAt) / 1000;
    log(logSummary(portal.backendLog));

    // 4. sign-in and correctness
    const staff = await signIn(staffEmail(staffIndex));
    const operator = await signIn(OPERATOR_EMAIL);
    log(
      `signed in ${staff.userEntityRef} and ${operator.userEntityRef} through the dev IdP`,
    );
    const problems: string[] = [];
    const ownGroup = `group:default/${staffGroup(staffIndex)}`;
    const ownPartner = `partner:default/${partnerName(staffIndex)}`;
    if (!staff.ownershipEntityRefs.includes(ownGroup)) {
      problems.push(
        `staff token lacks ${ownGroup}: ${staff.ownershipEntityRefs.join(
          ', ',
        )}`,
      );
    }
    const staffList = await getJson(
      staff.token,
      '/api/catalog/entities?filter=kind=tenant',
    );
    const staffTenants: any[] = staffList.status === 200 ? staffList.body : [];
    if (staffList.status !== 200) {
      problems.push(`staff tenant list: HTTP ${staffList.status}`);
    }
    if (staffTenants.length !== o.tenantsPerPartner) {
      problems.push(
        `staff sees ${staffTenants.length} tenants, expected ${o.tenantsPerPartner}`,
      );
    }
    const expectedNames = new Set<string>();
    for (let t = staffIndex; t <= expectedTenants; t += o.partners) {
      expectedNames.add(tenantName(t));
    }
    for (const t of staffTenants) {
      const ok =
        expectedNames.has(t.metadata.name) &&
        t.spec.partner === partnerName(staffIndex) &&
        t.spec.owner === ownGroup &&
        (t.relations ?? []).some(
          (r: any) => r.type === 'resoldBy' && r.targetRef === ownPartner,
        );
      if (!ok) {
        problems.push(
          `staff sees ${t.metadata.name} (partner ${t.spec.partner}, owner ${t.spec.owner})`,
        );
      }
    }
    const staffPage = await getJson(
      staff.token,
      '/api/catalog/entities/by-query?filter=kind=tenant&limit=100',
    );
    if (staffPage.body?.totalItems !== o.tenantsPerPartner) {
      problems.push(
        `staff by-query totalItems = ${staffPage.body?.totalItems}, expected ${o.tenantsPerPartner}`,
      );
    }
    // another partner's tenant stays hidden
    const foreign = tenantName(staffIndex === 1 ? 2 : 1);
    const foreignRes = await getJson(
      staff.token,
      `/api/catalog/entities/by-name/tenant/default/${foreign}`,
    );
    if (foreignRes.status !== 404) {
      problems.push(
        `staff reads another partner's tenant ${foreign}: HTTP ${foreignRes.status}`,
      );
    }
    const opPage = await getJson(
      operator.token,
      '/api/catalog/entities/by-query?filter=kind=tenant&limit=1',
    );
    if (opPage.body?.totalItems !== expectedTenants) {
      problems.push(
        `operator by-query totalItems = ${opPage.body?.totalItems}, expected ${expectedTenants}`,
      );
    }
    if (problems.length) {
      throw new CheckFailed(
        `correctness checks failed:\n  ${problems.slice(0, 20).join('\n  ')}`,
      );
    }
    log(
      `correct: ${staffUser(staffIndex)} sees exactly the ${
        o.tenantsPerPartner
      } tenants of ${partnerName(
        staffIndex,
      )} (and 404 for ${foreign}); the operator sees ${fmtInt(
        expectedTenants,
      )}`,
    );

    // 5. measurements
    const page = '/api/catalog/entities/by-query?filter=kind=tenant&limit=100';
    const all = '/api/catalog/entities?filter=kind=tenant';
    const pageSize = Math.min(100, expectedTenants);
    const scenarios: Scenario[] = [
      {
        label: 'staff: by-query limit=100',
        token: staff.token,
        path: page,
        expectItems: Math.min(100, o.tenantsPerPartner),
      },
      {
        label: 'staff: entities (unpaginated)',
        token: staff.token,
        path: all,
        expectItems: o.tenantsPerPartner,
      },
      {
        label: 'operator: by-query limit=100',
        token: operator.token,
        path: page,
        expectItems: pageSize,
      },
      {
        label: 'operator: entities (unpaginated)',
        token: operator.token,
        path: all,
        expectItems: expectedTenants,
      },
    ];
    // What TenantsPage (plugins/dezky-catalog, useDezkyEntities) sends
    // today: every tenant, unpaginated, sorted by name.
    const tenantsPage =
      '/api/catalog/entities?filter=kind=Tenant,apiVersion=dezky.io/v1alpha1&order=asc:metadata.name';
    scenarios.push(
      {
        label: 'staff: TenantsPage request',
        token: staff.token,
        path: tenantsPage,
        expectItems: o.tenantsPerPartner,
      },
      {
        label: 'operator: TenantsPage request',
        token: operator.token,
        path: tenantsPage,
        expectItems: expectedTenants,
      },
    );
    const results: Measured[] = [];
    for (const s of scenarios) {
      const started = performance.now();
      results.push(await measure(s, o));
      log(
        `measured ${s.label}: ${o.warmup} + ${o.requests} requests in ${(
          (performance.now() - started) /
          1000
        ).toFixed(1)} s`,
      );
    }

    // 6. report
    console.log('');
    console.log(
      `ingestion: ${fmtInt(expectedTenants)} tenants in ${ingestSecs.toFixed(
        1,
      )} s after the backend was ready (${sinceStart.toFixed(
        1,
      )} s from starting it), ${(expectedTenants / ingestSecs).toFixed(
        0,
      )} tenants/s`,
    );
    console.log('');
    const rows = [
      [
        'request',
        'GET',
        'items',
        'size',
        'n',
        'p50 ms',
        'p95 ms',
        'p99 ms',
        'max ms',
      ],
    ];
    for (const r of results) {
      const s = summarize(r);
      rows.push([
        r.scenario.label,
        r.scenario.path.replace('/api/catalog', ''),
        fmtInt(r.scenario.expectItems),
        fmtBytes(r.bytes),
        String(r.ms.length),
        fmtMs(s.p50),
        fmtMs(s.p95),
        fmtMs(s.p99),
        fmtMs(s.max),
      ]);
    }
    console.log(table(rows, 2));
    console.log('');
    const p95 = summarize(results[0]).p95;
    console.log(
      `partner staff tenant list p95 = ${fmtMs(p95)} ms (target < 200 ms): ${
        p95 < 200 ? 'PASS' : 'FAIL'
      }`,
    );
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
