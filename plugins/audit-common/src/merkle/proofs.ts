/*
 * Checks of signed checkpoints and proofs as the API serves them (docs/audit.md,
 * "Merkle tree and proofs"): the note, the verifier key, the proof JSON.
 * scripts/audit-verify runs them offline, the portal in the browser
 * ("Prove inclusion").
 */
import { decodeBase64, decodeHex, encodeBase64, equalBytes } from '../bytes';
import { AuditConsistencyProof, AuditInclusionProof } from '../types';
import {
  HASH_SIZE,
  leafHash,
  verifyConsistency,
  verifyInclusion,
} from './rfc9162';
import {
  NoteError,
  NoteVerifier,
  VerifiedCheckpoint,
  openCheckpoint,
  parseVerifierKey,
} from './note';

/** A proof file that is not a proof (bad input, not a failed check). */
export class ProofFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProofFormatError';
  }
}

/** The outcome of a check: ok, or why not. */
export type CheckResult =
  | { ok: true; message: string }
  | { ok: false; reason: string };

/** A 32-byte hash written as 64 hex digits or as base64; throws ProofFormatError. */
export function decodeHash(text: unknown): Uint8Array {
  if (typeof text === 'string') {
    const b = /^[0-9a-fA-F]{64}$/.test(text)
      ? decodeHex(text)
      : decodeBase64(text);
    if (b?.length === HASH_SIZE) return b;
  }
  throw new ProofFormatError(
    `not a 32-byte hash (hex or base64): ${JSON.stringify(text)}`,
  );
}

const isCount = (n: unknown, min: number): n is number =>
  typeof n === 'number' && Number.isSafeInteger(n) && n >= min;

/** Reads the JSON of an inclusion proof (hashes base64 or hex); throws ProofFormatError. */
export function parseInclusionProof(json: unknown): {
  leafIndex: number;
  treeSize: number;
  hashes: Uint8Array[];
  rootHash?: Uint8Array;
} {
  const p = json as Partial<AuditInclusionProof>;
  if (
    !p ||
    !isCount(p.leafIndex, 0) ||
    !isCount(p.treeSize, 1) ||
    !Array.isArray(p.hashes)
  ) {
    throw new ProofFormatError(
      'an inclusion proof is { "leafIndex", "treeSize", "hashes": [...] }',
    );
  }
  return {
    leafIndex: p.leafIndex,
    treeSize: p.treeSize,
    hashes: p.hashes.map(decodeHash),
    rootHash: p.rootHash === undefined ? undefined : decodeHash(p.rootHash),
  };
}

/** Reads the JSON of a consistency proof; throws ProofFormatError. */
export function parseConsistencyProof(json: unknown): {
  from?: number;
  to?: number;
  hashes: Uint8Array[];
} {
  const p = json as Partial<AuditConsistencyProof>;
  if (
    !p ||
    !Array.isArray(p.hashes) ||
    (p.from !== undefined && !isCount(p.from, 1)) ||
    (p.to !== undefined && !isCount(p.to, 1))
  ) {
    throw new ProofFormatError(
      'a consistency proof is { "hashes": [...] } (with "from" and "to")',
    );
  }
  return { from: p.from, to: p.to, hashes: p.hashes.map(decodeHash) };
}

/**
 * The verifier keys in `text`: one verifier key string, several (one a
 * line), or the JSON of GET /api/audit/keys (its `noteKeys`). Throws
 * NoteError when there is none or one is malformed.
 */
export function parseVerifierKeys(text: string): NoteVerifier[] {
  const trimmed = text.trim();
  let vkeys: string[];
  if (trimmed.startsWith('{')) {
    let json: { noteKeys?: unknown };
    try {
      json = JSON.parse(trimmed);
    } catch (e) {
      throw new NoteError(`not JSON: ${(e as Error).message}`);
    }
    if (
      !Array.isArray(json.noteKeys) ||
      !json.noteKeys.every(k => typeof k === 'string')
    ) {
      throw new NoteError('the keys JSON has no "noteKeys": [...]');
    }
    vkeys = json.noteKeys;
  } else {
    vkeys = trimmed.split(/\r?\n/).filter(l => l.trim() && !l.startsWith('#'));
  }
  if (!vkeys.length) throw new NoteError('no verifier key');
  return vkeys.map(parseVerifierKey);
}

/** Opens a checkpoint note with the keys; a failure is a result, not a rejection. */
export async function checkCheckpointNote(
  note: string,
  keys: readonly NoteVerifier[],
): Promise<
  { ok: true; checkpoint: VerifiedCheckpoint } | { ok: false; reason: string }
> {
  try {
    return { ok: true, checkpoint: await openCheckpoint(note, keys) };
  } catch (e) {
    if (e instanceof NoteError) return { ok: false, reason: e.message };
    throw e;
  }
}

const b64 = encodeBase64;

/**
 * That the event with `eventHash` (hex) is leaf `proof.leafIndex` (seq =
 * leafIndex + 1) of the tree `checkpoint` signs — with `seq`, also that the
 * proof is for that event's leaf (seq − 1).
 *
 * The checkpoint is one verified with openCheckpoint (offline), or read with
 * parseCheckpointNote (the portal, which has no key to verify it with); its
 * `rootHash` as bytes or base64. A proof for the checkpoint's own size is
 * checked against its root. A proof for a smaller tree is checked against
 * the proof's `rootHash`, which must then be linked to the checkpoint by
 * `consistency` (a consistency proof from that size to the checkpoint's).
 * Throws ProofFormatError for a proof or hash that is not one.
 */
export function checkInclusion(options: {
  checkpoint: {
    treeSize: number;
    rootHash: Uint8Array | string;
    origin?: string;
  };
  proof: unknown;
  eventHash: string;
  seq?: number;
  consistency?: unknown;
}): CheckResult {
  const { checkpoint, seq } = options;
  const proof = parseInclusionProof(options.proof);
  let leaf: Uint8Array;
  try {
    leaf = leafHash(options.eventHash);
  } catch (e) {
    throw new ProofFormatError((e as Error).message);
  }
  if (seq !== undefined && proof.leafIndex !== seq - 1) {
    return {
      ok: false,
      reason: `the proof is for leaf ${proof.leafIndex}, not seq ${seq} (leaf ${
        seq - 1
      })`,
    };
  }
  const n = checkpoint.treeSize;
  let root =
    typeof checkpoint.rootHash === 'string'
      ? decodeHash(checkpoint.rootHash)
      : checkpoint.rootHash;
  let linked = '';
  if (proof.treeSize !== n) {
    if (proof.treeSize > n) {
      return {
        ok: false,
        reason: `the proof is for a tree of ${proof.treeSize}, the checkpoint signs ${n}`,
      };
    }
    if (!proof.rootHash || options.consistency === undefined) {
      return {
        ok: false,
        reason: `the proof is for a tree of ${proof.treeSize}, the checkpoint signs ${n}: give a consistency proof from ${proof.treeSize} to ${n} (and the proof's rootHash)`,
      };
    }
    const c = parseConsistencyProof(options.consistency);
    if (
      (c.from !== undefined && c.from !== proof.treeSize) ||
      (c.to !== undefined && c.to !== n)
    ) {
      return {
        ok: false,
        reason: `the consistency proof is from ${c.from} to ${c.to}, not from ${proof.treeSize} to ${n}`,
      };
    }
    if (!verifyConsistency(proof.treeSize, n, c.hashes, proof.rootHash, root)) {
      return {
        ok: false,
        reason: `the tree of ${proof.treeSize} with root ${b64(
          proof.rootHash,
        )} is not proven a prefix of the checkpoint's`,
      };
    }
    root = proof.rootHash;
    linked = ` (via the tree of ${proof.treeSize}, a proven prefix)`;
  } else if (proof.rootHash && !equalBytes(proof.rootHash, root)) {
    return {
      ok: false,
      reason: `the proof's rootHash ${b64(
        proof.rootHash,
      )} is not the checkpoint's root ${b64(root)}`,
    };
  }
  if (
    !verifyInclusion(proof.leafIndex, proof.treeSize, leaf, proof.hashes, root)
  ) {
    return {
      ok: false,
      reason: `event hash ${options.eventHash} is not leaf ${
        proof.leafIndex
      } (seq ${proof.leafIndex + 1}) of the tree of ${
        proof.treeSize
      }: the path does not hash to ${
        linked
          ? 'its root, a proven prefix of the signed tree'
          : 'the signed root'
      }`,
    };
  }
  return {
    ok: true,
    message: `event hash ${options.eventHash.toLowerCase()} is seq ${
      proof.leafIndex + 1
    } (leaf ${proof.leafIndex}) of the tree of ${n}${
      checkpoint.origin ? ` signed by ${checkpoint.origin}` : ''
    }${linked}`,
  };
}

/** That the tree `older` signs is a prefix of the one `newer` signs. */
export function checkConsistency(options: {
  older: VerifiedCheckpoint;
  newer: VerifiedCheckpoint;
  proof: unknown;
}): CheckResult {
  const { older, newer } = options;
  const proof = parseConsistencyProof(options.proof);
  if (older.origin !== newer.origin) {
    return {
      ok: false,
      reason: `the checkpoints are of two logs: ${older.origin} and ${newer.origin}`,
    };
  }
  const m = older.treeSize;
  const n = newer.treeSize;
  if (
    (proof.from !== undefined && proof.from !== m) ||
    (proof.to !== undefined && proof.to !== n)
  ) {
    return {
      ok: false,
      reason: `the proof is from ${proof.from} to ${proof.to}, the checkpoints sign ${m} and ${n}`,
    };
  }
  if (!verifyConsistency(m, n, proof.hashes, older.rootHash, newer.rootHash)) {
    return {
      ok: false,
      reason:
        m > n
          ? `the old checkpoint (${m}) is larger than the new one (${n})`
          : `the tree of ${m} (root ${b64(
              older.rootHash,
            )}) is not proven a prefix of the tree of ${n} (root ${b64(
              newer.rootHash,
            )})`,
    };
  }
  return {
    ok: true,
    message: `the tree of ${m} (root ${b64(
      older.rootHash,
    )}) is a prefix of the tree of ${n} (root ${b64(newer.rootHash)})`,
  };
}
