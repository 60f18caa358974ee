// @ts-check

/**
 * The price catalog (docs/billing.md#prices). Amounts are whole minor
 * units; times are ISO 8601 UTC strings.
 *
 * - billing_prices: one row per plan × currency × cycle, its current
 *   per-seat amount and version, and the Stripe product and price of that
 *   version;
 * - billing_price_versions: the earlier versions of each row (an edit of
 *   the amount makes a new version: Stripe prices are immutable).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('billing_prices', table => {
    table.string('id', 36).primary();
    table.string('plan', 100).notNullable();
    table.string('currency', 3).notNullable();
    table.string('cycle', 10).notNullable();
    table.integer('per_seat_amount').notNullable();
    table.integer('version').notNullable();
    table.string('stripe_product_id', 255).nullable();
    table.string('stripe_price_id', 255).nullable();
    table.string('created_at', 40).notNullable();
    table.string('updated_at', 40).notNullable();
    table.string('updated_by', 255).nullable();
    table.unique(['plan', 'currency', 'cycle'], {
      indexName: 'billing_prices_plan_currency_cycle_uq',
    });
  });
  await knex.schema.createTable('billing_price_versions', table => {
    table.string('price_id', 36).notNullable();
    table.integer('version').notNullable();
    table.integer('per_seat_amount').notNullable();
    table.string('stripe_price_id', 255).nullable();
    table.string('replaced_at', 40).notNullable();
    table.string('replaced_by', 255).nullable();
    table.primary(['price_id', 'version']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('billing_price_versions');
  await knex.schema.dropTable('billing_prices');
};
