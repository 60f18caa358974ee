import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import {
  AUDIT_GENESIS_HASH,
  AuditCheckpoint,
  ArchivedAuditEventRef,
  AuditEvent,
  AuditEventInput,
  RecordedAuditEvent,
  chainHash,
} from '@internal/plugin-audit-common';
import { PermissionCriteria } from '@backstage/plugin-permission-common';
import {
  applyPartnerScope,
  migrateLatest,
  PartnerScopeQuery,
} from '@internal/plugin-dezky-node';
import { Knex } from 'knex';
import { fitColumns } from '../services/columns';
import { AuditRow, fromRow, toRow } from './rows';

export { fromRow, toRow } from './rows';
export type { AuditRow } from './rows';

const migrationsDir = resolvePackagePath(
  '@internal/plugin-audit-backend',
  'migrations',
);

/** The filters of an events query, already validated (see the router). */
export interface AuditEventFilter {
  since?: string;
  until?: string;
  /** Exact action. */
  action?: string;
  /** Action prefix, e.g. `tenant.`. */
  actionPrefix?: string;
  tenant?: string;
  partner?: string;
  actor?: string;
  outcome?: string;
  source?: string;
  q?: string;
}

/** Escapes LIKE wildcards so user text matches literally (with ESCAPE '\\'). */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, c => `\\${c}`);
}

/** Work done in an append's transaction on the events it added. */
export type AppendHook = (
  tx: Knex.Transaction,
  events: AuditEvent[],
) => Promise<void>;

const appended = new WeakSet<RecordedAuditEvent>();

/**
 * Whether `append` (in this process) stored this event now, rather than
 * returning an already stored one with the same (source, externalId) — or
 * a reference to it when it is archived.
 */
export function wasAppended(event: RecordedAuditEvent): boolean {
  return appended.has(event);
}

/** Key of the PostgreSQL advisory lock that serializes appends across instances. */
const APPEND_LOCK_KEY = 727_450_001;

const lower = (ref?: string) => ref?.toLocaleLowerCase('en-US');

/** A row of `audit_archived_external_ids`: the key of an archived event. */
interface ArchivedKeyRow {
  source: string;
  external_id: string;
  seq: number | string;
  hash: string;
  batch_id: number | string;
}

function archivedRef(r: ArchivedKeyRow): ArchivedAuditEventRef {
  return {
    archived: true,
    seq: Number(r.seq),
    hash: r.hash,
    source: r.source,
    externalId: r.external_id,
    batchId: Number(r.batch_id),
  };
}

function toCheckpoint(r: any): AuditCheckpoint {
  return {
    at: r.at,
    headSeq: Number(r.head_seq),
    headHash: r.head_hash,
    reason: r.reason,
    kid: r.kid,
    jws: r.jws,
  };
}

/**
 * The hash-chained event store. Appends are serialized in the database — a
 * transaction-scoped advisory lock on PostgreSQL (so several backend
 * instances on one database extend one chain), SQLite's single writer
 * otherwise — and a batch of events is chained and inserted in one
 * transaction.
 */
export class AuditStore {
  static async create(options: {
    database: DatabaseService;
  }): Promise<AuditStore> {
    const knex = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      // waits for another instance migrating the same database
      await migrateLatest(knex, { directory: migrationsDir });
    }
    return new AuditStore(knex);
  }

  private readonly appendHooks: AppendHook[] = [];

  constructor(private readonly knex: Knex) {}

  private get isPostgres(): boolean {
    return this.knex.client.config.client === 'pg';
  }

  /**
   * Appends events in order, durably: they are committed when this resolves.
   * Values wider than their column are cut, whole in `metadata.truncated`.
   * An event whose (source, externalId) is already in the chain is not
   * appended again: the stored event is returned in its place, or, when the
   * archive has moved it out of `audit_events`, an {@link ArchivedAuditEventRef}
   * from the keys the archive keeps (`audit_archived_external_ids`).
   */
  async append(inputs: AuditEventInput[]): Promise<RecordedAuditEvent[]> {
    if (!inputs.length) return [];
    return this.knex.transaction(async tx => {
      if (this.isPostgres) {
        await tx.raw('SELECT pg_advisory_xact_lock(?)', [APPEND_LOCK_KEY]);
      }
      const head = await tx<AuditRow>('audit_events')
        .orderBy('seq', 'desc')
        .first('seq', 'hash');
      let seq = head ? Number(head.seq) : 0;
      let prevHash = head?.hash ?? AUDIT_GENESIS_HASH;

      // looked up as stored: a source clipped to its column, an externalId
      // longer than its column replaced by its SHA-256 (fitColumns)
      const fittedInputs = inputs.map(fitColumns);
      const withIds = fittedInputs.filter(i => i.externalId);
      const existing = new Map<string, RecordedAuditEvent>();
      const keyOf = (source: string, externalId: string) =>
        `${source}\u0000${externalId}`;
      // the hot table first, then the keys of archived events: an archive
      // run commits its keys and deletes its events in one transaction, so
      // read in this order (each statement sees what is committed when it
      // starts) a concurrent run cannot hide a key from both reads
      for (const table of [
        'audit_events',
        'audit_archived_external_ids',
      ] as const) {
        const missing = withIds.filter(
          i => !existing.has(keyOf(i.source, i.externalId!)),
        );
        for (const source of new Set(missing.map(i => i.source))) {
          const ids = [
            ...new Set(
              missing.filter(i => i.source === source).map(i => i.externalId!),
            ),
          ];
          for (let i = 0; i < ids.length; i += 500) {
            const rows = await tx(table)
              .where({ source })
              .whereIn('external_id', ids.slice(i, i + 500));
            for (const r of rows) {
              existing.set(
                keyOf(source, r.external_id),
                table === 'audit_events'
                  ? fromRow(r)
                  : archivedRef(r as ArchivedKeyRow),
              );
            }
          }
        }
      }

      const out: RecordedAuditEvent[] = [];
      const rows: AuditRow[] = [];
      for (const fitted of fittedInputs) {
        const key = fitted.externalId
          ? keyOf(fitted.source, fitted.externalId)
          : undefined;
        const stored = key ? existing.get(key) : undefined;
        if (stored) {
          out.push(stored);
          continue;
        }
        seq += 1;
        const unhashed = {
          ...fitted,
          tenant: lower(fitted.tenant),
          partner: lower(fitted.partner),
          // hashed as it is stored and read back: JSON (a Date becomes its ISO string)
          metadata:
            fitted.metadata && JSON.parse(JSON.stringify(fitted.metadata)),
          seq,
          prevHash,
        };
        const event: AuditEvent = { ...unhashed, hash: chainHash(unhashed) };
        prevHash = event.hash;
        appended.add(event);
        if (key) existing.set(key, event);
        out.push(event);
        rows.push(toRow(event));
      }
      for (let i = 0; i < rows.length; i += 200) {
        await tx('audit_events').insert(rows.slice(i, i + 200));
      }
      const added = out.filter(wasAppended) as AuditEvent[];
      for (const hook of this.appendHooks) await hook(tx, added);
      return out;
    });
  }

  /**
   * Runs `hook` inside every append's transaction, after the new events are
   * inserted (in seq order), so that whatever it writes commits or rolls back
   * with them — e.g. the Merkle tree's nodes.
   */
  onAppend(hook: AppendHook): void {
    this.appendHooks.push(hook);
  }

  /** Runs `fn` in one transaction (for stores that extend the chain's tables). */
  transaction<T>(fn: (tx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.knex.transaction(fn);
  }

  /** The knex client, for stores of the audit plugin that keep their own tables. */
  get client(): Knex {
    return this.knex;
  }

  /** The last event's seq and hash, or null for an empty chain. */
  async head(): Promise<{ seq: number; hash: string } | null> {
    const row = await this.knex<AuditRow>('audit_events')
      .orderBy('seq', 'desc')
      .first('seq', 'hash');
    return row ? { seq: Number(row.seq), hash: row.hash } : null;
  }

  /**
   * The newest events first (by seq), matching every given filter, before
   * `beforeSeq` (exclusive) when given, and — when `scope` is given — only
   * the rows the permission criteria allow, decided in SQL. `table`
   * `audit_restored_events` searches restored archive batches instead.
   */
  async query(options: {
    filter?: AuditEventFilter;
    scope?: PermissionCriteria<PartnerScopeQuery>;
    limit: number;
    beforeSeq?: number;
    table?: 'audit_events' | 'audit_restored_events';
  }): Promise<AuditEvent[]> {
    const f = options.filter ?? {};
    const query = this.knex<AuditRow>(options.table ?? 'audit_events')
      .orderBy('seq', 'desc')
      .limit(options.limit);
    if (options.beforeSeq) query.where('seq', '<', options.beforeSeq);
    if (f.since) query.where('at', '>=', f.since);
    if (f.until) query.where('at', '<', f.until);
    if (f.action) query.where('action', f.action);
    if (f.actionPrefix) {
      query.whereRaw(`action LIKE ? ESCAPE '\\'`, [
        `${likeLiteral(f.actionPrefix)}%`,
      ]);
    }
    if (f.tenant) query.where('tenant_ref', lower(f.tenant));
    if (f.partner) query.where('partner_ref', lower(f.partner));
    if (f.actor) {
      const actor = f.actor.toLocaleLowerCase('en-US');
      query.where(b =>
        b
          .whereRaw('LOWER(actor_email) = ?', [actor])
          .orWhereRaw('LOWER(actor_ref) = ?', [actor]),
      );
    }
    if (f.outcome) query.where('outcome', f.outcome);
    if (f.source) query.where('source', f.source);
    if (f.q) {
      const pattern = `%${likeLiteral(f.q.toLocaleLowerCase('en-US'))}%`;
      query.where(b => {
        for (const column of [
          'action',
          'resource_name',
          'resource_ref',
          'actor_email',
          'actor_ref',
          'tenant_ref',
        ]) {
          b.orWhereRaw(`LOWER(??) LIKE ? ESCAPE '\\'`, [column, pattern]);
        }
      });
    }
    if (options.scope) {
      applyPartnerScope(query, options.scope, {
        partnerRef: 'partner_ref',
        tenantRef: 'tenant_ref',
      });
    }
    return (await query).map(fromRow);
  }

  /**
   * The tenant and partner of the events with these seqs (as the permission
   * framework's resource refs: decimal strings), in order; `undefined` for a
   * ref that is not a seq or names no event. Read from the hot table, else
   * from a restored archive batch.
   */
  async scopesOf(
    refs: string[],
  ): Promise<Array<{ tenantRef?: string; partnerRef?: string } | undefined>> {
    const seqs = [
      ...new Set(refs.filter(r => /^[1-9][0-9]{0,15}$/.test(r)).map(Number)),
    ].filter(Number.isSafeInteger);
    const found = new Map<
      number,
      { tenantRef?: string; partnerRef?: string }
    >();
    for (const table of ['audit_events', 'audit_restored_events']) {
      const missing = seqs.filter(seq => !found.has(seq));
      for (let i = 0; i < missing.length; i += 500) {
        const rows: Pick<AuditRow, 'seq' | 'tenant_ref' | 'partner_ref'>[] =
          await this.knex(table)
            .whereIn('seq', missing.slice(i, i + 500))
            .select('seq', 'tenant_ref', 'partner_ref');
        for (const r of rows) {
          found.set(Number(r.seq), {
            ...(r.tenant_ref ? { tenantRef: r.tenant_ref } : {}),
            ...(r.partner_ref ? { partnerRef: r.partner_ref } : {}),
          });
        }
      }
    }
    return refs.map(ref =>
      /^[1-9][0-9]{0,15}$/.test(ref) ? found.get(Number(ref)) : undefined,
    );
  }

  async addCheckpoint(c: AuditCheckpoint): Promise<void> {
    await this.knex('audit_checkpoints').insert({
      at: c.at,
      head_seq: c.headSeq,
      head_hash: c.headHash,
      reason: c.reason,
      kid: c.kid,
      jws: c.jws,
    });
  }

  /** All checkpoints, oldest head first. */
  async checkpoints(): Promise<AuditCheckpoint[]> {
    const rows = await this.knex('audit_checkpoints')
      .orderBy('head_seq', 'asc')
      .orderBy('id', 'asc');
    return rows.map(toCheckpoint);
  }

  /** The newest checkpoint, if any. */
  async latestCheckpoint(): Promise<AuditCheckpoint | undefined> {
    const row = await this.knex('audit_checkpoints')
      .orderBy('id', 'desc')
      .first();
    return row ? toCheckpoint(row) : undefined;
  }

  /**
   * How a worker thread reads `audit_events` itself (verifyChain's workers,
   * one connection each): the client and connection of this store's knex,
   * on PostgreSQL; undefined on SQLite (an in-memory database is this
   * connection's alone; a file is read fast enough here) and when the
   * connection settings are not plain data.
   */
  workerDatabase(): Knex.Config | undefined {
    if (!this.isPostgres) return undefined;
    const config = this.knex.client.config as Knex.Config;
    const database: Knex.Config = {
      client: 'pg',
      connection: config.connection,
      ...(config.searchPath ? { searchPath: config.searchPath } : {}),
    };
    try {
      structuredClone(database);
    } catch {
      return undefined; // e.g. a connection given as a function
    }
    return database;
  }

  /** The lowest and highest seq in the hot table; null when it is empty. */
  async seqBounds(): Promise<{ min: number; max: number } | null> {
    const row = await this.knex('audit_events')
      .min({ min: 'seq' })
      .max({ max: 'seq' })
      .first();
    return row?.min === null || row?.min === undefined
      ? null
      : { min: Number(row.min), max: Number(row.max) };
  }

  /** Rows in seq order, from `afterSeq` (exclusive), at most `limit`. */
  async rowsAfter(afterSeq: number, limit: number): Promise<AuditRow[]> {
    return this.knex<AuditRow>('audit_events')
      .where('seq', '>', afterSeq)
      .orderBy('seq', 'asc')
      .limit(limit);
  }

  /** The cursor an ingest saved for `source`, if any. */
  async getCursor(source: string): Promise<string | undefined> {
    const row = await this.knex('audit_ingest_cursors')
      .where({ source })
      .first('cursor');
    return row?.cursor;
  }

  /** Saves (or replaces) the cursor of an ingest. */
  async setCursor(source: string, cursor: string): Promise<void> {
    await this.knex('audit_ingest_cursors')
      .insert({ source, cursor, updated_at: new Date().toISOString() })
      .onConflict('source')
      .merge();
  }
}
