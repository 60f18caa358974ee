/*
 * Verifies an audit export (GET /api/audit/export, NDJSON) offline: every
 * event's hash and link, seq continuity and every checkpoint's signature and
 * head, without the database. Streams the file line by line.
 * Run through scripts/audit-verify (see docs/audit.md, "Offline verification").
 * Exits 0 when it verifies, 1 on a break, 2 on bad usage or an unreadable file.
 */
import { promises as fs } from 'fs';
import readline from 'readline';
import {
  AuditExportVerifyResult,
  AuditJwks,
  verifyExport,
} from '../../plugins/audit-backend/src/services/verifyExport';

const USAGE = `usage: scripts/audit-verify <export.ndjson | -> [--keys jwks.json] [--json]
  <export.ndjson>   an export from GET /api/audit/export; - reads standard input
  --keys FILE       the JWKS from GET /api/audit/keys to check the checkpoint
                    signatures with (default: the keys inside the export)
  --json            print the result as JSON
Exits 0 when the export verifies, 1 on a break, 2 on bad usage or an unreadable file.
`;

class UsageError extends Error {}

function parseArgs(argv: string[]) {
  let file: string | undefined;
  let keys: string | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') json = true;
    else if (arg === '--keys') {
      keys = argv[++i];
      if (!keys) throw new UsageError('--keys needs a file');
    } else if (arg.startsWith('--keys=')) keys = arg.slice('--keys='.length);
    else if (arg.startsWith('-') && arg !== '-') {
      throw new UsageError(`unknown option ${arg}`);
    } else if (file === undefined) file = arg;
    else throw new UsageError('one export file only');
  }
  if (!file) throw new UsageError('no export file');
  return { file, keys, json };
}

async function readKeys(file: string): Promise<AuditJwks> {
  const jwks = JSON.parse(await fs.readFile(file, 'utf8'));
  if (!Array.isArray(jwks?.keys)) {
    throw new Error(`${file} is not a JWKS ({ "keys": [...] })`);
  }
  return jwks;
}

async function lines(file: string): Promise<readline.Interface> {
  const input =
    file === '-'
      ? process.stdin
      : (await fs.open(file, 'r')).createReadStream({ encoding: 'utf8' });
  return readline.createInterface({ input, crlfDelay: Infinity });
}

const count = (n: number, noun: string) =>
  `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;

function describe(r: AuditExportVerifyResult): string {
  if (r.break) {
    const b = r.break;
    return `BROKEN at seq ${b.seq}: ${b.kind} (expected ${b.expected}, actual ${b.actual})`;
  }
  const range = r.head ? ` (seq ${r.fromSeq}–${r.head.seq})` : '';
  const anchor = r.anchoredAtGenesis
    ? 'anchored at genesis'
    : `anchored at seq ${r.anchor?.seq} hash ${r.anchor?.hash} (trusted, not verified)`;
  return `ok: ${count(r.verified, 'event')}${range}, ${count(
    r.checkpoints,
    'checkpoint',
  )} verified${r.head ? `, ${anchor}` : ''}`;
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`audit-verify: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  let result: AuditExportVerifyResult;
  try {
    const keys = args.keys ? await readKeys(args.keys) : undefined;
    result = await verifyExport(await lines(args.file), { keys });
  } catch (e) {
    process.stderr.write(
      `audit-verify: ${args.file}: ${(e as Error).message}\n`,
    );
    return 2;
  }
  const checkedSignatures =
    result.checkpoints > 0 || result.break?.kind.startsWith('checkpoint-');
  if (!args.keys && checkedSignatures) {
    process.stderr.write(
      'audit-verify: warning: the checkpoint signatures were checked with the keys inside the export; ' +
        'whoever could rewrite the file could rewrite those too. Pass --keys with the JWKS from ' +
        'GET /api/audit/keys to be sure.\n',
    );
  }
  const lastSigned = result.signedHead?.seq;
  if (result.ok && result.head && (lastSigned ?? 0) < result.head.seq) {
    process.stderr.write(
      `audit-verify: note: no signed checkpoint in this export covers ${
        lastSigned ? `seq ${lastSigned + 1}–${result.head.seq}` : 'its events'
      }: they are consistent, but no signature vouches for them.\n`,
    );
  }
  if (args.json) {
    process.stdout.write(
      `${JSON.stringify({ ...result, keysFrom: args.keys ?? 'export' })}\n`,
    );
  } else {
    process.stdout.write(`${describe(result)}\n`);
  }
  return result.ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  code => {
    process.exitCode = code;
  },
  e => {
    process.stderr.write(`audit-verify: ${e?.stack ?? e}\n`);
    process.exitCode = 2;
  },
);
