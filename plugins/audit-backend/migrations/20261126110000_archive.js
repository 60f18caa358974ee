// @ts-check

/**
 * The cold archive (docs/audit.md#cold-archive):
 *
 * - `audit_archive_batches`: one row per archived range of the chain — seq
 *   range, count, the chain hashes at its ends, the object and manifest keys
 *   in the bucket with their SHA-256 and size. Written in the transaction
 *   that deletes the range from `audit_events`; `from_seq` is unique, so a
 *   range is never recorded twice.
 * - `audit_archive_state`: one row (`id = 'archive'`): the run lease (which
 *   instance archives, until when), the range being uploaded but not yet
 *   recorded (so a failed run's retry overwrites the same objects), and the
 *   UTC day of the last scheduled run.
 * - `audit_restored_events`: read-only copies of restored batches, the
 *   columns of `audit_events` plus the batch and when it was restored.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('audit_archive_batches', table => {
    table.increments('id');
    table.bigInteger('from_seq').notNullable();
    table.bigInteger('to_seq').notNullable();
    table.integer('count').notNullable();
    table.string('first_prev_hash', 64).notNullable();
    table.string('last_hash', 64).notNullable();
    table.string('object_key', 1024).notNullable();
    table.string('object_sha256', 64).notNullable();
    table.bigInteger('object_bytes').notNullable();
    table.bigInteger('uncompressed_bytes').notNullable();
    table.string('manifest_key', 1024).notNullable();
    table.string('manifest_sha256', 64).notNullable();
    table.string('kid', 100).notNullable();
    table.string('archived_at', 40).notNullable();
    table.string('restored_at', 40).nullable();
    table.unique(['from_seq'], { indexName: 'audit_archive_batches_from_seq' });
  });

  await knex.schema.createTable('audit_archive_state', table => {
    table.string('id', 20).primary().notNullable();
    table.string('holder', 200).nullable();
    table.string('lease_until', 40).nullable();
    table.bigInteger('pending_from_seq').nullable();
    table.bigInteger('pending_to_seq').nullable();
    table.string('pending_object_key', 1024).nullable();
    table.string('pending_manifest_key', 1024).nullable();
    table.string('last_scheduled_day', 10).nullable();
  });
  await knex('audit_archive_state').insert({ id: 'archive' });

  await knex.schema.createTable('audit_restored_events', table => {
    table.bigInteger('seq').primary().notNullable();
    table.string('at', 40).notNullable();
    table.string('actor_type', 20).notNullable();
    table.string('actor_ref', 255).nullable();
    table.string('actor_email', 255).nullable();
    table.string('actor_ip', 64).nullable();
    table.string('action', 200).notNullable();
    table.string('outcome', 10).notNullable();
    table.string('resource_type', 100).nullable();
    table.string('resource_ref', 255).nullable();
    table.string('resource_name', 255).nullable();
    table.string('tenant_ref', 255).nullable();
    table.string('partner_ref', 255).nullable();
    table.string('source', 50).notNullable();
    table.string('external_id', 255).nullable();
    table.text('metadata').nullable();
    table.string('prev_hash', 64).notNullable();
    table.string('hash', 64).notNullable();
    table
      .integer('batch_id')
      .unsigned()
      .notNullable()
      .references('id')
      .inTable('audit_archive_batches');
    table.string('restored_at', 40).notNullable();
    table.index(['batch_id'], 'audit_restored_events_batch_id');
    table.index(['tenant_ref'], 'audit_restored_events_tenant_ref');
    table.index(['partner_ref'], 'audit_restored_events_partner_ref');
    table.index(['at'], 'audit_restored_events_at');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('audit_restored_events');
  await knex.schema.dropTable('audit_archive_state');
  await knex.schema.dropTable('audit_archive_batches');
};
