import {
  AuditEvent,
  LeafRange,
  encodeHex,
  NodeId,
  NodeReader,
  consistencyRanges,
  inclusionRanges,
  leafHash,
  nodeHash,
  nodeKey,
  rangeHashes,
  rootHash,
} from '@internal/plugin-audit-common';
import { Knex } from 'knex';
import { AuditStore } from './AuditStore';

const TABLE = 'audit_merkle_nodes';
/** Rows per INSERT (3 parameters each). */
const INSERT_CHUNK = 500;
/** (level, idx) pairs per SELECT. */
const SELECT_CHUNK = 250;

type Db = Knex | Knex.Transaction;

/** An event as the tree needs it: its position and chain hash (hex). */
export type MerkleLeafInput = Pick<AuditEvent, 'seq' | 'hash'>;

/**
 * The complete perfect subtrees of the tree of `size` leaves that a next leaf
 * may need as left siblings: one per set bit of `size`.
 */
export function frontier(size: number): NodeId[] {
  const out: NodeId[] = [];
  for (let level = 0, span = 1; span <= size; level++, span *= 2) {
    const q = Math.floor(size / span);
    if (q % 2 === 1) out.push({ level, index: q - 1 });
  }
  return out;
}

/**
 * The Merkle tree over the chain (RFC 9162, see `plugin-audit-common`'s
 * merkle/rfc9162.ts), in table
 * `audit_merkle_nodes`: every complete perfect subtree — level 0 the leaf
 * hashes (idx = seq - 1), level L index i the leaves [i·2^L, (i+1)·2^L).
 * Nodes are written in the append transaction of their events (see
 * {@link MerkleStore.attach}) and never change, so a root or proof of any
 * size up to the current one reads O(log n) rows in one query, and nothing
 * of audit_events.
 */
export class MerkleStore {
  constructor(private readonly knex: Knex) {}

  /**
   * A store whose tree grows with `store`'s chain: every append writes the
   * new leaves and the parents they complete in the same transaction.
   */
  static attach(store: AuditStore): MerkleStore {
    const merkle = new MerkleStore(store.client);
    store.onAppend(async (tx, events) => {
      await merkle.appendLeaves(tx, events);
    });
    return merkle;
  }

  /** The number of leaves (= the seq of the last event with a leaf). */
  async treeSize(db: Db = this.knex): Promise<number> {
    const row: { m?: number | string | null } | undefined = await db(TABLE)
      .where({ level: 0 })
      .max({ m: 'idx' })
      .first();
    return row?.m === null || row?.m === undefined ? 0 : Number(row.m) + 1;
  }

  /** The hashes of perfect subtrees, by `nodeKey`: one query (per 250 ids). */
  async nodes(
    ids: readonly NodeId[],
    db: Db = this.knex,
  ): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    for (let i = 0; i < ids.length; i += SELECT_CHUNK) {
      const pairs = ids
        .slice(i, i + SELECT_CHUNK)
        .map(id => [id.level, id.index]);
      const rows: { level: number; idx: number | string; hash: string }[] =
        await db(TABLE)
          .whereIn(['level', 'idx'], pairs)
          .select('level', 'idx', 'hash');
      for (const r of rows) {
        out.set(
          nodeKey({ level: Number(r.level), index: Number(r.idx) }),
          Buffer.from(r.hash, 'hex'),
        );
      }
    }
    return out;
  }

  private get reader(): NodeReader {
    return ids => this.nodes(ids);
  }

  /** The root of the tree of `size` leaves (≤ treeSize). */
  rootAt(size: number): Promise<Uint8Array> {
    return rootHash(size, this.reader);
  }

  /**
   * The inclusion proof of leaf `leafIndex` (seq - 1) in the tree of
   * `treeSize` leaves (≤ treeSize()), leaf to root, and that tree's root:
   * one query.
   */
  async inclusionProof(
    leafIndex: number,
    treeSize: number,
  ): Promise<{ hashes: Uint8Array[]; rootHash: Uint8Array }> {
    const ranges: LeafRange[] = [
      ...inclusionRanges(leafIndex, treeSize),
      [0, treeSize],
    ];
    const hashes = await rangeHashes(ranges, this.reader);
    return { hashes: hashes.slice(0, -1), rootHash: hashes[hashes.length - 1] };
  }

  /** The consistency proof from the tree of `m` leaves to that of `n`: one query. */
  consistencyProof(m: number, n: number): Promise<Uint8Array[]> {
    return rangeHashes(consistencyRanges(m, n), this.reader);
  }

  /**
   * Adds the leaves of `events` (in seq order, as an append adds them) and
   * every parent they complete, in `tx`. Leaves it already has are skipped;
   * leaves missing before the first event (events appended without the tree)
   * are read from audit_events first. Returns the number of leaves added.
   */
  async appendLeaves(
    tx: Knex.Transaction,
    events: readonly MerkleLeafInput[],
  ): Promise<number> {
    if (!events.length) return 0;
    const size = await this.treeSize(tx);
    let leaves = events
      .filter(e => e.seq > size)
      .map(e => ({ seq: Number(e.seq), hash: e.hash }));
    if (!leaves.length) return 0;
    if (leaves[0].seq > size + 1) {
      const gap: { seq: number | string; hash: string }[] = await tx(
        'audit_events',
      )
        .where('seq', '>', size)
        .andWhere('seq', '<', leaves[0].seq)
        .orderBy('seq', 'asc')
        .select('seq', 'hash');
      leaves = [
        ...gap.map(r => ({ seq: Number(r.seq), hash: r.hash })),
        ...leaves,
      ];
    }
    leaves.forEach((leaf, i) => {
      if (leaf.seq !== size + 1 + i) {
        throw new Error(
          `Merkle tree of ${size} leaves: expected the event of seq ${
            size + 1 + i
          }, got seq ${leaf.seq} (events missing from audit_events?)`,
        );
      }
    });
    await this.writeLeaves(
      tx,
      size,
      leaves.map(l => l.hash),
    );
    return leaves.length;
  }

  /** Writes leaves size, size+1, … and the parents they complete. */
  private async writeLeaves(
    tx: Knex.Transaction,
    size: number,
    eventHashes: readonly string[],
  ): Promise<void> {
    const needed = frontier(size);
    const known = await this.nodes(needed, tx);
    if (known.size !== needed.length) {
      throw new Error(`Merkle tree of ${size} leaves: nodes are missing`);
    }
    // in completion order, the same in every writer (see backfill)
    const rows: { level: number; idx: number; hash: string }[] = [];
    const put = (level: number, index: number, hash: Uint8Array) => {
      known.set(nodeKey({ level, index }), hash);
      rows.push({ level, idx: index, hash: encodeHex(hash) });
    };
    eventHashes.forEach((eventHash, k) => {
      let index = size + k;
      let level = 0;
      let hash = leafHash(eventHash);
      put(level, index, hash);
      while (index % 2 === 1) {
        // the left sibling: completed before, in this batch or the frontier
        hash = nodeHash(known.get(nodeKey({ level, index: index - 1 }))!, hash);
        index = (index - 1) / 2;
        level += 1;
        put(level, index, hash);
      }
    });
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      // a concurrent backfill writes the same rows: identical, keep either
      await tx(TABLE)
        .insert(rows.slice(i, i + INSERT_CHUNK))
        .onConflict(['level', 'idx'])
        .ignore();
    }
  }

  /**
   * Builds the leaves of events that have none (a database from before the
   * tree, or events appended by an instance without it), `chunk` events per
   * transaction. Idempotent; returns the number of leaves added.
   */
  async backfill(options?: { chunk?: number }): Promise<number> {
    const chunk = options?.chunk ?? 5_000;
    let total = 0;
    for (;;) {
      const added = await this.knex.transaction(async tx => {
        const size = await this.treeSize(tx);
        const rows: { seq: number | string; hash: string }[] = await tx(
          'audit_events',
        )
          .where('seq', '>', size)
          .orderBy('seq', 'asc')
          .limit(chunk)
          .select('seq', 'hash');
        return this.appendLeaves(
          tx,
          rows.map(r => ({ seq: Number(r.seq), hash: r.hash })),
        );
      });
      if (!added) return total;
      total += added;
    }
  }
}
