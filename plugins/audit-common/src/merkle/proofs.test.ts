import { randomBytes } from 'crypto';
import { encodeBase64 } from '../bytes';
import { checkInclusion, decodeHash, parseInclusionProof } from './proofs';
import {
  inclusionProof,
  leafHash,
  memoryNodeReader,
  rootHash,
} from './rfc9162';

/** A tree of `size` random events: their hashes, a node reader, the root. */
async function tree(size: number) {
  const eventHashes = Array.from({ length: size }, () =>
    randomBytes(32).toString('hex'),
  );
  const read = memoryNodeReader(eventHashes.map(leafHash));
  return { eventHashes, read, root: await rootHash(size, read) };
}

describe('checkInclusion, as the portal runs it', () => {
  it('verifies an event against the root of a note it has only parsed', async () => {
    const { eventHashes, read, root } = await tree(7);
    const proof = {
      leafIndex: 4,
      treeSize: 7,
      hashes: (await inclusionProof(4, 7, read)).map(encodeBase64),
    };
    const note = { treeSize: 7, rootHash: encodeBase64(root) };
    expect(
      checkInclusion({
        checkpoint: note,
        proof,
        eventHash: eventHashes[4],
        seq: 5,
      }),
    ).toEqual({
      ok: true,
      message: `event hash ${eventHashes[4]} is seq 5 (leaf 4) of the tree of 7`,
    });

    const check = (changes: {
      seq?: number;
      eventHash?: string;
      note?: object;
      proof?: object;
    }) =>
      checkInclusion({
        checkpoint: { ...note, ...changes.note },
        proof: { ...proof, ...changes.proof },
        eventHash: changes.eventHash ?? eventHashes[4],
        seq: changes.seq ?? 5,
      });
    expect(check({ proof: { leafIndex: 3 } })).toEqual({
      ok: false,
      reason: 'the proof is for leaf 3, not seq 5 (leaf 4)',
    });
    expect(check({ proof: { treeSize: 8 } })).toEqual({
      ok: false,
      reason: 'the proof is for a tree of 8, the checkpoint signs 7',
    });
    expect(check({ eventHash: eventHashes[3] })).toMatchObject({
      ok: false,
      reason: expect.stringContaining(
        'the path does not hash to the signed root',
      ),
    });
    const flipped = Buffer.from(proof.hashes[0], 'base64');
    flipped[0] ^= 1;
    expect(
      check({
        proof: {
          hashes: [flipped.toString('base64'), ...proof.hashes.slice(1)],
        },
      }),
    ).toMatchObject({ ok: false });
    // what is not a hash is not a failed check but a malformed answer
    expect(() =>
      check({ proof: { hashes: [...proof.hashes.slice(1), 'AA=='] } }),
    ).toThrow('not a 32-byte hash');
    expect(() => check({ note: { rootHash: 'not base64' } })).toThrow(
      'not a 32-byte hash',
    );
    expect(() => check({ eventHash: 'abcd' })).toThrow('64 hex digits');
  });
});

describe('decodeHash and parseInclusionProof', () => {
  it('reads hex and base64, and refuses anything else', () => {
    const bytes = new Uint8Array(randomBytes(32));
    expect(decodeHash(Buffer.from(bytes).toString('hex'))).toEqual(bytes);
    expect(
      decodeHash(Buffer.from(bytes).toString('hex').toUpperCase()),
    ).toEqual(bytes);
    expect(decodeHash(encodeBase64(bytes))).toEqual(bytes);
    for (const bad of ['', 'AA==', 'zz'.repeat(32), 42, null, 'A'.repeat(44)]) {
      expect(() => decodeHash(bad)).toThrow('not a 32-byte hash');
    }
    expect(() => parseInclusionProof({ leafIndex: 0, hashes: [] })).toThrow(
      'an inclusion proof is',
    );
  });
});
