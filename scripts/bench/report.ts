/*
 * What every benchmark shares: what it prints around its figures (aligned
 * tables, the commit, the machine, progress), its timings, its command
 * line and how it ends (exit codes, clean-up on Ctrl-C).
 */
import { execFileSync } from 'child_process';
import os from 'os';
import path from 'path';
import { performance } from 'perf_hooks';

const repoRoot = path.resolve(__dirname, '../..');

/**
 * An aligned text table: the first row is the header; the first
 * `leftColumns` columns are left-aligned (names), the rest right-aligned.
 */
export function table(rows: string[][], leftColumns = 1): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map(r => r[c].length)));
  const line = (r: string[]) =>
    r
      .map((cell, c) =>
        c < leftColumns ? cell.padEnd(widths[c]) : cell.padStart(widths[c]),
      )
      .join('  ');
  return [
    line(rows[0]),
    widths.map(w => '-'.repeat(w)).join('  '),
    ...rows.slice(1).map(line),
  ].join('\n');
}

/** The short commit the figures belong to, marked when the tree is dirty. */
export function gitCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: repoRoot,
      encoding: 'utf8',
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], {
      cwd: repoRoot,
      encoding: 'utf8',
    }).trim();
    return dirty ? `${sha} (with uncommitted changes)` : sha;
  } catch {
    return 'unknown';
  }
}

/** The machine the figures were measured on: CPUs, memory, OS, Node, load. */
export function machineLine(): string {
  const cpus = os.cpus();
  const load = os
    .loadavg()
    .map(l => l.toFixed(2))
    .join(' ');
  return `${cpus.length} CPUs (${cpus[0]?.model ?? '?'}), ${(
    os.totalmem() /
    1024 ** 3
  ).toFixed(0)} GiB RAM, ${os.platform()} ${os.release()}; node ${
    process.version
  }; load average ${load}`;
}

const started = performance.now();

/** A progress line, prefixed with the seconds since the bench started. */
export function log(message: string): void {
  const secs = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
  process.stdout.write(`[${secs} s] ${message}\n`);
}

/** A whole number with thousands separators, e.g. 1,000,000. */
export const fmtInt = (n: number): string =>
  Math.round(n).toLocaleString('en-US');

/** A whole-number option `--name N` (at least 1) from the command line, else `fallback`. */
export function intOption(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(
      `--${name} needs a whole number, got ${process.argv[i + 1]}`,
    );
  }
  return value;
}

/** A deterministic random number in [0, 1) (mulberry32), so every run seeds the same. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Median, p95 and maximum of a set of samples. */
export interface Timing {
  median: number;
  p95: number;
  max: number;
}

/** Nearest-rank percentile (`p` in percent) of sorted numbers. */
export const percentile = (sorted: number[], p: number): number =>
  sorted[
    Math.min(
      sorted.length - 1,
      Math.max(0, Math.ceil((p / 100) * sorted.length) - 1),
    )
  ];

export function timing(samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    median: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    max: sorted[sorted.length - 1],
  };
}

/** Milliseconds as printed: two decimals below 10, else one. */
export const ms = (x: number): string => x.toFixed(x < 10 ? 2 : 1);

/** A bad command line: the message and the usage, exit code 2. */
export class UsageError extends Error {}
/** A figure or answer that is not what it should be: the message alone, exit code 1. */
export class CheckFailed extends Error {}

/** The keys of `O` whose values are numbers. */
type NumberKeys<O> = {
  [K in keyof O]: O[K] extends number ? K : never;
}[keyof O] &
  string;

/**
 * The command line into `o`: the whole-number options `--name N` of `ints`
 * (at least 1, read by {@link intOption} in this order; their defaults in
 * `o`), options without a value (`flags`) and with one (`values`: each
 * gets the next word, undefined at the end). `-h` or `--help` prints
 * `usage` and exits; anything else, or a bad number, is a UsageError.
 */
export function parseArgs<O extends object>(
  argv: string[],
  o: O,
  spec: {
    usage: string;
    ints: ReadonlyArray<NumberKeys<O>>;
    flags?: Record<string, () => void>;
    values?: Record<string, (value: string | undefined) => void>;
  },
): void {
  const ints = spec.ints.map(name => `--${name}`);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      process.stdout.write(spec.usage);
      process.exit(0);
    }
    const flag = spec.flags?.[arg];
    const value = spec.values?.[arg];
    if (flag) {
      flag();
    } else if (value) {
      value(argv[++i]);
    } else if (ints.includes(arg)) {
      i++;
    } else {
      throw new UsageError(`unknown option: ${arg}`);
    }
  }
  const numbers = o as Record<string, number>;
  try {
    for (const name of spec.ints)
      numbers[name] = intOption(name, numbers[name]);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/**
 * On SIGINT or SIGTERM: says `what` on stderr (null: nothing), runs
 * `cleanup` and exits 130. Output piped into `head` and the like: keeps
 * running.
 */
export function onInterrupt(
  cleanup: () => Promise<unknown>,
  what: string | null = 'cleaning up',
): void {
  const onSignal = (signal: NodeJS.Signals) => {
    if (what !== null) process.stderr.write(`\n${signal}: ${what}\n`);
    cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.stdout.on('error', () => {});
}

/**
 * Runs the bench's `main` and exits with its code: 2 after a UsageError
 * (its message and `usage`), 1 after any other failure (a CheckFailed's
 * message, else the stack; cut at `maxChars`, as knex errors quote their
 * SQL).
 */
export function runMain(
  main: (argv: string[]) => Promise<number>,
  usage: string,
  maxChars = Infinity,
): void {
  main(process.argv.slice(2)).then(
    code => process.exit(code),
    e => {
      if (e instanceof UsageError) {
        process.stderr.write(`${e.message}\n${usage}`);
        process.exit(2);
      }
      const text = String(e instanceof CheckFailed ? e.message : e?.stack ?? e);
      process.stderr.write(
        `\nFAILED: ${
          text.length > maxChars ? `${text.slice(0, maxChars)} …` : text
        }\n`,
      );
      process.exit(1);
    },
  );
}
