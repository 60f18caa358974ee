/**
 * RFC 9162 Merkle tree inclusion proofs, checked in the browser with
 * WebCrypto. The tree's leaves are the chain's events in seq order
 * (seq 1 is leaf 0); a leaf is SHA-256(0x00 ‖ the event's 32-byte hash),
 * a node SHA-256(0x01 ‖ left ‖ right).
 */

/** SHA-256 of some bytes. */
export type Sha256 = (data: Uint8Array) => Promise<Uint8Array>;

/** SHA-256 through the browser's WebCrypto (looked up at call time). */
export const webCryptoSha256: Sha256 = async data =>
  new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', data));

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** True when both hold the same bytes. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Hex (even length, either case) as bytes; throws on anything else. */
export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new Error('not a hex string');
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  return out;
}

/** Standard (padded) base64 as bytes; throws on anything else. */
export function base64ToBytes(b64: string): Uint8Array {
  if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) {
    throw new Error('not a base64 string');
  }
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Bytes as standard (padded) base64. */
export function bytesToBase64(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** The leaf hash of an event: SHA-256(0x00 ‖ the 32 bytes of its hex `hash`). */
export async function leafHash(
  eventHashHex: string,
  sha256: Sha256 = webCryptoSha256,
): Promise<Uint8Array> {
  const bytes = hexToBytes(eventHashHex);
  if (bytes.length !== 32) throw new Error('an event hash has 32 bytes');
  return sha256(concat(new Uint8Array([0x00]), bytes));
}

/** An inner node: SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(
  left: Uint8Array,
  right: Uint8Array,
  sha256: Sha256 = webCryptoSha256,
): Promise<Uint8Array> {
  return sha256(concat(new Uint8Array([0x01]), left, right));
}

/**
 * Whether `proof` shows the leaf `leafHash` at `leafIndex` in the tree of
 * `treeSize` leaves with root `rootHash` (RFC 9162 §2.1.3.2). Only hashes;
 * no I/O. Indices are plain numbers (safe up to 2^53), halved arithmetically.
 */
export async function verifyInclusion(
  args: {
    leafIndex: number;
    treeSize: number;
    leafHash: Uint8Array;
    proof: Uint8Array[];
    rootHash: Uint8Array;
  },
  sha256: Sha256 = webCryptoSha256,
): Promise<boolean> {
  const { leafIndex, treeSize, proof, rootHash } = args;
  if (
    !Number.isSafeInteger(leafIndex) ||
    !Number.isSafeInteger(treeSize) ||
    leafIndex < 0 ||
    leafIndex >= treeSize
  ) {
    return false;
  }
  const half = (n: number) => Math.floor(n / 2);
  const odd = (n: number) => n % 2 === 1;
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = args.leafHash;
  for (const p of proof) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      r = await nodeHash(p, r, sha256);
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = await nodeHash(r, p, sha256);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equalBytes(r, rootHash);
}

/** Whether an event is in a signed tree, and if not, why not. */
export type InclusionCheck = { ok: true } | { ok: false; reason: string };

/**
 * Checks a server's inclusion proof for an event against the root of a
 * signed checkpoint note: the proof must be for the event's leaf (seq − 1)
 * in a tree of the note's size, and hash up to the note's root.
 */
export async function checkEventInclusion(
  args: {
    event: { seq: number; hash: string };
    note: { treeSize: number; rootHash: string };
    proof: { leafIndex: number; treeSize: number; hashes: string[] };
  },
  sha256: Sha256 = webCryptoSha256,
): Promise<InclusionCheck> {
  const { event, note, proof } = args;
  if (proof.leafIndex !== event.seq - 1) {
    return {
      ok: false,
      reason: `the proof is for leaf ${proof.leafIndex}, not seq ${
        event.seq
      } (leaf ${event.seq - 1})`,
    };
  }
  if (proof.treeSize !== note.treeSize) {
    return {
      ok: false,
      reason: `the proof is for a tree of size ${proof.treeSize}, the signed tree has ${note.treeSize}`,
    };
  }
  let leaf: Uint8Array;
  let root: Uint8Array;
  let path: Uint8Array[];
  try {
    leaf = await leafHash(event.hash, sha256);
    root = base64ToBytes(note.rootHash);
    path = proof.hashes.map(base64ToBytes);
  } catch (e) {
    return {
      ok: false,
      reason: `malformed hash: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
  if (root.length !== 32 || path.some(p => p.length !== 32)) {
    return { ok: false, reason: 'malformed hash: a hash has 32 bytes' };
  }
  const ok = await verifyInclusion(
    {
      leafIndex: proof.leafIndex,
      treeSize: proof.treeSize,
      leafHash: leaf,
      proof: path,
      rootHash: root,
    },
    sha256,
  );
  return ok
    ? { ok: true }
    : { ok: false, reason: 'the path does not hash to the signed root' };
}
