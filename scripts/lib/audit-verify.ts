/*
 * Verifies an audit export (GET /api/audit/export, NDJSON) offline: every
 * event's hash and link, seq continuity and every checkpoint's signature and
 * head, without the database. Streams the file line by line.
 * Run through scripts/audit-verify (see docs/audit.md, "Offline verification").
 * Exits 0 when it verifies, 1 on a break, 2 on bad usage or an unreadable file.
 *
 * Subcommands `checkpoint`, `inclusion` and `consistency` check the Merkle
 * tree's signed checkpoints and proofs (docs/audit.md, "Merkle tree and
 * proofs"); same exit codes.
 */
import { promises as fs } from 'fs';
import readline from 'readline';
import {
  AuditExportVerifyResult,
  AuditJwks,
  CheckResult,
  NoteError,
  NoteVerifier,
  ProofFormatError,
  VerifiedCheckpoint,
  checkCheckpointNote,
  checkConsistency,
  checkInclusion,
  encodeBase64,
  parseVerifierKey,
  parseVerifierKeys,
  verifyExport,
} from '@internal/plugin-audit-common';

const USAGE = `usage: scripts/audit-verify <export.ndjson | -> [--keys jwks.json] [--json]
  <export.ndjson>   an export from GET /api/audit/export; - reads standard input
  --keys FILE       the JWKS from GET /api/audit/keys to check the checkpoint
                    signatures with (default: the keys inside the export)
  --json            print the result as JSON
Exits 0 when the export verifies, 1 on a break, 2 on bad usage or an unreadable file.

The Merkle tree (docs/audit.md, "Merkle tree and proofs"):
  scripts/audit-verify checkpoint <note.txt | -> --key KEY [--json]
  scripts/audit-verify inclusion --note NOTE --key KEY --proof PROOF.json
                                 --event-hash HEX [--consistency PROOF.json] [--json]
  scripts/audit-verify consistency --old-note NOTE --new-note NOTE --key KEY
                                   --proof PROOF.json [--json]
Run a subcommand with --help for details.
`;

const MERKLE_USAGE = `usage:
  scripts/audit-verify checkpoint <note.txt | -> --key KEY [--json]
      verifies the signature of a checkpoint (GET /api/audit/checkpoint) and
      prints its tree size and root hash
  scripts/audit-verify inclusion --note NOTE --key KEY --proof PROOF.json
                                 --event-hash HEX [--consistency PROOF.json] [--json]
      verifies the checkpoint, then that the event with hash HEX is leaf
      leafIndex (seq leafIndex + 1) of the tree it signs, with the proof of
      GET /api/audit/proofs/inclusion?seq=S&treeSize=N (N = the checkpoint's
      size; for a smaller N also give --consistency, the proof of
      GET /api/audit/proofs/consistency?from=N&to=<the checkpoint's size>)
  scripts/audit-verify consistency --old-note NOTE --new-note NOTE --key KEY
                                   --proof PROOF.json [--json]
      verifies both checkpoints, then that the older tree is a prefix of the
      newer, with the proof of GET /api/audit/proofs/consistency?from=M&to=N
  KEY     a note verifier key (<name>+<hash>+<key>, the noteKeys of
          GET /api/audit/keys), or a file with one a line, or that JSON;
          may be given more than once
  --json  print the result as JSON
Exits 0 when it verifies, 1 when it does not, 2 on bad usage or an unreadable file.
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

/* ---------------------------------------------------------------------------
 * Merkle tree subcommands
 */

type MerkleCommand = 'checkpoint' | 'inclusion' | 'consistency';
const MERKLE_COMMANDS: readonly string[] = [
  'checkpoint',
  'inclusion',
  'consistency',
];

/** The value options of each subcommand (besides --key, --json). */
const MERKLE_OPTIONS: Record<MerkleCommand, string[]> = {
  checkpoint: ['note'],
  inclusion: ['note', 'proof', 'event-hash', 'consistency'],
  consistency: ['old-note', 'new-note', 'proof'],
};
const REQUIRED: Record<MerkleCommand, string[]> = {
  checkpoint: ['note'],
  inclusion: ['note', 'proof', 'event-hash'],
  consistency: ['old-note', 'new-note', 'proof'],
};

function parseMerkleArgs(command: MerkleCommand, argv: string[]) {
  const values = new Map<string, string>();
  const keys: string[] = [];
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') {
      json = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      // checkpoint <note.txt>
      if (command === 'checkpoint' && !values.has('note')) {
        values.set('note', arg);
        continue;
      }
      throw new UsageError(`unexpected argument ${arg}`);
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const value = eq < 0 ? argv[++i] : arg.slice(eq + 1);
    if (name !== 'key' && !MERKLE_OPTIONS[command].includes(name)) {
      throw new UsageError(`unknown option --${name} for ${command}`);
    }
    if (value === undefined || value === '') {
      throw new UsageError(`--${name} needs a value`);
    }
    if (name === 'key') keys.push(value);
    else if (values.has(name)) throw new UsageError(`--${name} given twice`);
    else values.set(name, value);
  }
  for (const name of REQUIRED[command]) {
    if (!values.has(name)) throw new UsageError(`${command} needs --${name}`);
  }
  if (!keys.length) {
    throw new UsageError(
      `${command} needs --key: the note verifier key (noteKeys of GET /api/audit/keys), kept from before`,
    );
  }
  return { values, keys, json };
}

/** An input the check cannot read (exit 2), not a failed check. */
class InputFileError extends Error {}

async function readInput(file: string): Promise<string> {
  try {
    if (file === '-') {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk));
      return Buffer.concat(chunks).toString('utf8');
    }
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new InputFileError(`${file}: ${(e as Error).message}`);
  }
}

async function readJson(file: string): Promise<unknown> {
  const text = await readInput(file);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputFileError(`${file}: not JSON: ${(e as Error).message}`);
  }
}

/** Each --key: a verifier key itself, else a file of them (or the keys JSON). */
async function readVerifierKeys(args: string[]): Promise<NoteVerifier[]> {
  const out: NoteVerifier[] = [];
  for (const arg of args) {
    try {
      out.push(parseVerifierKey(arg));
      continue;
    } catch {
      // not a key: a file
    }
    const text = await readInput(arg);
    try {
      out.push(...parseVerifierKeys(text));
    } catch (e) {
      throw new InputFileError(`${arg}: ${(e as Error).message}`);
    }
  }
  return out;
}

const summary = (c: VerifiedCheckpoint) => ({
  origin: c.origin,
  treeSize: c.treeSize,
  rootHash: encodeBase64(c.rootHash),
  key: `${c.signedBy.name}+${c.signedBy.keyHash.toString(16).padStart(8, '0')}`,
});

async function runMerkle(
  command: MerkleCommand,
  argv: string[],
): Promise<number> {
  let args: ReturnType<typeof parseMerkleArgs>;
  try {
    args = parseMerkleArgs(command, argv);
  } catch (e) {
    process.stderr.write(
      `audit-verify: ${(e as Error).message}\n${MERKLE_USAGE}`,
    );
    return 2;
  }
  const out = (result: Record<string, unknown>, text: string) => {
    process.stdout.write(
      args.json ? `${JSON.stringify(result)}\n` : `${text}\n`,
    );
  };
  const failed = (reason: string) => {
    out({ ok: false, reason }, `FAILED: ${reason}`);
    return 1;
  };
  try {
    const keys = await readVerifierKeys(args.keys);
    const openNote = async (option: string) => {
      const file = args.values.get(option)!;
      const opened = await checkCheckpointNote(await readInput(file), keys);
      return opened.ok
        ? opened
        : { ok: false as const, reason: `${file}: ${opened.reason}` };
    };

    if (command === 'checkpoint') {
      const opened = await openNote('note');
      if (!opened.ok) return failed(opened.reason);
      const c = summary(opened.checkpoint);
      out(
        { ok: true, ...c },
        `ok: ${c.origin} tree size ${c.treeSize}, root ${c.rootHash} (signed by ${c.key})`,
      );
      return 0;
    }

    if (command === 'inclusion') {
      const opened = await openNote('note');
      if (!opened.ok) return failed(opened.reason);
      const consistencyFile = args.values.get('consistency');
      const result: CheckResult = checkInclusion({
        checkpoint: opened.checkpoint,
        proof: await readJson(args.values.get('proof')!),
        eventHash: args.values.get('event-hash')!,
        consistency: consistencyFile
          ? await readJson(consistencyFile)
          : undefined,
      });
      if (!result.ok) return failed(result.reason);
      out(
        { ok: true, checkpoint: summary(opened.checkpoint) },
        `ok: ${result.message}`,
      );
      return 0;
    }

    const older = await openNote('old-note');
    if (!older.ok) return failed(older.reason);
    const newer = await openNote('new-note');
    if (!newer.ok) return failed(newer.reason);
    const result = checkConsistency({
      older: older.checkpoint,
      newer: newer.checkpoint,
      proof: await readJson(args.values.get('proof')!),
    });
    if (!result.ok) return failed(result.reason);
    out(
      {
        ok: true,
        old: summary(older.checkpoint),
        new: summary(newer.checkpoint),
      },
      `ok: ${result.message}`,
    );
    return 0;
  } catch (e) {
    if (
      e instanceof InputFileError ||
      e instanceof ProofFormatError ||
      e instanceof NoteError
    ) {
      process.stderr.write(`audit-verify: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

async function main(argv: string[]): Promise<number> {
  if (MERKLE_COMMANDS.includes(argv[0])) {
    if (argv.includes('--help') || argv.includes('-h')) {
      process.stdout.write(MERKLE_USAGE);
      return 0;
    }
    return runMerkle(argv[0] as MerkleCommand, argv.slice(1));
  }
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
