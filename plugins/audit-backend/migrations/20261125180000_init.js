// @ts-check

/**
 * The audit chain: one row per event, `seq` assigned by the store inside a
 * serialized transaction, `prev_hash`/`hash` linking each event to the one
 * before. Refs are stored lower case so permission filters compare with IN.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('audit_events', table => {
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
    table.unique(['source', 'external_id'], {
      indexName: 'audit_events_source_external_id',
    });
    table.index(['tenant_ref'], 'audit_events_tenant_ref');
    table.index(['partner_ref'], 'audit_events_partner_ref');
    table.index(['at'], 'audit_events_at');
    table.index(['action'], 'audit_events_action');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('audit_events');
};
