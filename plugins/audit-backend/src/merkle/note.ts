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
 * Pure (node:crypto only): the offline verifier imports this file.
 */
import { KeyObject, createPublicKey, verify } from 'crypto';
import { HASH_SIZE, sha256 } from './rfc9162';

/** The signed-note signature type of Ed25519. */
const ALG_ED25519 = 0x01;
const ED25519_KEY_SIZE = 32;
const ED25519_SIG_SIZE = 64;
const SIG_PREFIX = '\u2014 '; // "— "

/** A checkpoint: what a note's body says. */
export interface Checkpoint {
  origin: string;
  treeSize: number;
  rootHash: Buffer;
  /** Lines after the root hash, if any (none from this server). */
  extensions?: string[];
}

/** A public key that verifies notes. */
export interface NoteVerifier {
  name: string;
  /** The 4-byte key hash, as a number. */
  keyHash: number;
  /** The raw 32-byte Ed25519 public key. */
  publicKey: Buffer;
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
  return sha256(
    Buffer.from(`${name}\n`, 'utf8'),
    Uint8Array.of(ALG_ED25519),
    publicKey,
  ).readUInt32BE(0);
}

const hex8 = (n: number) => n.toString(16).padStart(8, '0');

/** The verifier key string, `<name>+<hex key hash>+<base64(0x01 ‖ key)>`. */
export function formatVerifierKey(name: string, publicKey: Uint8Array): string {
  if (!isValidKeyName(name)) throw new NoteError(`invalid key name "${name}"`);
  if (publicKey.length !== ED25519_KEY_SIZE) {
    throw new NoteError('an Ed25519 public key has 32 bytes');
  }
  const key = Buffer.concat([Uint8Array.of(ALG_ED25519), publicKey]);
  return `${name}+${hex8(noteKeyHash(name, publicKey))}+${key.toString(
    'base64',
  )}`;
}

const BASE64 =
  /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict standard base64 (with padding) → bytes, or undefined. */
export function decodeBase64(text: string): Buffer | undefined {
  return BASE64.test(text) ? Buffer.from(text, 'base64') : undefined;
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
  const publicKey = data.subarray(1);
  const keyHash = noteKeyHash(name, publicKey);
  if (hex8(keyHash) !== hash) {
    throw new NoteError(`verifier key ${name}: the key hash does not match`);
  }
  return { name, keyHash, publicKey: Buffer.from(publicKey) };
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
  return `${c.origin}\n${c.treeSize}\n${c.rootHash.toString(
    'base64',
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
  const sig = await key.sign(Buffer.from(text, 'utf8'));
  const hash = Buffer.alloc(4);
  hash.writeUInt32BE(noteKeyHash(key.name, key.publicKey));
  return `${text}\n${SIG_PREFIX}${key.name} ${Buffer.concat([
    hash,
    sig,
  ]).toString('base64')}\n`;
}

const publicKeyObjects = new WeakMap<Buffer, KeyObject>();
function publicKeyObject(raw: Buffer): KeyObject {
  let key = publicKeyObjects.get(raw);
  if (!key) {
    key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
      format: 'jwk',
    });
    publicKeyObjects.set(raw, key);
  }
  return key;
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
 * are ignored. Throws NoteError unless at least one known key signed it and
 * every signature of a known key verifies.
 */
export function openNote(
  note: string,
  known: readonly NoteVerifier[],
): VerifiedNote {
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
  const signedBy: NoteVerifier[] = [];
  const lines = sigs.slice(0, -1).split('\n');
  if (lines.length > 100) throw new NoteError('too many signatures');
  for (const line of lines) {
    if (!line.startsWith(SIG_PREFIX)) {
      throw new NoteError(`not a signature line: ${JSON.stringify(line)}`);
    }
    const [name, b64, ...rest] = line.slice(SIG_PREFIX.length).split(' ');
    const sig = b64 !== undefined ? decodeBase64(b64) : undefined;
    if (rest.length || !isValidKeyName(name ?? '') || !sig || sig.length < 5) {
      throw new NoteError(`malformed signature line: ${JSON.stringify(line)}`);
    }
    const keyHash = sig.readUInt32BE(0);
    const key = known.find(k => k.name === name && k.keyHash === keyHash);
    if (!key) continue; // an unknown key's signature
    const ok =
      sig.length === 4 + ED25519_SIG_SIZE &&
      verify(
        null,
        Buffer.from(text, 'utf8'),
        publicKeyObject(key.publicKey),
        sig.subarray(4),
      );
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
 * origin must be the signing key's name. Throws NoteError.
 */
export function openCheckpoint(
  note: string,
  known: readonly NoteVerifier[],
): VerifiedCheckpoint {
  const opened = openNote(note, known);
  const checkpoint = parseCheckpoint(opened.text);
  const signer = opened.signedBy.find(k => k.name === checkpoint.origin);
  if (!signer) {
    throw new NoteError(
      `the checkpoint of origin ${checkpoint.origin} is signed by no key of that name`,
    );
  }
  return { ...checkpoint, signedBy: signer };
}
