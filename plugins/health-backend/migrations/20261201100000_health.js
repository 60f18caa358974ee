// @ts-check

/**
 * Integration health (docs/health.md): one row per probe result.
 * `checked_at` is ISO 8601 (UTC, milliseconds), so that text order is time
 * order on every database; `latency_ms` is null for planned integrations
 * (never stored today).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('health_samples', table => {
    table.bigIncrements('id').primary();
    table.string('integration_ref', 255).notNullable();
    table.string('checked_at', 40).notNullable();
    table.string('status', 10).notNullable();
    table.integer('latency_ms').nullable();
    table.text('error').nullable();
    table.index(['integration_ref', 'checked_at'], 'health_samples_ref_at_idx');
    table.index(['checked_at'], 'health_samples_at_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('health_samples');
};
