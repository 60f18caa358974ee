import { createHash, randomBytes } from 'crypto';
import {
  EMPTY_ROOT,
  NodeReader,
  consistencyProof,
  inclusionProof,
  leafHash,
  memoryNodeReader,
  merkleTreeHash,
  nodeKey,
  rangeNodes,
  rootHash,
  rootNodes,
  verifyConsistency,
  verifyInclusion,
} from './rfc9162';

const sha = (...parts: Uint8Array[]) => {
  const h = createHash('sha256');
  parts.forEach(p => h.update(p));
  return h.digest();
};

/*
 * The RFC's definitions, literally, over leaf *data* (the event hashes):
 * MTH, PATH and SUBPROOF (mth, path, subproof) as recursions on D[a:b]. Memoized by range, since
 * every tree here is a prefix of one list of leaves.
 */
const MAX = 300;
const eventHashes = Array.from({ length: MAX }, () =>
  randomBytes(32).toString('hex'),
);
const data = eventHashes.map(h => Buffer.from(h, 'hex'));
const memo = new Map<string, Buffer>();
function mth(a: number, b: number): Buffer {
  const key = `${a}:${b}`;
  let h = memo.get(key);
  if (!h) {
    const n = b - a;
    if (n === 0) h = sha();
    else if (n === 1) h = sha(Buffer.of(0), data[a]);
    else {
      let k = 1;
      while (k * 2 < n) k *= 2;
      h = sha(Buffer.of(1), mth(a, a + k), mth(a + k, b));
    }
    memo.set(key, h);
  }
  return h;
}
function path(m: number, a: number, b: number): Buffer[] {
  const n = b - a;
  if (n === 1) return [];
  let k = 1;
  while (k * 2 < n) k *= 2;
  return m < k
    ? [...path(m, a, a + k), mth(a + k, b)]
    : [...path(m - k, a + k, b), mth(a, a + k)];
}
function subproof(
  m: number,
  a: number,
  b: number,
  complete: boolean,
): Buffer[] {
  const n = b - a;
  if (m === n) return complete ? [] : [mth(a, b)];
  let k = 1;
  while (k * 2 < n) k *= 2;
  return m <= k
    ? [...subproof(m, a, a + k, complete), mth(a + k, b)]
    : [...subproof(m - k, a + k, b, false), mth(a, a + k)];
}

/** Every perfect subtree of the MAX leaves, the way the store keeps them. */
const leafHashes = eventHashes.map(leafHash);
const stored = new Map<string, Uint8Array>();
for (let level = 0; 2 ** level <= MAX; level++) {
  for (let i = 0; (i + 1) * 2 ** level <= MAX; i++) {
    stored.set(
      nodeKey({ level, index: i }),
      mth(i * 2 ** level, (i + 1) * 2 ** level),
    );
  }
}
let reads = 0;
const read: NodeReader = async ids => {
  reads++;
  const out = new Map<string, Uint8Array>();
  for (const id of ids) out.set(nodeKey(id), stored.get(nodeKey(id))!);
  return out;
};

const sameHashes = (a: Uint8Array[], b: Uint8Array[]) =>
  a.length === b.length && a.every((h, i) => Buffer.compare(h, b[i]) === 0);

/** Bytes as hex, to compare a computed hash with a Buffer. */
const hex = (h: Uint8Array) => Buffer.from(h).toString('hex');

const flip = (h: Uint8Array) => {
  const copy = Buffer.from(h);
  copy[copy.length - 1] ^= 1;
  return copy;
};

describe('RFC 9162 Merkle tree', () => {
  it('hashes leaves and nodes with the domain-separation prefixes', () => {
    const h = 'ab'.repeat(32);
    expect(hex(leafHash(h))).toBe(
      hex(sha(Buffer.of(0), Buffer.from(h, 'hex'))),
    );
    expect(leafHash(h.toUpperCase())).toEqual(leafHash(h));
    expect(() => leafHash('ab')).toThrow('64 hex digits');
    expect(() => leafHash('zz'.repeat(32))).toThrow('64 hex digits');
    expect(merkleTreeHash([])).toEqual(EMPTY_ROOT);
    expect(hex(EMPTY_ROOT)).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('matches the RFC 6962 test vectors (shared with RFC 9162)', () => {
    // certificate-transparency-go / transparency-dev: leaves of the reference tree
    const leaves = [
      '',
      '00',
      '10',
      '2021',
      '3031',
      '40414243',
      '5051525354555657',
      '606162636465666768696a6b6c6d6e6f',
    ].map(entry => sha(Buffer.of(0), Buffer.from(entry, 'hex')));
    expect(hex(merkleTreeHash(leaves))).toBe(
      '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
    );
    expect(hex(merkleTreeHash(leaves.slice(0, 1)))).toBe(
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    );
    expect(hex(merkleTreeHash(leaves.slice(0, 3)))).toBe(
      'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
    );
  });

  it('computes every root like the naive recursive MTH, from O(log n) perfect subtrees', async () => {
    for (let n = 0; n <= MAX; n++) {
      expect(hex(await rootHash(n, read))).toBe(hex(mth(0, n)));
      expect(hex(merkleTreeHash(leafHashes.slice(0, n)))).toBe(hex(mth(0, n)));
      expect(rootNodes(n).length).toBeLessThanOrEqual(Math.log2(n + 1) + 1);
    }
    expect(() => rangeNodes([1, 3])).toThrow('not aligned');
  });

  it('generates and verifies the inclusion proof of every leaf of trees of 1–300 leaves', async () => {
    const failures: string[] = [];
    for (let n = 1; n <= MAX; n++) {
      const root = mth(0, n);
      for (let i = 0; i < n; i++) {
        reads = 0;
        const proof = await inclusionProof(i, n, read);
        if (
          reads > 1 ||
          !sameHashes(proof, path(i, 0, n)) ||
          !verifyInclusion(i, n, leafHashes[i], proof, root)
        ) {
          failures.push(`leaf ${i} of ${n}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('rejects a wrong leaf, index, size, root or proof', async () => {
    for (let n = 1; n < MAX; n += n < 20 ? 1 : 7) {
      const root = mth(0, n);
      for (let i = 0; i < n; i += n < 20 ? 1 : 5) {
        const proof = await inclusionProof(i, n, read);
        const leaf = leafHashes[i];
        const ok = (
          idx: number,
          size: number,
          l: Uint8Array,
          p: Uint8Array[],
          r: Uint8Array,
        ) => verifyInclusion(idx, size, l, p, r);
        expect(ok(i, n, leafHashes[(i + 1) % MAX], proof, root)).toBe(false);
        expect(ok(i, n, leafHashOfEvent(eventHashes[i]), proof, root)).toBe(
          false,
        ); // the event hash, not its leaf hash
        expect(n > 1 && ok((i + 1) % n, n, leaf, proof, root)).toBe(false);
        // another size: checked against that size's root (the one a signed
        // checkpoint of that size would carry)
        expect(ok(i, n + 1, leaf, proof, mth(0, n + 1))).toBe(false);
        expect(i < n - 1 && ok(i, n - 1, leaf, proof, mth(0, n - 1))).toBe(
          false,
        );
        expect(ok(i, n, leaf, proof, flip(root))).toBe(false);
        expect(ok(i, n, leaf, [...proof, root], root)).toBe(false);
        expect(ok(-1, n, leaf, proof, root)).toBe(false);
        expect(ok(n, n, leaf, proof, root)).toBe(false);
        for (let j = 0; j < proof.length; j++) {
          const bad = [...proof];
          bad[j] = flip(bad[j]);
          expect(ok(i, n, leaf, bad, root)).toBe(false);
          expect(ok(i, n, leaf, proof.slice(0, j), root)).toBe(false);
        }
        expect(
          ok(
            i,
            n,
            leaf,
            proof.map(p => p.subarray(1)),
            root,
          ),
        ).toBe(n === 1); // a short hash is never accepted; n = 1 has no hash to cut
      }
    }
  });

  it('generates and verifies the consistency proof of every pair of trees up to 300 leaves', async () => {
    const failures: string[] = [];
    for (let n = 1; n <= MAX; n++) {
      const rootN = mth(0, n);
      for (let m = 1; m <= n; m++) {
        reads = 0;
        const proof = await consistencyProof(m, n, read);
        if (
          reads > 1 ||
          !sameHashes(proof, subproof(m, 0, n, true)) ||
          !verifyConsistency(m, n, proof, mth(0, m), rootN)
        ) {
          failures.push(`${m} → ${n}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('rejects a consistency proof with a wrong size, root or hash', async () => {
    for (let n = 2; n < MAX; n += n < 40 ? 1 : 9) {
      for (let m = 1; m < n; m += m < 40 ? 1 : 7) {
        const proof = await consistencyProof(m, n, read);
        const rootM = mth(0, m);
        const rootN = mth(0, n);
        const ok = (
          a: number,
          b: number,
          p: Uint8Array[],
          ra: Uint8Array,
          rb: Uint8Array,
        ) => verifyConsistency(a, b, p, ra, rb);
        expect(ok(m, n, proof, flip(rootM), rootN)).toBe(false);
        expect(ok(m, n, proof, rootM, flip(rootN))).toBe(false);
        expect(ok(m, n, proof, mth(0, m + 1), rootN)).toBe(false);
        expect(ok(m, n + 1, proof, rootM, mth(0, n + 1))).toBe(false);
        expect(m > 1 && ok(m - 1, n, proof, mth(0, m - 1), rootN)).toBe(false);
        expect(m + 1 < n && ok(m + 1, n, proof, mth(0, m + 1), rootN)).toBe(
          false,
        );
        expect(ok(n, m, proof, rootN, rootM)).toBe(false);
        expect(ok(0, n, [], EMPTY_ROOT, rootN)).toBe(false);
        expect(ok(m, n, [], rootM, rootN)).toBe(false);
        expect(ok(m, n, [...proof, rootN], rootM, rootN)).toBe(false);
        for (let j = 0; j < proof.length; j++) {
          const bad = [...proof];
          bad[j] = flip(bad[j]);
          expect(ok(m, n, bad, rootM, rootN)).toBe(false);
        }
      }
      // equal sizes: only the empty proof and the same root
      expect(verifyConsistency(n, n, [], mth(0, n), mth(0, n))).toBe(true);
      expect(verifyConsistency(n, n, [], mth(0, n), mth(0, n - 1))).toBe(false);
      expect(verifyConsistency(n, n, [mth(0, 1)], mth(0, n), mth(0, n))).toBe(
        false,
      );
    }
  });

  it('proves from an in-memory reader and refuses impossible requests', async () => {
    const small = memoryNodeReader(leafHashes.slice(0, 13));
    expect((await inclusionProof(5, 13, small)).map(hex)).toEqual(
      path(5, 0, 13).map(hex),
    );
    expect((await consistencyProof(6, 13, small)).map(hex)).toEqual(
      subproof(6, 0, 13, true).map(hex),
    );
    await expect(inclusionProof(13, 13, small)).rejects.toThrow(
      'not in a tree of 13',
    );
    await expect(consistencyProof(14, 13, small)).rejects.toThrow(
      '> tree size',
    );
    await expect(consistencyProof(0, 13, small)).rejects.toThrow('≥ 1');
    await expect(inclusionProof(1, 14, small)).rejects.toThrow('beyond');
  });
});

function leafHashOfEvent(eventHash: string) {
  return Buffer.from(eventHash, 'hex');
}
