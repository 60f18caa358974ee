// @ts-check

/**
 * A tenant's mail domains and their DNS checks (docs/provisioning.md#domains).
 *
 * provisioning_domains: one row per tenant and domain of spec.domains — the
 * ownership token (random, generated once), the DMARC setting, the last
 * check's records (JSON), when every record was first ok (verified_at),
 * the last check and when the next one is due (next_check_at: the
 * scheduler's queue).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('provisioning_domains', table => {
    table.string('tenant_ref', 255).notNullable();
    table.string('domain', 255).notNullable();
    table.string('token', 64).notNullable();
    table.string('dmarc_policy', 12).notNullable().defaultTo('none');
    table.string('dmarc_rua', 320).nullable();
    table.text('records').nullable();
    table.boolean('verified').notNullable().defaultTo(false);
    table.string('verified_at', 40).nullable();
    table.string('last_checked_at', 40).nullable();
    table.string('next_check_at', 40).notNullable();
    table.string('created_at', 40).notNullable();
    table.primary(['tenant_ref', 'domain']);
    table.index(['next_check_at'], 'provisioning_domains_due_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('provisioning_domains');
};
