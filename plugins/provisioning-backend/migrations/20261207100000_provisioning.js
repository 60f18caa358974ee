// @ts-check

/**
 * Provisioning (docs/provisioning.md). Times are ISO 8601 UTC strings with
 * milliseconds, so that text order is time order on every database.
 *
 * - provisioning_tenants: one row per Tenant entity — its desired state as
 *   read from the catalog (and its hash), its phase, and its place in the
 *   work queue (due_at; a lease while an instance works it);
 * - provisioning_conditions: one row per tenant and step (Crossplane-style
 *   conditions), with the ids of what exists outside and the last observation;
 * - provisioning_attempts: the recent attempts per tenant and step;
 * - provisioning_dns_records: the records Stalwart asks to publish, per domain;
 * - provisioning_credentials: service credentials that rotate (the OCIS
 *   refresh token), shared by every instance under a row lock.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('provisioning_tenants', table => {
    table.string('tenant_ref', 255).primary();
    table.string('name', 255).notNullable();
    table.string('title', 255).nullable();
    table.string('partner_ref', 255).nullable();
    table.text('desired').notNullable();
    table.string('desired_hash', 64).notNullable();
    table.string('phase', 10).notNullable();
    table.string('due_at', 40).nullable();
    table.string('trigger', 12).nullable();
    table.integer('request_seq').notNullable().defaultTo(0);
    table.string('lease_owner', 64).nullable();
    table.string('lease_until', 40).nullable();
    table.string('updated_at', 40).notNullable();
    table.index(['due_at'], 'provisioning_tenants_due_idx');
    table.index(['name'], 'provisioning_tenants_name_idx');
    table.index(['phase'], 'provisioning_tenants_phase_idx');
  });
  await knex.schema.createTable('provisioning_conditions', table => {
    table.string('tenant_ref', 255).notNullable();
    table.string('step', 20).notNullable();
    table.string('status', 10).notNullable();
    table.string('reason', 60).nullable();
    table.text('message').nullable();
    table.string('last_transition_time', 40).notNullable();
    table.string('last_ok_at', 40).nullable();
    table.string('last_attempt_at', 40).nullable();
    table.integer('attempts').notNullable().defaultTo(0);
    table.string('next_attempt_at', 40).nullable();
    table.string('observed_generation', 64).nullable();
    table.text('external').nullable();
    table.text('observed').nullable();
    table.string('create_started_at', 40).nullable();
    table.primary(['tenant_ref', 'step']);
    table.index(['step', 'status'], 'provisioning_conditions_status_idx');
  });
  await knex.schema.createTable('provisioning_attempts', table => {
    table.bigIncrements('id').primary();
    table.string('tenant_ref', 255).notNullable();
    table.string('step', 20).notNullable();
    table.string('trigger', 12).notNullable();
    table.string('started_at', 40).notNullable();
    table.string('finished_at', 40).notNullable();
    table.string('status', 10).notNullable();
    table.text('message').nullable();
    table.text('changes').notNullable();
    table.index(
      ['tenant_ref', 'step', 'id'],
      'provisioning_attempts_tenant_idx',
    );
  });
  await knex.schema.createTable('provisioning_dns_records', table => {
    table.string('tenant_ref', 255).notNullable();
    table.string('domain', 255).notNullable();
    table.text('records').notNullable();
    table.text('zone_file').notNullable();
    table.string('read_at', 40).notNullable();
    table.primary(['tenant_ref', 'domain']);
  });
  await knex.schema.createTable('provisioning_credentials', table => {
    table.string('system', 40).primary();
    table.text('refresh_token').notNullable();
    table.text('access_token').nullable();
    table.string('access_expires_at', 40).nullable();
    table.string('updated_at', 40).notNullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('provisioning_credentials');
  await knex.schema.dropTable('provisioning_dns_records');
  await knex.schema.dropTable('provisioning_attempts');
  await knex.schema.dropTable('provisioning_conditions');
  await knex.schema.dropTable('provisioning_tenants');
};
