/*
 * Catalog benchmark: generates a large catalog (default 100 partners with
 * 100 tenants each), starts the real dev IdP and backend on it, waits for
 * ingestion, signs in over OIDC as one partner's staff user and as an
 * operator, checks what they see, and measures the tenant list requests.
 * Run through scripts/bench/catalog (see scripts/bench/README.md).
 */
import { CatalogClient } from '@backstage/catalog-client';
import { spawnSync } from 'child_process';
import { promises as fs } from 'fs';
import http from 'http';
import os from 'os';
import path from 'path';
import { performance } from 'perf_hooks';
import { parseAllDocuments, stringify } from 'yaml';
import {
  PortalServers,
  startPortal,
} from '../../packages/backend/src/testing/servers';
import { signInThroughOidc } from '../../packages/backend/src/testing/oidcSignIn';

import {
  CheckFailed,
  fmtInt,
  gitCommit,
  log,
  machineLine,
  onInterrupt,
  percentile,
  runMain,
  table,
  UsageError,
} from './report';

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

/** One timed HTTP exchange: from sending the request to having read the body. */
interface Timed {
  ms: number;
  status: number;
  /** The JSON body's size as read (after any decompression). */
  bodyBytes: number;
  text: string;
}

/** fetch, timed, the body read in full inside the timed part. */
async function timedFetch(url: string, init: RequestInit): Promise<Timed> {
  const start = performance.now();
  const res = await fetch(url, init);
  const text = await res.text();
  const ms = performance.now() - start;
  return { ms, status: res.status, bodyBytes: Buffer.byteLength(text), text };
}

/**
 * A CatalogClient — the browser's catalogApiRef is one — whose HTTP calls are
 * timed: each call's timing is handed to `record`. Requests are therefore
 * byte for byte what the portal's frontend sends.
 */
function timedCatalogClient(token: string, record: (t: Timed) => void) {
  return new CatalogClient({
    discoveryApi: {
      getBaseUrl: async pluginId => `${portal!.backendUrl}/api/${pluginId}`,
    },
    fetchApi: {
      fetch: async (input: any, init?: RequestInit) => {
        const headers = new Headers(init?.headers);
        headers.set('authorization', `Bearer ${token}`);
        const t = await timedFetch(String(input), { ...init, headers });
        record(t);
        return new Response(t.text, {
          status: t.status,
          headers: { 'content-type': 'application/json' },
        });
      },
    },
  });
}

/**
 * The bytes a browser receives for one request: asked once more with the
 * Accept-Encoding Chromium sends, counting the (compressed) body as it
 * arrives.
 */
async function wireBytes(
  method: string,
  url: string,
  token: string,
  body?: string,
): Promise<{ bytes: number; encoding: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          'accept-encoding': 'gzip, deflate, br, zstd',
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
      },
      res => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
        });
        res.on('end', () =>
          resolve({
            bytes,
            encoding: String(res.headers['content-encoding'] ?? 'identity'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A request (or requests) measured as one row of the table. */
interface Scenario {
  label: string;
  /** What is sent, for the table. */
  request: string;
  /** Sends it once; resolves to the timing and the parsed answer(s). */
  send: () => Promise<{ ms: number; status: number; bytes: number; body: any }>;
  /** What is wrong with an answer, if anything (checked outside the timing). */
  check: (body: any) => string | undefined;
  /** Items every answer holds, for the table. */
  items: number;
  /** The bytes on the wire, asked once after the measurement. */
  wire?: () => Promise<{ bytes: number; encoding: string }>;
}

interface Measured {
  scenario: Scenario;
  ms: number[];
  bytes: number;
  wire?: { bytes: number; encoding: string };
}

/** A GET of the catalog API with a token, timed. */
function getScenario(
  label: string,
  token: string,
  urlPath: string,
  expectItems: number,
  check: (items: any[]) => string | undefined = () => undefined,
): Scenario {
  const url = `${portal!.backendUrl}${urlPath}`;
  return {
    label,
    request: `GET ${urlPath.replace('/api/catalog', '')}`,
    items: expectItems,
    send: async () => {
      const t = await timedFetch(url, {
        headers: { authorization: `Bearer ${token}` },
      });
      let body: any = t.text;
      try {
        body = JSON.parse(t.text);
      } catch {
        // reported by check
      }
      return { ms: t.ms, status: t.status, bytes: t.bodyBytes, body };
    },
    check: body => {
      const items = Array.isArray(body) ? body : body?.items;
      if (!Array.isArray(items)) return 'no items in the answer';
      if (items.length !== expectItems) {
        return `returned ${items.length} items, expected ${expectItems}`;
      }
      return check(items);
    },
    wire: () => wireBytes('GET', url, token),
  };
}

/** A call of the catalog client, as TenantsPage makes it, timed. */
function clientScenario(
  label: string,
  token: string,
  request: string,
  items: number,
  call: (client: CatalogClient) => Promise<any>,
  check: (body: any) => string | undefined,
): Scenario {
  let last: Timed | undefined;
  const client = timedCatalogClient(token, t => {
    last = t;
  });
  return {
    label,
    request,
    items,
    send: async () => {
      last = undefined;
      const body = await call(client);
      return {
        ms: last!.ms,
        status: last!.status,
        bytes: last!.bodyBytes,
        body,
      };
    },
    check,
    wire: async () => {
      // the same call again, its HTTP request repeated with Accept-Encoding
      let sent: { url: string; init?: RequestInit } | undefined;
      const spy = new CatalogClient({
        discoveryApi: {
          getBaseUrl: async pluginId => `${portal!.backendUrl}/api/${pluginId}`,
        },
        fetchApi: {
          fetch: async (input: any, init?: RequestInit) => {
            sent = { url: String(input), init };
            return fetch(String(input), {
              ...init,
              headers: {
                ...(init?.headers as any),
                authorization: `Bearer ${token}`,
              },
            });
          },
        },
      });
      await call(spy);
      return wireBytes(
        sent!.init?.method ?? 'GET',
        sent!.url,
        token,
        sent!.init?.body as string | undefined,
      );
    },
  };
}

async function measure(s: Scenario, o: Options): Promise<Measured> {
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < o.warmup + o.requests; i++) {
    let answer;
    try {
      answer = await s.send();
    } catch (e: any) {
      throw new CheckFailed(
        `${s.label}: request ${i + 1} failed: ${e?.message ?? e}`,
      );
    }
    if (answer.status !== 200) {
      throw new CheckFailed(
        `${s.label}: request ${i + 1} answered HTTP ${
          answer.status
        }: ${JSON.stringify(answer.body).slice(0, 300)}`,
      );
    }
    // check every response, outside the timed part
    const problem = s.check(answer.body);
    if (problem) {
      throw new CheckFailed(`${s.label}: request ${i + 1}: ${problem}`);
    }
    if (i >= o.warmup) {
      ms.push(answer.ms);
      bytes = answer.bytes;
    }
  }
  const wire = s.wire ? await s.wire() : undefined;
  return { scenario: s, ms, bytes, wire };
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

// --- what the Tenants page sends ---------------------------------------------

/*
 * A copy of tenantsPageRequest and TENANT_FACETS_REQUEST from the
 * dezky-catalog plugin's tenantsQuery.ts (scripts import packages, not a
 * plugin's sources; the frontend package would bring React along). TenantsPage.test.tsx pins the first page's request to the same
 * object, so a change there shows up as a failing test.
 */
const TENANT_TABLE_FIELDS = [
  'kind',
  'metadata.namespace',
  'metadata.name',
  'metadata.title',
  'spec.partner',
  'spec.plan',
  'spec.seats',
  'spec.domains',
  'spec.status',
];
const ALL_TENANTS = { kind: 'Tenant' };
const TENANT_FACETS_REQUEST = {
  filter: ALL_TENANTS,
  facets: ['spec.partner', 'spec.plan', 'kind'],
};

interface PageView {
  q?: string;
  plan?: string;
  active?: boolean;
  sort?: 'metadata.name' | 'spec.plan';
  order?: 'asc' | 'desc';
  page?: number;
}

/** The Tenants page filtered to active business tenants, sorted by plan, descending. */
const BUSINESS_BY_PLAN: PageView = {
  plan: 'business',
  active: true,
  sort: 'spec.plan',
  order: 'desc',
};

function pageRequest(v: PageView = {}) {
  const all: object[] = [ALL_TENANTS];
  if (v.plan) all.push({ 'spec.plan': v.plan });
  if (v.active) {
    all.push({
      $any: [
        { 'spec.status': 'active' },
        { $not: { 'spec.status': { $exists: true } } },
      ],
    });
  }
  return {
    query: (all.length === 1 ? all[0] : { $all: all }) as any,
    ...(v.q
      ? {
          fullTextFilter: {
            term: v.q,
            fields: ['metadata.name', 'metadata.title', 'spec.domains'],
          },
        }
      : {}),
    orderFields: {
      field: v.sort ?? 'metadata.name',
      order: v.order ?? 'asc',
    } as const,
    limit: 20,
    offset: (v.page ?? 0) * 20,
    fields: TENANT_TABLE_FIELDS,
  };
}

const STAFF_BY_QUERY = 'staff: by-query limit=100';
const FIRST_PAGE = 'Tenants page, first page';
const OLD_FETCH = 'old Tenants page: every tenant';

/** The rows of the measurement, staff first, then the operator. */
function tenantScenarios(
  o: Options,
  who: { staff: string; operator: string; staffIndex: number },
): Scenario[] {
  const total = o.partners * o.tenantsPerPartner;
  const own = partnerName(who.staffIndex);
  const names = (items: any[]) => items.map(t => t.metadata.name);
  const sorted = (items: any[], field: 'name' | 'plan', order = 'asc') => {
    const key = (t: any) => (field === 'name' ? t.metadata.name : t.spec.plan);
    for (let i = 1; i < items.length; i++) {
      const c = key(items[i - 1]).localeCompare(key(items[i]));
      if (order === 'asc' ? c > 0 : c < 0) {
        return `not sorted by ${field} ${order} at ${names(items).slice(
          i - 1,
          i + 1,
        )}`;
      }
    }
    return undefined;
  };
  /** Checks a page answer: count, total, scope, fields, order, and more. */
  const pageCheck =
    (
      expectTotal: number,
      expectItems: number,
      scopedTo: string | undefined,
      more: (items: any[]) => string | undefined = () => undefined,
    ) =>
    (body: any) => {
      const items: any[] = body?.items ?? [];
      if (body?.totalItems !== expectTotal) {
        return `totalItems ${body?.totalItems}, expected ${expectTotal}`;
      }
      if (items.length !== expectItems) {
        return `returned ${items.length} items, expected ${expectItems}`;
      }
      for (const t of items) {
        if (t.kind !== 'Tenant') return `a ${t.kind} among the tenants`;
        if (scopedTo && t.spec.partner !== scopedTo) {
          return `staff of ${scopedTo} received ${t.metadata.name} of ${t.spec.partner}`;
        }
        if (t.relations || t.spec.owner || t.metadata.uid) {
          return `${t.metadata.name} has fields the page did not ask for`;
        }
      }
      return more(items);
    };
  const facetsCheck =
    (expectTotal: number, partners: number) => (body: any) => {
      const kind = body?.facets?.kind?.[0]?.count;
      const p = body?.facets?.['spec.partner'] ?? [];
      if (kind !== expectTotal)
        return `kind facet ${kind}, expected ${expectTotal}`;
      if (p.length !== partners) {
        return `${p.length} partners among the choices, expected ${partners}`;
      }
      return undefined;
    };
  /** Page 2 once the page knows the count: the count is not asked again. */
  const nextPage = (
    label: string,
    token: string,
    expectItems: number,
    scopedTo?: string,
  ): Scenario => {
    const request = { ...pageRequest({ page: 1 }), totalItems: 'exclude' };
    return clientScenario(
      label,
      token,
      post({ ...request, fields: '[9 fields]' }),
      expectItems,
      c => c.queryEntities(request as any),
      pageCheck(0, expectItems, scopedTo, items => sorted(items, 'name')),
    );
  };

  const staffPage = pageCheck(
    o.tenantsPerPartner,
    Math.min(20, o.tenantsPerPartner),
    own,
    items => sorted(items, 'name'),
  );
  const opPage = pageCheck(total, Math.min(20, total), undefined, items =>
    sorted(items, 'name'),
  );
  const business = (n: number, first: number) => {
    // tenants t with t % 3 == 1 are on the business plan
    let count = 0;
    for (let t = first; t <= total; t += n) if (t % PLANS.length === 1) count++;
    return count;
  };
  const staffBusiness = business(o.partners, who.staffIndex);
  const opBusiness = business(1, 1);
  const lastPage = Math.ceil(total / 20) - 1;
  const search = tenantName(Math.min(123, Math.floor(total / 10))).slice(0, 5);
  const searchHits = Array.from({ length: total }, (_, i) =>
    tenantName(i + 1),
  ).filter(n => n.includes(search)).length;
  const oldPage =
    '/api/catalog/entities?filter=kind=Tenant,apiVersion=dezky.io/v1alpha1&order=asc:metadata.name';
  const onlyOwn = (items: any[]) => {
    const other = items.find(t => t.spec.partner !== own);
    return other
      ? `staff received ${other.metadata.name} of ${other.spec.partner}`
      : undefined;
  };
  const post = (r: object) => `POST /entities/by-query ${JSON.stringify(r)}`;
  const facetsSent = `GET /entity-facets?facet=spec.partner&facet=spec.plan&facet=kind&filter=kind=Tenant`;
  const short = (v: PageView) => {
    const r = pageRequest(v);
    return post({ ...r, fields: '[9 fields]' });
  };
  return [
    getScenario(
      STAFF_BY_QUERY,
      who.staff,
      '/api/catalog/entities/by-query?filter=kind=tenant&limit=100',
      Math.min(100, o.tenantsPerPartner),
      onlyOwn,
    ),
    clientScenario(
      `staff: ${FIRST_PAGE}`,
      who.staff,
      short({}),
      Math.min(20, o.tenantsPerPartner),
      c => c.queryEntities(pageRequest()),
      staffPage,
    ),
    clientScenario(
      'staff: Tenants page, filter choices',
      who.staff,
      facetsSent,
      1,
      c => c.getEntityFacets(TENANT_FACETS_REQUEST),
      facetsCheck(o.tenantsPerPartner, 1),
    ),
    nextPage(
      'staff: Tenants page, page 2 (count known)',
      who.staff,
      Math.max(0, Math.min(20, o.tenantsPerPartner - 20)),
      own,
    ),
    clientScenario(
      'staff: active, business, by plan desc',
      who.staff,
      short(BUSINESS_BY_PLAN),
      Math.min(20, staffBusiness),
      c => c.queryEntities(pageRequest(BUSINESS_BY_PLAN)),
      pageCheck(staffBusiness, Math.min(20, staffBusiness), own),
    ),
    getScenario(
      `staff: ${OLD_FETCH}`,
      who.staff,
      oldPage,
      o.tenantsPerPartner,
      onlyOwn,
    ),
    getScenario(
      'operator: by-query limit=100',
      who.operator,
      '/api/catalog/entities/by-query?filter=kind=tenant&limit=100',
      Math.min(100, total),
    ),
    clientScenario(
      `operator: ${FIRST_PAGE}`,
      who.operator,
      short({}),
      Math.min(20, total),
      c => c.queryEntities(pageRequest()),
      opPage,
    ),
    clientScenario(
      'operator: Tenants page, filter choices',
      who.operator,
      facetsSent,
      o.partners,
      c => c.getEntityFacets(TENANT_FACETS_REQUEST),
      facetsCheck(total, o.partners),
    ),
    nextPage(
      'operator: Tenants page, page 2 (count known)',
      who.operator,
      Math.max(0, Math.min(20, total - 20)),
    ),
    clientScenario(
      `operator: search "${search}"`,
      who.operator,
      short({ q: search }),
      Math.min(20, searchHits),
      c => c.queryEntities(pageRequest({ q: search })),
      pageCheck(searchHits, Math.min(20, searchHits), undefined),
    ),
    clientScenario(
      'operator: active, business, by plan desc',
      who.operator,
      short(BUSINESS_BY_PLAN),
      Math.min(20, opBusiness),
      c => c.queryEntities(pageRequest(BUSINESS_BY_PLAN)),
      pageCheck(opBusiness, Math.min(20, opBusiness), undefined),
    ),
    clientScenario(
      `operator: last page (${lastPage + 1})`,
      who.operator,
      short({ page: lastPage }),
      total - lastPage * 20,
      c => c.queryEntities(pageRequest({ page: lastPage })),
      pageCheck(total, total - lastPage * 20, undefined, items =>
        sorted(items, 'name'),
      ),
    ),
    getScenario(`operator: ${OLD_FETCH}`, who.operator, oldPage, total),
  ];
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
  // output piped into `head` and the like: keep running, and stop the servers
  onInterrupt(cleanup, 'stopping the servers');
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
    const scenarios = tenantScenarios(o, {
      staff: staff.token,
      operator: operator.token,
      staffIndex,
    });
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
        'items',
        'JSON',
        'on the wire',
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
        fmtInt(r.scenario.items),
        fmtBytes(r.bytes),
        r.wire
          ? `${fmtBytes(r.wire.bytes)}${
              r.wire.encoding === 'identity' ? '' : ` ${r.wire.encoding}`
            }`
          : '',
        String(r.ms.length),
        fmtMs(s.p50),
        fmtMs(s.p95),
        fmtMs(s.p99),
        fmtMs(s.max),
      ]);
    }
    console.log(table(rows, 1));
    console.log('');
    console.log('what each row sends (to /api/catalog):');
    for (const r of results) {
      console.log(`  ${r.scenario.label}: ${r.scenario.request}`);
    }
    console.log('');
    const row = (label: string) =>
      results.find(r => r.scenario.label === label)!;
    const p95 = summarize(row(STAFF_BY_QUERY)).p95;
    console.log(
      `partner staff tenant list p95 = ${fmtMs(p95)} ms (target < 200 ms): ${
        p95 < 200 ? 'PASS' : 'FAIL'
      }`,
    );
    for (const who of ['operator', 'staff'] as const) {
      const first = row(`${who}: ${FIRST_PAGE}`);
      const old = row(`${who}: ${OLD_FETCH}`);
      const f = summarize(first);
      const was = summarize(old);
      console.log(
        `Tenants page, first page, ${
          who === 'staff' ? 'partner staff' : 'operator'
        }: p50 ${fmtMs(f.p50)} / p95 ${fmtMs(f.p95)} / p99 ${fmtMs(
          f.p99,
        )} ms, ${fmtBytes(first.bytes)} (target p95 <= 300 ms): ${
          f.p95 <= 300 ? 'PASS' : 'FAIL'
        }; the old full fetch: p50 ${fmtMs(was.p50)} / p95 ${fmtMs(
          was.p95,
        )} / p99 ${fmtMs(was.p99)} ms, ${fmtBytes(old.bytes)}`,
      );
    }
    return 0;
  } finally {
    await cleanup();
  }
}

runMain(main, USAGE);
