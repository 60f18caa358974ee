/* What every benchmark prints around its figures: aligned tables, the commit. */
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
