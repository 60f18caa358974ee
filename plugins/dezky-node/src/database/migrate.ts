import { Knex } from 'knex';

/** What {@link migrateLatest} runs. */
export interface MigrateLatestOptions {
  /** The folder of the plugin's migrations (resolvePackagePath(…, 'migrations')). */
  directory: string;
  /** knex's migration table; knex's default `knex_migrations`. */
  tableName?: string;
}

/**
 * `knex.migrate.latest`, waiting for another process that is migrating the
 * same database instead of failing.
 *
 * knex itself does not wait: when two backend instances start together on an
 * empty PostgreSQL database, both create the `knex_migrations` tables (one
 * fails with `relation "knex_migrations" already exists` or a duplicate
 * `pg_type` key) and the later one finds the migration lock taken
 * (`MigrationLocked`). On PostgreSQL this first takes an advisory lock named
 * after the database, schema and migration table, in a transaction of its
 * own, so the second instance waits until the first has migrated and then
 * finds nothing left to do; the lock ends with that transaction, also when
 * the process dies. SQLite (one process per file, in memory here) migrates
 * directly.
 *
 * Every Dezky store's static `create()` migrates through this.
 */
export async function migrateLatest(
  knex: Knex,
  options: MigrateLatestOptions,
): Promise<void> {
  const config = {
    directory: options.directory,
    ...(options.tableName && { tableName: options.tableName }),
  };
  if (!['pg', 'postgres', 'postgresql'].includes(knex.client.config.client)) {
    await knex.migrate.latest(config);
    return;
  }
  // a transaction-level lock: released when the transaction ends, also when
  // the migrations fail or the connection is lost. The migrations run on
  // other connections of the pool (so it needs at least two, as knex's
  // default pool of 2..10 has).
  await knex.transaction(async trx => {
    await takeMigrationLock(trx, options.tableName ?? 'knex_migrations');
    await knex.migrate.latest(config);
  });
}

/**
 * Waits for, and holds until `trx` ends, the PostgreSQL advisory lock that
 * {@link migrateLatest} takes for migration table `table` of the
 * transaction's database and schema (the plugins' databases never wait for
 * each other).
 */
export async function takeMigrationLock(
  trx: Knex.Transaction,
  table: string,
): Promise<void> {
  await trx.raw(
    "SELECT pg_advisory_xact_lock(hashtext('dezky-migrations'), hashtext(current_database() || '.' || current_schema() || '.' || ?))",
    [table],
  );
}
