// @ts-check

/**
 * Feature flags (docs/flags.md): one row per flag. `pct_bp` is the rollout
 * percentage in basis points (0–10000, i.e. pct × 100), an integer so that
 * two decimals are exact on every database. `scope` is the JSON of
 * { plans, tenants, partners, environments }.
 *
 * `flags_version` has one row: the flag set's version, bumped in the
 * transaction of every change (the ETag of GET /flags and of OFREP), and an
 * epoch that tells one database from another (a recreated one restarts the
 * counter).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('flags', table => {
    table.string('key', 64).primary().notNullable();
    table.text('description').notNullable();
    table.string('type', 20).notNullable();
    table.string('state', 20).notNullable();
    table.integer('pct_bp').notNullable().defaultTo(0);
    table.text('scope').notNullable();
    table.string('owner', 255).nullable();
    table.string('created_at', 40).notNullable();
    table.string('updated_at', 40).notNullable();
  });
  await knex.schema.createTable('flags_version', table => {
    table.integer('id').primary().notNullable();
    table.bigInteger('version').notNullable();
    table.string('epoch', 40).notNullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('flags_version');
  await knex.schema.dropTable('flags');
};
