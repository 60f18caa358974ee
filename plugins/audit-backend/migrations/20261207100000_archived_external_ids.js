// @ts-check

/**
 * Replay protection across the cold archive (docs/audit.md#cold-archive):
 * `(source, external_id)` is unique in `audit_events`, but the archive
 * deletes events from there, so an ingest or webhook delivering an archived
 * event again would append it a second time. The archive now keeps the key
 * of every archived event that has an external id, with where it is:
 *
 * - `audit_archived_external_ids (source, external_id, seq, hash, batch_id)`,
 *   primary key `(source, external_id)`: written in the transaction that
 *   records the batch and deletes its events, kept forever (a few dozen
 *   bytes per event; the events themselves stay in the bucket);
 * - `audit_archive_batches.external_ids_kept`: whether a batch's keys are
 *   in that table.
 *
 * Backfill: batches archived before this migration whose restored copy is
 * in `audit_restored_events` (a restore loads a whole batch) get their keys
 * from it here; the keys of the others are read from the bucket by the next
 * archive run (ColdArchive.keepArchivedKeys), which needs the bucket.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('audit_archived_external_ids', table => {
    table.string('source', 50).notNullable();
    table.string('external_id', 255).notNullable();
    table.bigInteger('seq').notNullable();
    table.string('hash', 64).notNullable();
    table
      .integer('batch_id')
      .unsigned()
      .notNullable()
      .references('id')
      .inTable('audit_archive_batches');
    table.primary(
      ['source', 'external_id'],
      'audit_archived_external_ids_pkey',
    );
  });
  await knex.schema.alterTable('audit_archive_batches', table => {
    table.boolean('external_ids_kept').notNullable().defaultTo(false);
  });

  await knex.raw(
    `INSERT INTO audit_archived_external_ids (source, external_id, seq, hash, batch_id)
     SELECT source, external_id, seq, hash, batch_id FROM audit_restored_events
     WHERE external_id IS NOT NULL`,
  );
  await knex('audit_archive_batches')
    .whereNotNull('restored_at')
    .update({ external_ids_kept: true });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('audit_archived_external_ids');
  await knex.schema.alterTable('audit_archive_batches', table => {
    table.dropColumn('external_ids_kept');
  });
};
