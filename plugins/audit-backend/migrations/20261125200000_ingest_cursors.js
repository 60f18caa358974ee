// @ts-check

/**
 * Where each ingest (authentik, ocis, …) has read up to, so a restart resumes
 * instead of re-reading: one row per source, an opaque cursor string.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('audit_ingest_cursors', table => {
    table.string('source', 50).primary().notNullable();
    table.text('cursor').notNullable();
    table.string('updated_at', 40).notNullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('audit_ingest_cursors');
};
