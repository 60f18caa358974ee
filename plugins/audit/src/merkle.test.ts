import {
  base64ToBytes,
  bytesToBase64,
  checkEventInclusion,
  hexToBytes,
  leafHash,
  verifyInclusion,
} from './merkle';
import {
  b64,
  naiveLeafHash,
  naivePath,
  naiveRoot,
  randomHashHex,
} from './testing/merkle';

const tree = (size: number) => {
  const eventHashes = Array.from({ length: size }, randomHashHex);
  const leaves = eventHashes.map(naiveLeafHash);
  return { eventHashes, leaves, root: naiveRoot(leaves) };
};

describe('leafHash', () => {
  it('is SHA-256 of 0x00 and the 32 bytes of the hex hash', async () => {
    const hex = randomHashHex();
    expect(await leafHash(hex)).toEqual(naiveLeafHash(hex));
    await expect(leafHash('abcd')).rejects.toThrow('32 bytes');
    await expect(leafHash('zz'.repeat(32))).rejects.toThrow('hex');
  });
});

describe('base64 and hex', () => {
  it('round-trips and refuses what is not', () => {
    const bytes = new Uint8Array([0, 1, 254, 255, 128]);
    expect(base64ToBytes(bytesToBase64(bytes))).toEqual(bytes);
    expect(bytesToBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
    expect(() => base64ToBytes('abc')).toThrow();
    expect(() => base64ToBytes('ab$=')).toThrow();
    expect(hexToBytes('00fFa0')).toEqual(new Uint8Array([0, 255, 160]));
    expect(() => hexToBytes('abc')).toThrow();
  });
});

describe('verifyInclusion', () => {
  it('accepts the naive proof of every leaf of random trees of size 1 to 64', async () => {
    let checked = 0;
    for (let size = 1; size <= 64; size++) {
      const { leaves, root } = tree(size);
      for (let index = 0; index < size; index++) {
        const proof = naivePath(index, leaves);
        const ok = await verifyInclusion({
          leafIndex: index,
          treeSize: size,
          leafHash: leaves[index],
          proof,
          rootHash: root,
        });
        if (!ok) throw new Error(`rejected leaf ${index} of ${size}`);
        checked++;
      }
    }
    expect(checked).toBe((64 * 65) / 2);
  });

  it('rejects a wrong leaf, index, root, path or a tampered hash', async () => {
    let rejected = 0;
    for (const size of [1, 2, 3, 5, 8, 13, 31, 32, 33, 64]) {
      const { leaves, root } = tree(size);
      for (let index = 0; index < size; index++) {
        const proof = naivePath(index, leaves);
        const base = {
          leafIndex: index,
          treeSize: size,
          leafHash: leaves[index],
          proof,
          rootHash: root,
        };
        const wrong = [
          { ...base, leafHash: naiveLeafHash(randomHashHex()) },
          { ...base, rootHash: naiveRoot([...leaves, leaves[0]]) },
          { ...base, leafIndex: size },
          { ...base, leafIndex: -1 },
          { ...base, proof: [...proof, root] },
          ...(proof.length > 0
            ? [
                { ...base, proof: proof.slice(0, -1) },
                {
                  ...base,
                  proof: proof.map((p, i) =>
                    i === proof.length - 1
                      ? p.map((b, j) => (j === 0 ? b ^ 1 : b))
                      : p,
                  ),
                },
              ]
            : []),
          ...(size > 1
            ? [{ ...base, leafIndex: (index + 1) % size }]
            : [{ ...base, treeSize: 0 }]),
        ];
        for (const args of wrong) {
          if (await verifyInclusion(args)) {
            throw new Error(
              `accepted a wrong proof for leaf ${index} of ${size}`,
            );
          }
          rejected++;
        }
      }
    }
    expect(rejected).toBeGreaterThan(1000);
  });
});

describe('checkEventInclusion', () => {
  const { eventHashes, leaves, root } = tree(7);
  const event = { seq: 5, hash: eventHashes[4] };
  const note = { treeSize: 7, rootHash: b64(root) };
  const proof = {
    leafIndex: 4,
    treeSize: 7,
    hashes: naivePath(4, leaves).map(b64),
  };

  it('verifies an event against the signed root', async () => {
    await expect(checkEventInclusion({ event, note, proof })).resolves.toEqual({
      ok: true,
    });
  });

  it('says why a proof does not verify', async () => {
    const check = (changes: {
      event?: object;
      note?: object;
      proof?: object;
    }) =>
      checkEventInclusion({
        event: { ...event, ...changes.event },
        note: { ...note, ...changes.note },
        proof: { ...proof, ...changes.proof },
      });
    expect(await check({ proof: { leafIndex: 3 } })).toEqual({
      ok: false,
      reason: 'the proof is for leaf 3, not seq 5 (leaf 4)',
    });
    expect(await check({ proof: { treeSize: 8 } })).toMatchObject({
      reason: 'the proof is for a tree of size 8, the signed tree has 7',
    });
    expect(
      await check({ proof: { hashes: [...proof.hashes.slice(1), 'AA=='] } }),
    ).toMatchObject({ reason: 'malformed hash: a hash has 32 bytes' });
    expect(await check({ event: { hash: eventHashes[3] } })).toMatchObject({
      reason: 'the path does not hash to the signed root',
    });
    expect(await check({ note: { rootHash: 'not base64' } })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('malformed hash'),
    });
  });
});
