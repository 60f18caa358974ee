import { createHash } from 'node:crypto';

/**
 * A naive RFC 9162 Merkle tree (the definitions of §2.1.1 and §2.1.3.1,
 * recursively, with Node's SHA-256), to test the browser's verifier and to
 * fake the server's proofs.
 */

const sha256 = (...parts: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

/** The leaf hash of an event's hex hash. */
export function naiveLeafHash(eventHashHex: string): Uint8Array {
  return sha256(new Uint8Array([0]), Buffer.from(eventHashHex, 'hex'));
}

/** The largest power of two smaller than n (n > 1). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[n]) over leaf hashes. */
export function naiveRoot(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256();
  if (leaves.length === 1) return leaves[0];
  const k = split(leaves.length);
  return sha256(
    new Uint8Array([1]),
    naiveRoot(leaves.slice(0, k)),
    naiveRoot(leaves.slice(k)),
  );
}

/** PATH(m, D[n]) over leaf hashes, leaf to root. */
export function naivePath(m: number, leaves: Uint8Array[]): Uint8Array[] {
  if (leaves.length <= 1) return [];
  const k = split(leaves.length);
  return m < k
    ? [...naivePath(m, leaves.slice(0, k)), naiveRoot(leaves.slice(k))]
    : [...naivePath(m - k, leaves.slice(k)), naiveRoot(leaves.slice(0, k))];
}

/** A random 32-byte hash as hex. */
export function randomHashHex(): string {
  return Buffer.from(
    Array.from({ length: 32 }, () => Math.floor(Math.random() * 256)),
  ).toString('hex');
}

/** Bytes as base64. */
export const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
