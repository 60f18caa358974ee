import { mockServices } from '@backstage/backend-test-utils';
import { dezkyTestDatabases } from '@internal/dezky-test-utils';
import {
  AuditEventInput,
  encodeHex,
  leafHash,
  merkleTreeHash,
  verifyConsistency,
  verifyInclusion,
} from '@internal/plugin-audit-common';
import { Knex } from 'knex';
import { AuditStore } from './AuditStore';
import { MerkleStore, frontier } from './MerkleStore';

jest.setTimeout(120_000);

const databases = dezkyTestDatabases();

const event = (i: number): AuditEventInput => ({
  at: new Date(Date.UTC(2026, 10, 26, 10, 0, 0, i)).toISOString(),
  actor: { type: 'system' },
  action: 'tenant.updated',
  outcome: 'success',
  source: 'portal',
  metadata: { i },
});
const events = (from: number, count: number) =>
  Array.from({ length: count }, (_, k) => event(from + k));

/** Every complete perfect subtree of `leaves`, naively: level:idx → hex. */
function expectedNodes(leaves: Uint8Array[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let level = 0, span = 1; span <= leaves.length; level++, span *= 2) {
    for (let i = 0; (i + 1) * span <= leaves.length; i++) {
      out.set(
        `${level}:${i}`,
        encodeHex(merkleTreeHash(leaves.slice(i * span, (i + 1) * span))),
      );
    }
  }
  return out;
}

describe('frontier', () => {
  it('names one complete subtree per set bit of the size', () => {
    expect(frontier(0)).toEqual([]);
    expect(frontier(6)).toEqual([
      { level: 1, index: 2 },
      { level: 2, index: 0 },
    ]);
    expect(frontier(2 ** 40 + 1)).toEqual([
      { level: 0, index: 2 ** 40 },
      { level: 40, index: 0 },
    ]);
  });
});

describe.each(databases.eachSupportedId())('MerkleStore on %p', databaseId => {
  let knex: Knex;
  let store: AuditStore;

  beforeEach(async () => {
    knex = await databases.init(databaseId);
    store = await AuditStore.create({
      database: mockServices.database({ knex }),
    });
  });

  async function leafHashesOfChain(): Promise<Uint8Array[]> {
    const rows = await knex('audit_events').orderBy('seq').select('hash');
    return rows.map(r => leafHash(r.hash));
  }

  async function storedNodes(): Promise<Map<string, string>> {
    const rows = await knex('audit_merkle_nodes').select(
      'level',
      'idx',
      'hash',
    );
    return new Map(
      rows.map(r => [`${Number(r.level)}:${Number(r.idx)}`, r.hash]),
    );
  }

  it('keeps every complete subtree in step with appends of any batch size, and proves from them', async () => {
    const merkle = MerkleStore.attach(store);
    expect(await merkle.treeSize()).toBe(0);
    expect(await merkle.rootAt(0)).toEqual(merkleTreeHash([]));
    let n = 0;
    const sizes: number[] = [];
    for (const batch of [1, 1, 2, 5, 8, 3, 31, 64, 1, 17, 100]) {
      await store.append(events(n, batch));
      n += batch;
      sizes.push(n);
      expect(await merkle.treeSize()).toBe(n);
    }
    const leaves = await leafHashesOfChain();
    expect(leaves).toHaveLength(n);
    expect(await storedNodes()).toEqual(expectedNodes(leaves));

    for (const size of sizes) {
      const root = merkleTreeHash(leaves.slice(0, size));
      expect(await merkle.rootAt(size)).toEqual(root);
      for (const i of [0, Math.floor(size / 3), size - 1]) {
        const proof = await merkle.inclusionProof(i, size);
        expect(proof.rootHash).toEqual(root);
        expect(verifyInclusion(i, size, leaves[i], proof.hashes, root)).toBe(
          true,
        );
        expect(
          verifyInclusion(i, size, leaves[(i + 1) % n], proof.hashes, root),
        ).toBe(false);
      }
      for (const later of sizes.filter(s => s >= size)) {
        const proof = await merkle.consistencyProof(size, later);
        expect(
          verifyConsistency(
            size,
            later,
            proof,
            root,
            merkleTreeHash(leaves.slice(0, later)),
          ),
        ).toBe(true);
      }
    }
  });

  it('reads O(log n) nodes in one query per proof, and nothing of audit_events', async () => {
    const merkle = MerkleStore.attach(store);
    await store.append(events(0, 1000));
    await store.append(events(1000, 23));
    const queries: string[] = [];
    const onQuery = (q: { sql: string }) => queries.push(q.sql);
    knex.on('query', onQuery);
    try {
      const inclusion = await merkle.inclusionProof(700, 1023);
      const consistency = await merkle.consistencyProof(333, 1023);
      expect(inclusion.hashes).toHaveLength(10);
      expect(consistency.length).toBeLessThanOrEqual(2 * 10);
    } finally {
      knex.off('query', onQuery);
    }
    expect(queries).toHaveLength(2);
    expect(queries.join('\n')).not.toContain('audit_events');
    // proofs stay valid when events leave audit_events (the archive)
    const root = merkleTreeHash(await leafHashesOfChain());
    const seven = await knex('audit_events').where({ seq: 8 }).first('hash');
    await knex('audit_events').where('seq', '<=', 900).delete();
    const proof = await merkle.inclusionProof(7, 1023);
    expect(proof.rootHash).toEqual(root);
    expect(
      verifyInclusion(7, 1023, leafHash(seven.hash), proof.hashes, root),
    ).toBe(true);
  });

  it('commits the nodes with their events: a failed append writes neither', async () => {
    const merkle = MerkleStore.attach(store);
    await store.append(events(0, 5));
    store.onAppend(async () => {
      throw new Error('after the tree');
    });
    await expect(store.append(events(5, 3))).rejects.toThrow('after the tree');
    expect(await merkle.treeSize()).toBe(5);
    const [{ n }] = await knex('audit_events').count({ n: '*' });
    expect(Number(n)).toBe(5);
    expect(await storedNodes()).toEqual(
      expectedNodes(await leafHashesOfChain()),
    );
  });

  it('backfills the leaves of existing events, idempotently, and heals a gap on append', async () => {
    // events from before the tree
    await store.append(events(0, 250));
    const merkle = new MerkleStore(knex);
    expect(await merkle.treeSize()).toBe(0);
    expect(await merkle.backfill({ chunk: 64 })).toBe(250);
    expect(await merkle.backfill({ chunk: 64 })).toBe(0);
    expect(await storedNodes()).toEqual(
      expectedNodes(await leafHashesOfChain()),
    );

    // an instance without the tree appends; the next append with it heals
    await store.append(events(250, 9));
    const hooked = await AuditStore.create({
      database: mockServices.database({ knex }),
    });
    MerkleStore.attach(hooked);
    await hooked.append(events(259, 4));
    expect(await merkle.treeSize()).toBe(263);
    expect(await storedNodes()).toEqual(
      expectedNodes(await leafHashesOfChain()),
    );

    // two backfills at once (two instances starting) write the same rows
    await store.append(events(263, 300));
    const again = new MerkleStore(knex);
    const added = await Promise.all([merkle.backfill(), again.backfill()]);
    expect(Math.max(...added)).toBe(300);
    expect(await storedNodes()).toEqual(
      expectedNodes(await leafHashesOfChain()),
    );
  });

  it('refuses to build leaves over a gap in audit_events', async () => {
    await store.append(events(0, 10));
    await knex('audit_events').where('seq', '<=', 3).delete();
    await expect(new MerkleStore(knex).backfill()).rejects.toThrow(
      'expected the event of seq 1, got seq 4',
    );
  });
});
