/*
 * The Merkle tree of RFC 9162 (Certificate Transparency 2.0) §2.1 over the
 * audit chain: leaf i (0-based, = seq - 1) is SHA-256(0x00 ‖ the event's
 * 32-byte `hash`), an interior node SHA-256(0x01 ‖ left ‖ right).
 *
 * Pure functions, no database, no Node: the backend builds the tree and its
 * proofs with them (database/MerkleStore.ts), the portal checks proofs with
 * them in the browser, scripts/audit-verify offline. Tree sizes and indexes
 * are plain numbers (safe integers); no 32-bit bit operations.
 *
 * Proofs are generated from *perfect subtrees* (NodeId): the MTH of any range
 * the RFC's recursion visits decomposes into O(log n) of them, which the
 * backend's store keeps.
 */
import { decodeHex, equalBytes } from '../bytes';
import { sha256 } from '../sha256';

/** Bytes of a SHA-256 hash. */
export const HASH_SIZE = 32;

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

/** MTH({}) = SHA-256() — the root of the empty tree. */
export const EMPTY_ROOT: Uint8Array = sha256();

/** The leaf hash of raw entry data: SHA-256(0x00 ‖ data). */
export function leafHashOfData(data: Uint8Array): Uint8Array {
  return sha256(LEAF_PREFIX, data);
}

/** The leaf hash of an audit event: SHA-256(0x00 ‖ the 32 bytes of its hex `hash`). */
export function leafHash(eventHashHex: string): Uint8Array {
  const bytes = decodeHex(eventHashHex);
  if (bytes?.length !== HASH_SIZE) {
    throw new TypeError(
      `an event hash is 64 hex digits, not ${JSON.stringify(eventHashHex)}`,
    );
  }
  return leafHashOfData(bytes);
}

/** An interior node: SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(NODE_PREFIX, left, right);
}

/** The largest power of two smaller than n (n > 1): the RFC's split point k. */
export function splitPoint(n: number): number {
  if (!(n > 1)) throw new RangeError(`no split point for ${n}`);
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * MTH per RFC 9162 §2.1.1 over a list of leaf hashes (already `leafHash`ed):
 * MTH({}) = SHA-256(), MTH({d0}) = the leaf hash, else
 * nodeHash(MTH(D[0:k]), MTH(D[k:n])) with k the largest power of 2 < n.
 */
export function merkleTreeHash(leafHashes: readonly Uint8Array[]): Uint8Array {
  const mth = (a: number, b: number): Uint8Array => {
    const n = b - a;
    if (n === 1) return Uint8Array.from(leafHashes[a]);
    const k = splitPoint(n);
    return nodeHash(mth(a, a + k), mth(a + k, b));
  };
  return leafHashes.length
    ? mth(0, leafHashes.length)
    : Uint8Array.from(EMPTY_ROOT);
}

/** A perfect subtree: level L, index i covers the leaves [i·2^L, (i+1)·2^L). */
export interface NodeId {
  level: number;
  index: number;
}

/** A stable key of a NodeId, e.g. for a Map. */
export const nodeKey = (id: NodeId): string => `${id.level}:${id.index}`;

/** A range of leaves [start, end) whose MTH the RFC's recursion needs. */
export type LeafRange = readonly [start: number, end: number];

/**
 * The perfect subtrees whose fold is MTH(D[start:end]), left to right (sizes
 * decreasing, one per set bit of end - start). Holds for every range the RFC's
 * PATH/SUBPROOF recursions visit: `start` is a multiple of the largest power of
 * two ≤ end - start.
 */
export function rangeNodes([start, end]: LeafRange): NodeId[] {
  if (!(end > start)) throw new RangeError(`empty range [${start}, ${end})`);
  const out: NodeId[] = [];
  let a = start;
  let n = end - start;
  while (n > 0) {
    let size = 1;
    let level = 0;
    while (size * 2 <= n) {
      size *= 2;
      level++;
    }
    if (a % size !== 0) {
      throw new RangeError(`[${start}, ${end}) is not aligned at ${a}`);
    }
    out.push({ level, index: a / size });
    a += size;
    n -= size;
  }
  return out;
}

/** The perfect subtrees whose fold is the root of the tree of `size` leaves. */
export function rootNodes(size: number): NodeId[] {
  return size > 0 ? rangeNodes([0, size]) : [];
}

/** Folds the hashes of `rangeNodes(range)` into the range's MTH. */
export function foldNodes(
  ids: readonly NodeId[],
  get: (id: NodeId) => Uint8Array,
): Uint8Array {
  if (!ids.length) return Uint8Array.from(EMPTY_ROOT);
  let h: Uint8Array = Uint8Array.from(get(ids[ids.length - 1]));
  for (let i = ids.length - 2; i >= 0; i--) h = nodeHash(get(ids[i]), h);
  return h;
}

function checkSize(name: string, n: number, min: number) {
  if (!Number.isSafeInteger(n) || n < min) {
    throw new RangeError(`${name} must be an integer ≥ ${min}, not ${n}`);
  }
}

/**
 * The ranges whose MTHs are the inclusion proof of leaf `index` in the tree of
 * `size` leaves, leaf to root (RFC 9162 §2.1.3.1, PATH(m, D[n])).
 */
export function inclusionRanges(index: number, size: number): LeafRange[] {
  checkSize('tree size', size, 1);
  checkSize('leaf index', index, 0);
  if (index >= size) {
    throw new RangeError(`leaf index ${index} is not in a tree of ${size}`);
  }
  const out: LeafRange[] = [];
  // iterative PATH: collect root to leaf, then reverse
  let a = 0;
  let b = size;
  while (b - a > 1) {
    const k = splitPoint(b - a);
    if (index < a + k) {
      out.push([a + k, b]);
      b = a + k;
    } else {
      out.push([a, a + k]);
      a += k;
    }
  }
  return out.reverse();
}

/**
 * The ranges whose MTHs are the consistency proof between the trees of `m`
 * and `n` leaves, 0 < m ≤ n (RFC 9162 §2.1.4.1, PROOF(m, D[n]) =
 * SUBPROOF(m, D[n], true)); empty when m = n.
 */
export function consistencyRanges(m: number, n: number): LeafRange[] {
  checkSize('tree size', n, 1);
  checkSize('old tree size', m, 1);
  if (m > n) throw new RangeError(`old tree size ${m} > tree size ${n}`);
  const out: LeafRange[] = [];
  // iterative SUBPROOF(m, D[a:b], complete): collect root to leaf, then reverse
  let a = 0;
  let b = n;
  let rel = m; // m relative to a
  let complete = true;
  for (;;) {
    const size = b - a;
    if (rel === size) {
      if (!complete) out.push([a, b]);
      break;
    }
    const k = splitPoint(size);
    if (rel <= k) {
      out.push([a + k, b]);
      b = a + k;
    } else {
      out.push([a, a + k]);
      a += k;
      rel -= k;
      complete = false;
    }
  }
  return out.reverse();
}

/** Every perfect subtree the MTHs of `ranges` need, once each. */
export function nodesOf(ranges: readonly LeafRange[]): NodeId[] {
  const seen = new Map<string, NodeId>();
  for (const r of ranges) {
    for (const id of rangeNodes(r)) seen.set(nodeKey(id), id);
  }
  return [...seen.values()];
}

/**
 * Reads the hashes of perfect subtrees, e.g. in one query; every id asked for
 * must be in the answer (keyed by `nodeKey`).
 */
export type NodeReader = (
  ids: readonly NodeId[],
) => Promise<ReadonlyMap<string, Uint8Array>>;

function lookup(nodes: ReadonlyMap<string, Uint8Array>) {
  return (id: NodeId): Uint8Array => {
    const h = nodes.get(nodeKey(id));
    if (!h) throw new Error(`Merkle tree node ${nodeKey(id)} is missing`);
    return h;
  };
}

/** The MTHs of `ranges`, read with one call of `read`. */
export async function rangeHashes(
  ranges: readonly LeafRange[],
  read: NodeReader,
): Promise<Uint8Array[]> {
  const ids = nodesOf(ranges);
  const get = lookup(ids.length ? await read(ids) : new Map());
  return ranges.map(r => foldNodes(rangeNodes(r), get));
}

/** The inclusion proof of leaf `index` in the tree of `size` (§2.1.3.1). */
export async function inclusionProof(
  index: number,
  size: number,
  read: NodeReader,
): Promise<Uint8Array[]> {
  return rangeHashes(inclusionRanges(index, size), read);
}

/** The consistency proof from the tree of `m` leaves to that of `n` (§2.1.4.1). */
export async function consistencyProof(
  m: number,
  n: number,
  read: NodeReader,
): Promise<Uint8Array[]> {
  return rangeHashes(consistencyRanges(m, n), read);
}

/** The root of the tree of `size` leaves. */
export async function rootHash(
  size: number,
  read: NodeReader,
): Promise<Uint8Array> {
  checkSize('tree size', size, 0);
  const ids = rootNodes(size);
  return foldNodes(ids, lookup(ids.length ? await read(ids) : new Map()));
}

/**
 * A NodeReader over leaf hashes in memory (tests, small trees): each perfect
 * subtree computed naively.
 */
export function memoryNodeReader(
  leafHashes: readonly Uint8Array[],
): NodeReader {
  return async ids => {
    const out = new Map<string, Uint8Array>();
    for (const id of ids) {
      const size = 2 ** id.level;
      const start = id.index * size;
      if (start + size > leafHashes.length) {
        throw new Error(`node ${nodeKey(id)} is beyond the tree`);
      }
      out.set(
        nodeKey(id),
        merkleTreeHash(leafHashes.slice(start, start + size)),
      );
    }
    return out;
  };
}

/** 32 bytes (a Uint8Array of any realm: Node's Buffers under jest are of another). */
const isHash = (h: unknown): h is Uint8Array =>
  ArrayBuffer.isView(h) &&
  Object.prototype.toString.call(h) === '[object Uint8Array]' &&
  (h as Uint8Array).length === HASH_SIZE;

const equal = equalBytes;

function isPowerOfTwo(n: number): boolean {
  let p = 1;
  while (p < n) p *= 2;
  return p === n;
}

const half = (n: number) => Math.floor(n / 2);
const odd = (n: number) => n % 2 === 1;

/**
 * Verifies an inclusion proof per RFC 9162 §2.1.3.2: that the leaf with hash
 * `leafHash` is at `leafIndex` in the tree of `treeSize` leaves with `root`.
 */
export function verifyInclusion(
  leafIndex: number,
  treeSize: number,
  leafHashValue: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (
    !Number.isSafeInteger(leafIndex) ||
    !Number.isSafeInteger(treeSize) ||
    leafIndex < 0 ||
    leafIndex >= treeSize ||
    !isHash(leafHashValue) ||
    !isHash(root) ||
    !proof.every(isHash)
  ) {
    return false;
  }
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r: Uint8Array = leafHashValue;
  for (const p of proof) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equal(r, root);
}

/**
 * Verifies a consistency proof per RFC 9162 §2.1.4.2: that the tree of `m`
 * leaves with `rootM` is a prefix of the tree of `n` leaves with `rootN`.
 * m = n holds with an empty proof and equal roots; m < 1 never holds.
 */
export function verifyConsistency(
  m: number,
  n: number,
  proof: readonly Uint8Array[],
  rootM: Uint8Array,
  rootN: Uint8Array,
): boolean {
  if (
    !Number.isSafeInteger(m) ||
    !Number.isSafeInteger(n) ||
    m < 1 ||
    m > n ||
    !isHash(rootM) ||
    !isHash(rootN) ||
    !proof.every(isHash)
  ) {
    return false;
  }
  if (m === n) return proof.length === 0 && equal(rootM, rootN);
  // 1. an empty path fails
  if (!proof.length) return false;
  // 2. a power-of-2 old tree is itself a node of the new one: prepend its root
  const c = isPowerOfTwo(m) ? [rootM, ...proof] : proof;
  // 3.–4.
  let fn = m - 1;
  let sn = n - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // 5.
  let fr: Uint8Array = c[0];
  let sr: Uint8Array = c[0];
  // 6.
  for (const v of c.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = nodeHash(v, fr);
      sr = nodeHash(v, sr);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, v);
    }
    fn = half(fn);
    sn = half(sn);
  }
  // 7.
  return equal(fr, rootM) && equal(sr, rootN) && sn === 0;
}
