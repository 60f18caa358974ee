// @ts-check

/**
 * Hourly rollups of the probe results older than the raw retention
 * (docs/health.md#history): one row per integration and UTC hour. `hour` is
 * ISO 8601 like `checked_at`, so text order is time order; the unique key
 * stops an hour from being counted twice.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('health_rollups', table => {
    table.bigIncrements('id').primary();
    table.string('integration_ref', 255).notNullable();
    table.string('hour', 40).notNullable();
    table.integer('samples').notNullable();
    table.integer('ok').notNullable();
    table.integer('warn').notNullable();
    table.integer('bad').notNullable();
    table.integer('latency_p50').nullable();
    table.integer('latency_p95').nullable();
    table.integer('latency_max').nullable();
    table.text('last_error').nullable();
    table.unique(['integration_ref', 'hour'], {
      indexName: 'health_rollups_ref_hour_uq',
    });
    table.index(['hour'], 'health_rollups_hour_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('health_rollups');
};
