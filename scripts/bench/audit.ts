/*
 * Audit chain benchmark: chained appends per second through the real
 * group-commit AuditService (two backend instances as two processes on one
 * PostgreSQL database, one instance, and SQLite), verifyChain's
 * throughput over a large seeded chain (1,000,000 events by default), and
 * the cold archive's: archiving that chain to a local S3-compatible server
 * (s3rver) and verifying it across tiers.
 * Run through scripts/bench/audit (see scripts/bench/README.md).
 */
import { ConfigReader } from '@backstage/config';
import { ChildProcess, execFileSync, spawn } from 'child_process';
import { promises as fs } from 'fs';
import knexFactory, { Knex } from 'knex';
import { once } from 'events';
import os from 'os';
import path from 'path';
import { performance } from 'perf_hooks';
import { AUDIT_GENESIS_HASH, chainHash } from '@internal/plugin-audit-common';
import {
  AuditRow,
  AuditStore,
  CheckpointSigner,
  ColdArchive,
  ColdStorage,
  VerifyStats,
  rowChainHash,
  rowLink,
  toRow,
  verifyChain,
} from '@internal/plugin-audit-backend';
import {
  InstanceResult,
  runInstances,
  sampleEvent,
} from '@internal/plugin-audit-backend/testUtils';

import { PgServer, PostgresOptions, requirePostgres } from './postgres';
import {
  CheckFailed,
  fmtInt,
  gitCommit,
  log,
  machineLine,
  onInterrupt,
  runMain,
  table,
  UsageError,
} from './report';

const repoRoot = path.resolve(__dirname, '../..');
const migrationsDir = path.join(repoRoot, 'plugins/audit-backend/migrations');

/** Targets: appends with two instances on PostgreSQL; 1,000,000 verified in < 5 s. */
const APPEND_TARGET = 3_000;
const VERIFY_TARGET_SECONDS_PER_MILLION = 5;

interface Options extends PostgresOptions {
  events: number;
  concurrency: number;
  verifyEvents: number;
  pageSize: number;
  verifyWorkers: number;
  verifyRuns: number;
  sqlite: boolean;
  sqliteVerify: boolean;
  archiveEvents: number;
  archiveBatch: number;
}

const USAGE = `usage: scripts/bench/audit [options]
  --events N           events appended per append scenario, split over the
                       instances (default 30000)
  --concurrency N      concurrent record() callers per instance (default 50)
  --verify-events N    events seeded for the verify measurement (default
                       1000000; 0 skips it)
  --page-size N        verifyChain page size (default 10000, as AuditService.verify)
  --verify-workers N   verifyChain's worker threads (default: the CPUs, at
                       most 4, as audit.verify.workers); the verify is also
                       timed in one thread, for comparison
  --verify-runs N      times the verify on the workers is run; the target is
                       judged on the median (default 3: this machine's runs
                       differ by up to a third)
  --pg URL             a PostgreSQL server to use (a superuser connection:
                       the bench creates and drops its own databases); without
                       it the wrapper starts a throwaway one
  --fsync on|off       the throwaway PostgreSQL's fsync (default on, as in
                       production; the wrapper restarts the server that
                       scripts/lib/postgres.sh starts with fsync=off);
                       ignored with --pg
  --no-sqlite          skip the SQLite append and verify measurements
  --no-sqlite-verify   skip only the SQLite verify measurement
  --archive-events N   events archived to a local S3 server (s3rver) by
                       the cold archive, then verified across tiers (default
                       1000000; the verify seed is reused when the counts
                       match; 0 skips it)
  --archive-batch N    events per archived object (default 100000, as
                       audit.archive.batchSize)
  --no-archive         skip the archive measurement (= --archive-events 0)
`;

function parseOptions(argv: string[]): Options {
  const o: Options = {
    events: 30_000,
    concurrency: 50,
    verifyEvents: 1_000_000,
    pageSize: 10_000,
    // as the plugin: audit.verify.workers' default
    verifyWorkers: Math.min(4, os.availableParallelism()),
    verifyRuns: 3,
    ownPostgres: false,
    sqlite: true,
    sqliteVerify: true,
    archiveEvents: 1_000_000,
    archiveBatch: 100_000,
  };
  const numeric: Record<
    string,
    | 'events'
    | 'concurrency'
    | 'verifyEvents'
    | 'pageSize'
    | 'verifyWorkers'
    | 'verifyRuns'
    | 'archiveEvents'
    | 'archiveBatch'
  > = {
    '--events': 'events',
    '--concurrency': 'concurrency',
    '--verify-events': 'verifyEvents',
    '--page-size': 'pageSize',
    '--verify-workers': 'verifyWorkers',
    '--verify-runs': 'verifyRuns',
    '--archive-events': 'archiveEvents',
    '--archive-batch': 'archiveBatch',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      process.stdout.write(USAGE);
      process.exit(0);
    }
    if (arg === '--no-sqlite') {
      o.sqlite = false;
      o.sqliteVerify = false;
      continue;
    }
    if (arg === '--no-sqlite-verify') {
      o.sqliteVerify = false;
      continue;
    }
    if (arg === '--no-archive') {
      o.archiveEvents = 0;
      continue;
    }
    if (arg === '--own-postgres') {
      // set by the wrapper for the PostgreSQL it started
      o.ownPostgres = true;
      continue;
    }
    const value = argv[++i];
    if (value === undefined) throw new UsageError(`${arg} needs a value`);
    if (arg === '--pg') {
      o.pg = value;
      continue;
    }
    if (arg === '--fsync') {
      // applied by the wrapper when it starts the server
      if (value !== 'on' && value !== 'off') {
        throw new UsageError(`--fsync ${value}: on or off`);
      }
      continue;
    }
    const key = numeric[arg];
    const n = Number(value.replace(/_/g, ''));
    const min =
      key === 'verifyEvents' ||
      key === 'archiveEvents' ||
      key === 'verifyWorkers'
        ? 0
        : 1;
    if (!key || !Number.isInteger(n) || n < min) {
      throw new UsageError(`bad option: ${arg} ${value}`);
    }
    o[key] = n;
  }
  requirePostgres(o, 'audit');
  return o;
}

// --- databases ------------------------------------------------------------------

/** A fresh database with the audit tables; its connection and a knex on it. */
const createDatabase = (server: PgServer, label: string) =>
  server.createDatabase(
    `audit_bench_${label}_${process.pid}_${server.databases}`,
    migrationsDir,
    { min: 0, max: 4 },
  );

async function createSqlite(dir: string, label: string) {
  const filename = path.join(dir, `${label}.sqlite`);
  const config: Knex.Config = {
    client: 'better-sqlite3',
    connection: { filename },
    useNullAsDefault: true,
  };
  const knex = knexFactory(config);
  await knex.migrate.latest({ directory: migrationsDir });
  return { config, knex, filename };
}

/** The chain must hold after every run: seq 1..N and verifyChain ok. */
async function checkChain(knex: Knex, expected: number, what: string) {
  const r = await knex('audit_events')
    .count({ n: '*' })
    .min({ lo: 'seq' })
    .max({ hi: 'seq' })
    .first();
  const [n, lo, hi] = [Number(r!.n), Number(r!.lo), Number(r!.hi)];
  if (n !== expected || lo !== 1 || hi !== expected) {
    throw new CheckFailed(
      `${what}: expected seq 1..${expected}, found ${n} rows, ${lo}..${hi}`,
    );
  }
  const result = await verifyChain(new AuditStore(knex));
  if (!result.ok || result.verified !== expected) {
    throw new CheckFailed(
      `${what}: chain does not verify: ${JSON.stringify(result)}`,
    );
  }
}

// --- appends --------------------------------------------------------------------

interface AppendFigure {
  label: string;
  events: number;
  seconds: number;
  batches: number;
}

function appendFigures(
  label: string,
  results: InstanceResult[],
): AppendFigure[] {
  const start = Math.min(...results.map(r => r.startedAt));
  const end = Math.max(...results.map(r => r.endedAt));
  const overall: AppendFigure = {
    label,
    events: results.reduce((n, r) => n + r.seqs.length, 0),
    seconds: (end - start) / 1000,
    batches: results.reduce((n, r) => n + r.batches.length, 0),
  };
  if (results.length === 1) return [overall];
  return [
    overall,
    ...results.map(r => ({
      label: `  instance ${r.instance}`,
      events: r.seqs.length,
      seconds: (r.endedAt - r.startedAt) / 1000,
      batches: r.batches.length,
    })),
  ];
}

async function measureAppends(
  o: Options,
  instances: number,
  database: { connection?: Knex.PgConnectionConfig; sqlite?: Knex.Config },
): Promise<InstanceResult[]> {
  const perInstance = Math.ceil(o.events / instances);
  return runInstances(
    Array.from({ length: instances }, (_, k) => ({
      instance: String.fromCharCode(97 + k),
      knex: database.sqlite ?? {
        client: 'pg',
        connection: database.connection,
        pool: { min: 1, max: 4 },
      },
      events: k === instances - 1 ? o.events - perInstance * k : perInstance,
      concurrency: o.concurrency,
    })),
  );
}

// --- verify ---------------------------------------------------------------------

const COLUMNS = [
  'seq',
  'at',
  'actor_type',
  'actor_ref',
  'actor_email',
  'actor_ip',
  'action',
  'outcome',
  'resource_type',
  'resource_ref',
  'resource_name',
  'tenant_ref',
  'partner_ref',
  'source',
  'external_id',
  'metadata',
  'prev_hash',
  'hash',
] as const;
const PG_TYPES: Record<string, string> = { seq: 'bigint' };

/** The part of a better-sqlite3 Database the seeding uses. */
interface SqliteConnection {
  prepare(sql: string): { run(params: object): unknown };
  transaction<A extends unknown[]>(
    fn: (...args: A) => void,
  ): (...args: A) => void;
}

/**
 * Seeds `n` valid chained events (computed here with chainHash, as
 * AuditStore.append does) into every given database, in big batches: one
 * `INSERT … SELECT FROM unnest(arrays)` per 10,000 rows on PostgreSQL,
 * multi-row inserts in one transaction on SQLite.
 */
async function seedChain(n: number, pg: Knex, sqliteKnex?: Knex) {
  const batch = 10_000;
  let prevHash = AUDIT_GENESIS_HASH;
  const timings = { hash: 0, pg: 0, sqlite: 0 };
  const insertSql = `INSERT INTO audit_events (${COLUMNS.join(', ')})
    SELECT * FROM unnest(${COLUMNS.map(
      c => `?::${PG_TYPES[c] ?? 'text'}[]`,
    ).join(', ')})`;
  // SQLite: better-sqlite3's own prepared statement and transaction, on the
  // connection knex holds (knex's multi-row insert is slow there)
  const sqlite: SqliteConnection | undefined = sqliteKnex
    ? await sqliteKnex.client.acquireConnection()
    : undefined;
  const sqliteInsert = sqlite?.prepare(
    `INSERT INTO audit_events (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(
      c => `@${c}`,
    ).join(', ')})`,
  );
  const sqliteInsertAll = sqlite?.transaction((rows: AuditRow[]) => {
    for (const r of rows) sqliteInsert!.run(r);
  });
  try {
    for (let from = 1; from <= n; from += batch) {
      let t = performance.now();
      const rows: AuditRow[] = [];
      for (let seq = from; seq < from + batch && seq <= n; seq++) {
        const input = sampleEvent(seq, 'seed');
        const unhashed = { ...input, seq, prevHash };
        const event = { ...unhashed, hash: chainHash(unhashed) };
        prevHash = event.hash;
        rows.push(toRow(event));
      }
      timings.hash += performance.now() - t;
      t = performance.now();
      await pg.raw(
        insertSql,
        // one array per column; pg sends them as PostgreSQL arrays
        COLUMNS.map(c => rows.map(r => r[c])) as unknown as Knex.RawBinding[],
      );
      timings.pg += performance.now() - t;
      if (sqliteInsertAll) {
        t = performance.now();
        sqliteInsertAll(rows);
        timings.sqlite += performance.now() - t;
      }
      if (from % 200_000 === 1 && from > 1) log(`  seeded ${fmtInt(from - 1)}`);
    }
  } finally {
    if (sqlite) await sqliteKnex!.client.releaseConnection(sqlite);
  }
  const t = performance.now();
  await pg.raw('VACUUM (ANALYZE) audit_events');
  // write the seeded pages out now, not while verify is measured: the
  // database's (CHECKPOINT), and the SQLite file's from the page cache (sync)
  await pg.raw('CHECKPOINT');
  execFileSync('sync');
  timings.pg += performance.now() - t;
  return timings;
}

/**
 * Reads the whole chain page by page as verifyChain does, timing reading and
 * hashing (in this thread, as verifyChain's workers hash a row:
 * rowChainHash(rowLink(row))) apart.
 */
async function splitVerify(store: AuditStore, pageSize: number) {
  let read = 0;
  let hash = 0;
  const cpu = threadCpuSeconds();
  let hashCpu = 0;
  let rows = 0;
  let after = 0;
  for (;;) {
    let t = performance.now();
    const page = await store.rowsAfter(after, pageSize);
    read += performance.now() - t;
    if (!page.length) break;
    t = performance.now();
    const hashCpuBefore = threadCpuSeconds();
    for (const row of page) {
      if (rowChainHash(rowLink(row)) !== row.hash) {
        throw new CheckFailed(`seeded row ${row.seq} does not hash`);
      }
    }
    hashCpu += threadCpuSeconds() - hashCpuBefore;
    hash += performance.now() - t;
    rows += page.length;
    after = Number(page[page.length - 1].seq);
  }
  return {
    rows,
    readSeconds: read / 1000,
    hashSeconds: hash / 1000,
    readCpuSeconds: threadCpuSeconds() - cpu - hashCpu,
    hashCpuSeconds: hashCpu,
  };
}

/** A verifyChain walk: its wall time, the CPU time of this process (every thread) and of this thread, where it hashed. */
interface VerifyRun {
  seconds: number;
  cpuSeconds: number;
  mainCpuSeconds: number;
  stats: VerifyStats;
}

/** This thread's CPU time in seconds (process.threadCpuUsage; NaN where Node has none). */
function threadCpuSeconds(): number {
  const usage = (
    process as { threadCpuUsage?: () => { user: number; system: number } }
  ).threadCpuUsage?.();
  return usage ? (usage.user + usage.system) / 1e6 : NaN;
}

interface VerifyFigure {
  label: string;
  events: number;
  workers: number;
  /** verifyChain on the worker threads, the median run: the figure the target is about. */
  parallel: VerifyRun;
  /** Seconds of every run on the worker threads, in the order run. */
  parallelSeconds: number[];
  /** verifyChain in one thread, as before the worker threads. */
  oneThread: VerifyRun;
  readSeconds: number;
  hashSeconds: number;
  readCpuSeconds: number;
  hashCpuSeconds: number;
  loadBefore: number[];
  loadAfter: number[];
}

async function timedVerify(
  label: string,
  store: AuditStore,
  events: number,
  pageSize: number,
  workers: number,
): Promise<VerifyRun> {
  const stats: VerifyStats = {
    pagesInThread: 0,
    pagesOnWorkers: 0,
    workers: 0,
  };
  const cpu = process.cpuUsage();
  const mainCpu = threadCpuSeconds();
  const t = performance.now();
  const result = await verifyChain(store, pageSize, undefined, undefined, {
    workers,
    stats,
  });
  const seconds = (performance.now() - t) / 1000;
  const used = process.cpuUsage(cpu);
  const mainCpuSeconds = threadCpuSeconds() - mainCpu;
  if (!result.ok || result.verified !== events) {
    throw new CheckFailed(
      `${label}: seeded chain does not verify: ${JSON.stringify(result)}`,
    );
  }
  return {
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    mainCpuSeconds,
    stats,
  };
}

async function measureVerify(
  label: string,
  knex: Knex,
  events: number,
  pageSize: number,
  workers: number,
  runCount: number,
): Promise<VerifyFigure> {
  const store = new AuditStore(knex);
  const loadBefore = os.loadavg();
  const runs: VerifyRun[] = [];
  for (let i = 0; i < runCount; i++) {
    runs.push(await timedVerify(label, store, events, pageSize, workers));
    log(
      `  ${label}: verifyChain on ${
        runs[i].stats.workers
      } worker threads ${fmtInt(events)} in ${runs[i].seconds.toFixed(
        2,
      )} s (run ${i + 1} of ${runCount})`,
    );
  }
  const parallel = [...runs].sort((a, b) => a.seconds - b.seconds)[
    Math.floor((runs.length - 1) / 2)
  ];
  const oneThread = await timedVerify(label, store, events, pageSize, 0);
  log(
    `  ${label}: verifyChain in one thread ${fmtInt(
      events,
    )} in ${oneThread.seconds.toFixed(2)} s`,
  );
  const split = await splitVerify(store, pageSize);
  log(
    `  ${label}: read only ${split.readSeconds.toFixed(
      2,
    )} s, hash only (one thread) ${split.hashSeconds.toFixed(2)} s`,
  );
  return {
    label,
    events,
    workers,
    parallel,
    parallelSeconds: runs.map(r => r.seconds),
    oneThread,
    readSeconds: split.readSeconds,
    hashSeconds: split.hashSeconds,
    readCpuSeconds: split.readCpuSeconds,
    hashCpuSeconds: split.hashCpuSeconds,
    loadBefore,
    loadAfter: os.loadavg(),
  };
}

// --- archive --------------------------------------------------------------------

/**
 * s3rver (the local S3-compatible server the archive tests use) in a child
 * process of its own, so that it does not share the bench's event loop;
 * data in `dir`. Resolves with its endpoint once it listens.
 */
async function startS3rverProcess(dir: string, bucket: string) {
  const script = `
    const S3rver = require('s3rver');
    new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: ${JSON.stringify(
      dir,
    )}, configureBuckets: [{ name: ${JSON.stringify(bucket)} }] })
      .run().then(a => process.stdout.write(JSON.stringify(a) + '\\n'));
  `;
  const child: ChildProcess = spawn(process.execPath, ['-e', script], {
    cwd: path.join(repoRoot, 'plugins/audit-backend'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', chunk => {
      out += chunk;
      if (out.includes('\n')) resolve(JSON.parse(out).port);
    });
    child.once('exit', code => reject(new Error(`s3rver exited (${code})`)));
  });
  return { endpoint: `http://127.0.0.1:${port}`, child };
}

interface ArchiveFigure {
  events: number;
  batches: number;
  seconds: number;
  bytes: number;
  uncompressedBytes: number;
  verifySeconds: number;
  verified: number;
}

/**
 * Archives the seeded chain of `knex` (seq 1..events, plus one newer event
 * as the head, which stays hot) with the cold archive's own code to s3rver
 * through @aws-sdk/client-s3, timing ColdArchive.run(), then verifies the
 * whole chain across tiers (every object fetched, manifest and hashes
 * checked, every event re-hashed).
 */
async function measureArchive(
  knex: Knex,
  events: number,
  o: Options,
  tmp: string,
): Promise<ArchiveFigure> {
  const store = new AuditStore(knex);
  const last = sampleEvent(events, 'seed');
  // the head: appended as the plugin would, after the seeded events
  await store.append([{ ...sampleEvent(events + 1, 'seed') }]);
  const s3Dir = await fs.mkdtemp(path.join(tmp, 's3rver-'));
  const bucket = 'bench-audit';
  const s3 = await startS3rverProcess(s3Dir, bucket);
  const storage = new ColdStorage({
    bucket,
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    prefix: 'audit/',
  });
  try {
    const signer = await CheckpointSigner.fromConfig(new ConfigReader({}));
    // a clock 91 days after the last seeded event: all of them are due
    const now = new Date(Date.parse(last.at) + 91 * 86_400_000);
    const archive = new ColdArchive({
      store,
      storage,
      signer,
      logger: {
        info: () => {},
        warn: m => log(`  warn: ${m}`),
        error: m => log(`  error: ${m}`),
        debug: () => {},
        child: () => undefined as any,
      },
      batchSize: o.archiveBatch,
      pageSize: o.pageSize,
      now: () => now,
    });
    let t = performance.now();
    const result = await archive.run();
    const seconds = (performance.now() - t) / 1000;
    if (result.events !== events) {
      throw new CheckFailed(
        `archive: expected ${events} events archived, got ${result.events}`,
      );
    }
    const hot = await knex('audit_events').count({ n: '*' }).first();
    if (Number(hot!.n) !== 1) {
      throw new CheckFailed(`archive: ${hot!.n} events left hot, expected 1`);
    }
    const records = await archive.archiveStore.batches();
    log(
      `  archived ${fmtInt(events)} in ${seconds.toFixed(2)} s (${
        records.length
      } batches)`,
    );
    t = performance.now();
    const verified = await verifyChain(
      store,
      o.pageSize,
      undefined,
      archive.tier(),
      { workers: o.verifyWorkers },
    );
    const verifySeconds = (performance.now() - t) / 1000;
    if (!verified.ok || verified.verified !== events + 1) {
      throw new CheckFailed(
        `archive: does not verify across tiers: ${JSON.stringify(verified)}`,
      );
    }
    log(`  verified across tiers in ${verifySeconds.toFixed(2)} s`);
    return {
      events,
      batches: records.length,
      seconds,
      bytes: records.reduce((n, b) => n + b.objectBytes, 0),
      uncompressedBytes: records.reduce((n, b) => n + b.uncompressedBytes, 0),
      verifySeconds,
      verified: verified.verified,
    };
  } finally {
    storage.destroy();
    s3.child.kill();
    await once(s3.child, 'exit').catch(() => {});
  }
}

// --- output ---------------------------------------------------------------------

const passFail = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

// --- main -----------------------------------------------------------------------

async function main(argv: string[]): Promise<number> {
  const o = parseOptions(argv);
  const server = new PgServer(o.pg!);
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dezky-bench-audit-'));
  const open: Knex[] = [];
  const cleanup = async () => {
    for (const k of open.splice(0)) await k.destroy().catch(() => {});
    await server.close().catch(() => {});
    await fs.rm(tmp, { recursive: true, force: true });
  };
  onInterrupt(cleanup);

  try {
    console.log('Dezky audit chain benchmark');
    console.log(`machine:  ${machineLine()}`);
    console.log(`commit:   ${gitCommit()}`);
    console.log(
      `postgres: ${await server.describe()}${
        o.ownPostgres ? ' (throwaway, scripts/lib/postgres.sh)' : ''
      }`,
    );
    if (o.sqlite) {
      console.log(`sqlite:   better-sqlite3, a file in ${tmp}`);
    }
    console.log(
      `appends:  ${fmtInt(o.events)} events per scenario, ${
        o.concurrency
      } concurrent callers per instance, AuditService batches <= 500`,
    );
    console.log(
      `verify:   ${fmtInt(
        o.verifyEvents,
      )} seeded events, verifyChain page size ${fmtInt(o.pageSize)}, ${
        o.verifyWorkers
      } worker threads (and one thread, for comparison)`,
    );
    if (o.archiveEvents > 0) {
      console.log(
        `archive:  ${fmtInt(
          o.archiveEvents,
        )} events to s3rver (a child process), batches of ${fmtInt(
          o.archiveBatch,
        )}, then verified across tiers`,
      );
    }
    console.log('');

    // 1. appends
    const appendRows: AppendFigure[] = [];
    {
      log(`PostgreSQL, two instances: ${fmtInt(o.events)} events`);
      const db = await createDatabase(server, 'two');
      open.push(db.knex);
      const results = await measureAppends(o, 2, { connection: db.connection });
      await checkChain(db.knex, o.events, 'PostgreSQL, two instances');
      appendRows.push(...appendFigures('PostgreSQL, 2 instances', results));
    }
    {
      log(`PostgreSQL, one instance: ${fmtInt(o.events)} events`);
      const db = await createDatabase(server, 'one');
      open.push(db.knex);
      const results = await measureAppends(o, 1, { connection: db.connection });
      await checkChain(db.knex, o.events, 'PostgreSQL, one instance');
      appendRows.push(...appendFigures('PostgreSQL, 1 instance', results));
    }
    if (o.sqlite) {
      log(`SQLite, one instance: ${fmtInt(o.events)} events`);
      const db = await createSqlite(tmp, 'appends');
      await db.knex.destroy(); // the worker is the only writer
      const results = await measureAppends(o, 1, { sqlite: db.config });
      const check = knexFactory(db.config);
      open.push(check);
      await checkChain(check, o.events, 'SQLite, one instance');
      appendRows.push(...appendFigures('SQLite (file), 1 instance', results));
    }

    // 2. verify
    const verifyRows: VerifyFigure[] = [];
    let verifyPg: Knex | undefined;
    let seeding: Awaited<ReturnType<typeof seedChain>> | undefined;
    if (o.verifyEvents > 0) {
      log(`seeding ${fmtInt(o.verifyEvents)} chained events`);
      const pg = await createDatabase(server, 'verify');
      open.push(pg.knex);
      verifyPg = pg.knex;
      const sqlite = o.sqliteVerify
        ? await createSqlite(tmp, 'verify')
        : undefined;
      if (sqlite) open.push(sqlite.knex);
      seeding = await seedChain(o.verifyEvents, pg.knex, sqlite?.knex);
      log(
        `  seeded: chain computed in ${(seeding.hash / 1000).toFixed(
          1,
        )} s, PostgreSQL insert ${(seeding.pg / 1000).toFixed(1)} s${
          sqlite
            ? `, SQLite insert ${(seeding.sqlite / 1000).toFixed(1)} s`
            : ''
        }`,
      );
      verifyRows.push(
        await measureVerify(
          'PostgreSQL',
          pg.knex,
          o.verifyEvents,
          o.pageSize,
          o.verifyWorkers,
          o.verifyRuns,
        ),
      );
      if (sqlite) {
        verifyRows.push(
          await measureVerify(
            'SQLite (file)',
            sqlite.knex,
            o.verifyEvents,
            o.pageSize,
            o.verifyWorkers,
            o.verifyRuns,
          ),
        );
      }
    }

    // 3. archive
    let archiveFigure: ArchiveFigure | undefined;
    if (o.archiveEvents > 0) {
      let knex = verifyPg;
      if (!knex || o.archiveEvents !== o.verifyEvents) {
        log(
          `seeding ${fmtInt(o.archiveEvents)} chained events for the archive`,
        );
        const pg = await createDatabase(server, 'archive');
        open.push(pg.knex);
        await seedChain(o.archiveEvents, pg.knex);
        knex = pg.knex;
      } else {
        log('archive: reusing the verify seed (PostgreSQL)');
      }
      archiveFigure = await measureArchive(knex, o.archiveEvents, o, tmp);
    }

    // 4. results
    console.log('');
    console.log(
      'Appends (record() through AuditService, each resolved when committed)',
    );
    console.log(
      table([
        [
          'scenario',
          'events',
          'seconds',
          'events/s',
          'transactions',
          'events/tx',
        ],
        ...appendRows.map(r => [
          r.label,
          fmtInt(r.events),
          r.seconds.toFixed(2),
          fmtInt(r.events / r.seconds),
          fmtInt(r.batches),
          (r.events / r.batches).toFixed(1),
        ]),
      ]),
    );
    if (verifyRows.length) {
      console.log('');
      console.log(
        `Verify (verifyChain over ${fmtInt(
          o.verifyEvents,
        )} events, page size ${fmtInt(o.pageSize)}; ${
          o.verifyWorkers
        } worker threads asked for)`,
      );
      const load = (l: number[]) => l.map(x => x.toFixed(2)).join(' ');
      console.log(
        table([
          [
            'database',
            'hashing',
            'events',
            'seconds',
            'events/s',
            'CPU s',
            'main CPU s',
            'check s',
            'check CPU s',
            'pages',
          ],
          ...verifyRows.flatMap(r =>
            [r.parallel, r.oneThread].map(run => [
              r.label,
              run.stats.workers
                ? `${run.stats.workers} worker threads${
                    run.stats.rangesOnWorkers ? ', reading' : ''
                  }`
                : 'one thread',
              fmtInt(r.events),
              run.seconds.toFixed(2),
              fmtInt(r.events / run.seconds),
              run.cpuSeconds.toFixed(2),
              run.mainCpuSeconds.toFixed(2),
              ((run.stats.checkMs ?? 0) / 1000).toFixed(2),
              ((run.stats.checkCpuMs ?? 0) / 1000).toFixed(2),
              fmtInt(run.stats.pagesOnWorkers + run.stats.pagesInThread),
            ]),
          ),
        ]),
      );
      console.log(
        table([
          [
            'database',
            'read only s',
            'its CPU s',
            'hash only s (one thread)',
            'its CPU s',
            'load before',
            'load after',
          ],
          ...verifyRows.map(r => [
            r.label,
            r.readSeconds.toFixed(2),
            r.readCpuSeconds.toFixed(2),
            r.hashSeconds.toFixed(2),
            r.hashCpuSeconds.toFixed(2),
            load(r.loadBefore),
            load(r.loadAfter),
          ]),
        ]),
      );
      console.log(
        '(hashing: where pages were checked — "reading": the workers read ranges of the table themselves, each on its own connection; ' +
          'seconds: the walk, wall; CPU s: this process, every thread; main CPU s: the thread that calls verifyChain (reads the pages, unless the workers do); ' +
          'check s: time checking pages — on the workers, summed over them — and its CPU time; ' +
          'read only: rowsAfter pages without hashing; hash only: rowChainHash(rowLink(row)) on those pages in this thread; both sequential; ' +
          'load: the 1, 5, 15 minute load averages around the measurement)',
      );
    }
    if (archiveFigure) {
      const a = archiveFigure;
      console.log('');
      console.log(
        `Archive (ColdArchive.run: PostgreSQL -> s3rver, gzip, SHA-256, signed manifests, HEAD, record + delete; batches of ${fmtInt(
          o.archiveBatch,
        )})`,
      );
      console.log(
        table([
          [
            'measurement',
            'events',
            'batches',
            'seconds',
            'events/s',
            'MB gzip',
            'MB JSON',
          ],
          [
            'archive',
            fmtInt(a.events),
            fmtInt(a.batches),
            a.seconds.toFixed(2),
            fmtInt(a.events / a.seconds),
            (a.bytes / 1e6).toFixed(1),
            (a.uncompressedBytes / 1e6).toFixed(1),
          ],
          [
            'verify across tiers',
            fmtInt(a.verified),
            fmtInt(a.batches),
            a.verifySeconds.toFixed(2),
            fmtInt(a.verified / a.verifySeconds),
            '',
            '',
          ],
        ]),
      );
    }
    console.log('');
    const two = appendRows[0];
    const rate = two.events / two.seconds;
    console.log(
      `appends, PostgreSQL, two instances = ${fmtInt(
        rate,
      )} events/s (target >= ${fmtInt(APPEND_TARGET)}): ${passFail(
        rate >= APPEND_TARGET,
      )}`,
    );
    for (const v of verifyRows) {
      const run = v.parallel;
      const perMillion = (run.seconds / v.events) * 1_000_000;
      const scaled =
        v.events === 1_000_000
          ? ''
          : ` (${perMillion.toFixed(2)} s per 1,000,000)`;
      console.log(
        `verify, ${v.label} = ${fmtInt(v.events)} in ${run.seconds.toFixed(
          2,
        )} s${scaled} on ${run.stats.workers} worker threads${
          v.parallelSeconds.length > 1
            ? ` (median of ${v.parallelSeconds
                .map(x => x.toFixed(2))
                .join(', ')} s)`
            : ''
        }, ${fmtInt(
          v.events / run.seconds,
        )} events/s (read only ${v.readSeconds.toFixed(
          2,
        )} s, hash only ${v.hashSeconds.toFixed(
          2,
        )} s in one thread; one thread ${v.oneThread.seconds.toFixed(
          2,
        )} s) (target 1,000,000 < ${VERIFY_TARGET_SECONDS_PER_MILLION} s): ${passFail(
          perMillion < VERIFY_TARGET_SECONDS_PER_MILLION,
        )}`,
      );
    }
    if (archiveFigure) {
      console.log(
        `archive, PostgreSQL -> s3rver = ${fmtInt(
          archiveFigure.events / archiveFigure.seconds,
        )} events/s (${fmtInt(
          archiveFigure.events,
        )} in ${archiveFigure.seconds.toFixed(2)} s; no target)`,
      );
    }
    return 0;
  } finally {
    await cleanup();
  }
}

runMain(main, USAGE, 3000);
