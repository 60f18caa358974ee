// @ts-check

/**
 * Each tenant's billing (docs/billing.md#subscriptions): the local
 * subscription record, the source of truth for MRR, kept from the tenants'
 * lifecycle events.
 *
 * - billing_tenants: one row per tenant billing has heard of — plan, seats
 *   and lifecycle as last announced, the price snapshot it bills at, the
 *   subscription status, its MRR (minor units, rounded once per tenant) and
 *   its billing condition;
 * - billing_handled_events: the lifecycle events already applied (by their
 *   stable id), so a repeat changes nothing.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('billing_tenants', table => {
    table.string('tenant_ref', 255).primary();
    table.string('tenant_name', 255).notNullable();
    table.string('partner_ref', 255).nullable();
    table.string('plan', 100).notNullable();
    table.integer('seats').notNullable();
    table.string('lifecycle', 12).notNullable();
    table.boolean('activated').notNullable().defaultTo(false);
    table.string('currency', 3).nullable();
    table.string('cycle', 10).nullable();
    table.string('price_id', 36).nullable();
    table.integer('price_version').nullable();
    table.integer('per_seat_amount').nullable();
    table.string('status', 10).nullable();
    table.bigInteger('mrr').notNullable().defaultTo(0);
    table.bigInteger('paused_mrr').notNullable().defaultTo(0);
    table.string('condition_kind', 30).notNullable();
    table.text('condition_message').notNullable();
    table.string('condition_since', 40).notNullable();
    table.string('updated_at', 40).notNullable();
    table.index(['partner_ref'], 'billing_tenants_partner_idx');
    table.index(['tenant_name'], 'billing_tenants_name_idx');
  });
  await knex.schema.createTable('billing_handled_events', table => {
    table.string('event_id', 36).primary();
    table.string('tenant_ref', 255).notNullable();
    table.string('type', 20).notNullable();
    table.bigInteger('seq').notNullable();
    table.string('handled_at', 40).notNullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('billing_handled_events');
  await knex.schema.dropTable('billing_tenants');
};
