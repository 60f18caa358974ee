/*
 * Signed checkpoints of the Merkle tree as C2SP signed notes
 * (https://c2sp.org/signed-note) carrying a C2SP tlog-checkpoint
 * (https://c2sp.org/tlog-checkpoint), Ed25519 keys only:
 *
 *   dezky.example/audit                         origin
 *   12345                                       tree size
 *   2lq0Tr…=                                    base64 root hash
 *                                               blank line
 *   — dezky.example/audit AbCd…==               — key name base64(key hash ‖ signature)
 *
 * The signature is Ed25519 over the body (the first three lines, each ending
 * in a newline); the key hash is the first 4 bytes of
 * SHA-256(name ‖ 0x0A ‖ 0x01 ‖ 32-byte public key). A verifier key is
 * `<name>+<8 hex digits key hash>+<base64(0x01 ‖ public key)>`.
 *
 * No Node: signatures are verified with WebCrypto (`crypto.subtle`, Ed25519),
 * which browsers and Node 22 both have; signing takes the signer as a
 * function (the backend's key).
 */
import {
  concatBytes,
  decodeBase64,
  encodeBase64,
  readUint32,
  uint32Bytes,
  utf8,
} from '../bytes';
import { nodeBuiltin, sha256 } from '../sha256';
import { AuditCheckpointNote } from '../types';
import { HASH_SIZE } from './rfc9162';

/** The signed-note signature type of Ed25519. */
const ALG_ED25519 = 0x01;
const ED25519_KEY_SIZE = 32;
const ED25519_SIG_SIZE = 64;
const SIG_PREFIX = '\u2014 '; // "— "

/** A checkpoint: what a note's body says. */
export interface Checkpoint {
  origin: string;
  treeSize: number;
  rootHash: Uint8Array;
  /** Lines after the root hash, if any (none from this server). */
  extensions?: string[];
}

/** A public key that verifies notes. */
export interface NoteVerifier {
  name: string;
  /** The 4-byte key hash, as a number. */
  keyHash: number;
  /** The raw 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
}

/** A note that does not parse or does not verify. */
export class NoteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoteError';
  }
}

/** A key name: non-empty, no white space, no `+` (signed-note). */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name);
}

/** The 4-byte key hash of an Ed25519 key, big-endian as a number. */
export function noteKeyHash(name: string, publicKey: Uint8Array): number {
  return readUint32(
    sha256(utf8(`${name}\n`), Uint8Array.of(ALG_ED25519), publicKey),
  );
}

const hex8 = (n: number) => n.toString(16).padStart(8, '0');

/** The verifier key string, `<name>+<hex key hash>+<base64(0x01 ‖ key)>`. */
export function formatVerifierKey(name: string, publicKey: Uint8Array): string {
  if (!isValidKeyName(name)) throw new NoteError(`invalid key name "${name}"`);
  if (publicKey.length !== ED25519_KEY_SIZE) {
    throw new NoteError('an Ed25519 public key has 32 bytes');
  }
  const key = concatBytes(Uint8Array.of(ALG_ED25519), publicKey);
  return `${name}+${hex8(noteKeyHash(name, publicKey))}+${encodeBase64(key)}`;
}

/** Parses a verifier key string; throws NoteError when it is not one. */
export function parseVerifierKey(vkey: string): NoteVerifier {
  const parts = vkey.trim().split('+');
  // the base64 key may itself contain '+': name and hash are the first two parts
  const [name, hash] = parts;
  const data = decodeBase64(parts.slice(2).join('+'));
  if (
    parts.length < 3 ||
    !isValidKeyName(name) ||
    !/^[0-9a-f]{8}$/.test(hash) ||
    !data
  ) {
    throw new NoteError(
      `not a verifier key (name+hash+base64 key): ${JSON.stringify(vkey)}`,
    );
  }
  if (data.length !== 1 + ED25519_KEY_SIZE || data[0] !== ALG_ED25519) {
    throw new NoteError(`verifier key ${name}: not an Ed25519 key`);
  }
  const publicKey = data.slice(1);
  const keyHash = noteKeyHash(name, publicKey);
  if (hex8(keyHash) !== hash) {
    throw new NoteError(`verifier key ${name}: the key hash does not match`);
  }
  return { name, keyHash, publicKey };
}

/** The body of a checkpoint: origin, size and base64 root, each line ending in \n. */
export function formatCheckpoint(c: Checkpoint): string {
  if (!c.origin || /[\n\r]/.test(c.origin)) {
    throw new NoteError('the origin is one non-empty line');
  }
  if (!Number.isSafeInteger(c.treeSize) || c.treeSize < 0) {
    throw new NoteError(`invalid tree size ${c.treeSize}`);
  }
  if (c.rootHash.length !== HASH_SIZE) {
    throw new NoteError('the root hash has 32 bytes');
  }
  const extensions = (c.extensions ?? []).map(e => `${e}\n`).join('');
  return `${c.origin}\n${c.treeSize}\n${encodeBase64(
    c.rootHash,
  )}\n${extensions}`;
}

/** Parses a checkpoint body (the note's text); throws NoteError. */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n'))
    throw new NoteError('the checkpoint must end in a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3)
    throw new NoteError('a checkpoint has at least 3 lines');
  const [origin, size, root, ...extensions] = lines;
  if (!origin) throw new NoteError('the checkpoint has no origin');
  if (!/^(0|[1-9][0-9]*)$/.test(size) || !Number.isSafeInteger(Number(size))) {
    throw new NoteError(`invalid tree size line ${JSON.stringify(size)}`);
  }
  const rootHash = decodeBase64(root);
  if (!rootHash || rootHash.length !== HASH_SIZE) {
    throw new NoteError(`invalid root hash line ${JSON.stringify(root)}`);
  }
  if (extensions.some(e => !e)) {
    throw new NoteError('empty extension line in the checkpoint');
  }
  return { origin, treeSize: Number(size), rootHash, extensions };
}

/** Signs raw bytes with Ed25519 (the server's checkpoint key). */
export type Ed25519Sign = (data: Uint8Array) => Promise<Uint8Array>;

/** Appends the signature line of `name`'s key to `text` (the body), as a note. */
export async function signNote(
  text: string,
  key: { name: string; publicKey: Uint8Array; sign: Ed25519Sign },
): Promise<string> {
  if (!text.endsWith('\n'))
    throw new NoteError('the text must end in a newline');
  if (!isValidKeyName(key.name)) {
    throw new NoteError(`invalid key name "${key.name}"`);
  }
  const sig = await key.sign(utf8(text));
  const hash = uint32Bytes(noteKeyHash(key.name, key.publicKey));
  return `${text}\n${SIG_PREFIX}${key.name} ${encodeBase64(
    concatBytes(hash, sig),
  )}\n`;
}

/** A signature line of a note: the key's name and hash, and the signature. */
interface NoteSignature {
  name: string;
  keyHash: number;
  signature: Uint8Array;
}

/**
 * Splits a signed note into its text (up to and with the newline before the
 * last blank line) and its signature lines, each well formed; throws
 * NoteError. Verifies nothing.
 */
function splitNote(note: string): {
  text: string;
  signatures: NoteSignature[];
} {
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new NoteError('not a signed note (no blank line)');
  const text = note.slice(0, split + 1);
  const sigs = note.slice(split + 2);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(text)) {
    throw new NoteError('the note text has control characters');
  }
  if (!sigs.endsWith('\n'))
    throw new NoteError('the signatures must end in a newline');
  const lines = sigs.slice(0, -1).split('\n');
  if (lines.length > 100) throw new NoteError('too many signatures');
  const signatures = lines.map(line => {
    if (!line.startsWith(SIG_PREFIX)) {
      throw new NoteError(`not a signature line: ${JSON.stringify(line)}`);
    }
    const [name, b64, ...rest] = line.slice(SIG_PREFIX.length).split(' ');
    const sig = b64 !== undefined ? decodeBase64(b64) : undefined;
    if (rest.length || !isValidKeyName(name ?? '') || !sig || sig.length < 5) {
      throw new NoteError(`malformed signature line: ${JSON.stringify(line)}`);
    }
    return { name, keyHash: readUint32(sig), signature: sig.subarray(4) };
  });
  return { text, signatures };
}

/** The WebCrypto of this runtime: the global one (browsers, Node 22), else Node's. */
function subtleCrypto(): SubtleCrypto {
  const subtle =
    globalThis.crypto?.subtle ??
    nodeBuiltin<{ webcrypto?: Crypto }>('node:crypto')?.webcrypto?.subtle;
  if (!subtle) {
    throw new Error('WebCrypto (crypto.subtle) is not available here');
  }
  return subtle;
}

const importedKeys = new WeakMap<Uint8Array, Promise<CryptoKey>>();

/** Whether `signature` is `publicKey`'s Ed25519 signature over `data`. */
async function verifyEd25519(
  publicKey: Uint8Array,
  signature: Uint8Array,
  data: Uint8Array,
): Promise<boolean> {
  const subtle = subtleCrypto();
  let key = importedKeys.get(publicKey);
  if (!key) {
    key = subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, [
      'verify',
    ]);
    importedKeys.set(publicKey, key);
  }
  return subtle.verify({ name: 'Ed25519' }, await key, signature, data);
}

/** A note whose signature by one of the known keys holds. */
export interface VerifiedNote {
  /** The signed text (the checkpoint body). */
  text: string;
  /** The known keys whose signatures verified. */
  signedBy: NoteVerifier[];
}

/**
 * Opens a signed note: splits text and signatures (at the last blank line)
 * and verifies the signatures of the `known` keys; signatures of other keys
 * are ignored. Rejects with a NoteError unless at least one known key signed
 * it and every signature of a known key verifies.
 */
export async function openNote(
  note: string,
  known: readonly NoteVerifier[],
): Promise<VerifiedNote> {
  const { text, signatures } = splitNote(note);
  const signedBy: NoteVerifier[] = [];
  for (const { name, keyHash, signature } of signatures) {
    const key = known.find(k => k.name === name && k.keyHash === keyHash);
    if (!key) continue; // an unknown key's signature
    const ok =
      signature.length === ED25519_SIG_SIZE &&
      (await verifyEd25519(key.publicKey, signature, utf8(text)));
    if (!ok) {
      throw new NoteError(
        `the signature of ${name} (key hash ${hex8(keyHash)}) does not verify`,
      );
    }
    signedBy.push(key);
  }
  if (!signedBy.length) {
    throw new NoteError(
      `no signature by a known key (${
        known.map(k => `${k.name}+${hex8(k.keyHash)}`).join(', ') ||
        'none given'
      })`,
    );
  }
  return { text, signedBy };
}

/** A checkpoint whose note verified, and the key that signed it. */
export interface VerifiedCheckpoint extends Checkpoint {
  signedBy: NoteVerifier;
}

/**
 * Opens a checkpoint note with the known keys and parses its body; its
 * origin must be the signing key's name. Rejects with a NoteError.
 */
export async function openCheckpoint(
  note: string,
  known: readonly NoteVerifier[],
): Promise<VerifiedCheckpoint> {
  const opened = await openNote(note, known);
  const checkpoint = parseCheckpoint(opened.text);
  const signer = opened.signedBy.find(k => k.name === checkpoint.origin);
  if (!signer) {
    throw new NoteError(
      `the checkpoint of origin ${checkpoint.origin} is signed by no key of that name`,
    );
  }
  return { ...checkpoint, signedBy: signer };
}

/**
 * Reads a checkpoint note as the server sent it — the signed tree's origin,
 * size and root — WITHOUT verifying its signatures (no key at hand, as in
 * the portal; openCheckpoint verifies). It must still be a well-formed
 * signed note with at least one signature. Throws NoteError.
 */
export function parseCheckpointNote(note: string): AuditCheckpointNote {
  const checkpoint = parseCheckpoint(splitNote(note).text);
  return {
    origin: checkpoint.origin,
    treeSize: checkpoint.treeSize,
    rootHash: encodeBase64(checkpoint.rootHash),
    text: note,
  };
}
