import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { Flag, FlagScope } from '@internal/plugin-flags-common';
import { randomBytes } from 'crypto';
import { migrateLatest } from '@internal/plugin-dezky-node';
import { Knex } from 'knex';

const migrationsDir = resolvePackagePath(
  '@internal/plugin-flags-backend',
  'migrations',
);

interface FlagRow {
  key: string;
  description: string;
  type: string;
  state: string;
  pct_bp: number | string;
  scope: string;
  owner: string | null;
  created_at: string;
  updated_at: string;
}

const AXES = ['plans', 'tenants', 'partners', 'environments'] as const;

function parseScope(json: string): FlagScope {
  let raw: Partial<Record<keyof FlagScope, unknown>> = {};
  try {
    raw = JSON.parse(json) ?? {};
  } catch {
    // a hand-edited row; an unreadable scope is an empty one
  }
  const list = (v: unknown) =>
    Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  return {
    plans: list(raw.plans),
    tenants: list(raw.tenants),
    partners: list(raw.partners),
    environments: list(raw.environments),
  };
}

function fromRow(row: FlagRow): Flag {
  return {
    key: row.key,
    description: row.description,
    type: row.type as Flag['type'],
    state: row.state as Flag['state'],
    pct: Number(row.pct_bp) / 100,
    scope: parseScope(row.scope),
    ...(row.owner ? { owner: row.owner } : {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Percent (at most two decimals) to basis points, exactly. */
export function toBasisPoints(pct: number): number {
  return Math.round(pct * 100);
}

function toRow(flag: Flag): FlagRow {
  return {
    key: flag.key,
    description: flag.description,
    type: flag.type,
    state: flag.state,
    pct_bp: toBasisPoints(flag.pct),
    scope: JSON.stringify(
      Object.fromEntries(AXES.map(axis => [axis, flag.scope[axis]])),
    ),
    owner: flag.owner ?? null,
    created_at: flag.createdAt,
    updated_at: flag.updatedAt,
  };
}

/** Runs on the store's knex, or inside a transaction of it. */
type Db = Knex | Knex.Transaction;

/**
 * The flags, in the plugin's database (SQLite or PostgreSQL). Writes take a
 * transaction (`transaction`), in which the caller also bumps the version
 * and records the audit event; reads run on their own.
 */
export class FlagStore {
  static async create(options: { database: DatabaseService }) {
    const knex = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      // waits for another instance migrating the same database
      await migrateLatest(knex, { directory: migrationsDir });
    }
    // the version row; with several instances starting at once, one wins
    await knex('flags_version')
      .insert({ id: 1, version: 0, epoch: randomBytes(4).toString('hex') })
      .onConflict('id')
      .ignore();
    return new FlagStore(knex);
  }

  constructor(private readonly knex: Knex) {}

  private get isPostgres(): boolean {
    return this.knex.client.config.client === 'pg';
  }

  transaction<T>(fn: (tx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.knex.transaction(fn);
  }

  /** Every flag, by key. */
  async list(db: Db = this.knex): Promise<Flag[]> {
    const rows = await db<FlagRow>('flags').select('*').orderBy('key');
    return rows.map(fromRow);
  }

  /** One flag; in a transaction on PostgreSQL, locked until it ends. */
  async get(key: string, db: Db = this.knex): Promise<Flag | undefined> {
    let query = db<FlagRow>('flags').where({ key }).first();
    if (this.isPostgres && db.isTransaction) {
      query = query.forUpdate();
    }
    const row = await query;
    return row ? fromRow(row) : undefined;
  }

  /** Inserts the flag unless one with its key exists; true if inserted. */
  async insertIfAbsent(flag: Flag, tx: Knex.Transaction): Promise<boolean> {
    const inserted = await tx('flags')
      .insert(toRow(flag))
      .onConflict('key')
      .ignore()
      .returning('key');
    return inserted.length > 0;
  }

  async update(flag: Flag, tx: Knex.Transaction): Promise<void> {
    const { key, created_at: _created, ...rest } = toRow(flag);
    await tx('flags').where({ key }).update(rest);
  }

  /** True if there was such a flag. */
  async delete(key: string, tx: Knex.Transaction): Promise<boolean> {
    const n = await tx('flags').where({ key }).delete();
    return n > 0;
  }

  /** Bumps the flag set's version (in the change's transaction). */
  async bumpVersion(tx: Knex.Transaction): Promise<void> {
    await tx('flags_version')
      .where({ id: 1 })
      .update({ version: tx.raw('version + 1') });
  }

  /**
   * The flag set's version: `<epoch>-<counter>`, changed by every change.
   * Read it before the flags it describes, so that flags are never older
   * than the version they are served under.
   */
  async version(db: Db = this.knex): Promise<string> {
    const row = await db('flags_version').where({ id: 1 }).first();
    return `${row.epoch}-${Number(row.version)}`;
  }
}
