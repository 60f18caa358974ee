// @ts-check

/**
 * The tenant lifecycle (docs/provisioning.md#lifecycle).
 *
 * - provisioning_tenants gains removed_at (a tenant gone from the catalog is
 *   kept, hidden, with its hold and conditions: a catalog read that misses
 *   it for a while — a restart re-reading the files — loses nothing), and
 *   the effective status and its sources: the
 *   portal hold (suspended / terminating, who, when, why), the termination's
 *   start and grace end, when the teardown finished, and what the lifecycle
 *   events last announced (status, plan, seats; activated_at once the
 *   tenant was first provisioned and active);
 * - provisioning_frozen: what a suspension froze (an Authentik user made
 *   inactive, a Stalwart account's permissions) with the value before,
 *   written before the call, so that Resume restores exactly that;
 * - provisioning_lifecycle_events: the outbox of lifecycle events, in
 *   order (seq), each with a stable id;
 * - provisioning_event_cursors: per subscriber, the last event it
 *   acknowledged.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('provisioning_tenants', table => {
    table.string('removed_at', 40).nullable();
    table.string('status', 12).notNullable().defaultTo('active');
    table.string('plan', 100).notNullable().defaultTo('');
    table.integer('seats').notNullable().defaultTo(0);
    table.string('hold', 12).nullable();
    table.text('hold_reason').nullable();
    table.string('hold_by', 255).nullable();
    table.string('hold_by_name', 255).nullable();
    table.string('hold_at', 40).nullable();
    table.string('termination_started_at', 40).nullable();
    table.string('grace_until', 40).nullable();
    table.string('terminated_at', 40).nullable();
    table.string('activated_at', 40).nullable();
    table.string('announced_status', 12).nullable();
    table.string('announced_plan', 100).nullable();
    table.integer('announced_seats').nullable();
    table.index(['status'], 'provisioning_tenants_status_idx');
  });
  await knex.schema.createTable('provisioning_frozen', table => {
    table.string('system', 20).notNullable();
    table.string('object_id', 255).notNullable();
    table.string('tenant_ref', 255).notNullable();
    table.string('object_name', 255).notNullable();
    table.text('previous').notNullable();
    table.string('frozen_at', 40).notNullable();
    table.primary(['system', 'object_id']);
    table.index(['tenant_ref'], 'provisioning_frozen_tenant_idx');
  });
  await knex.schema.createTable('provisioning_lifecycle_events', table => {
    table.bigIncrements('seq').primary();
    table.string('id', 36).notNullable().unique();
    table.string('tenant_ref', 255).notNullable();
    table.string('type', 20).notNullable();
    table.string('at', 40).notNullable();
    table.text('event').notNullable();
    table.index(
      ['tenant_ref', 'seq'],
      'provisioning_lifecycle_events_tenant_idx',
    );
  });
  await knex.schema.createTable('provisioning_event_cursors', table => {
    table.string('subscriber', 100).primary();
    table.bigInteger('last_seq').notNullable().defaultTo(0);
    table.string('updated_at', 40).notNullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('provisioning_event_cursors');
  await knex.schema.dropTable('provisioning_lifecycle_events');
  await knex.schema.dropTable('provisioning_frozen');
  await knex.schema.alterTable('provisioning_tenants', table => {
    table.dropIndex(['status'], 'provisioning_tenants_status_idx');
    for (const c of [
      'removed_at',
      'status',
      'plan',
      'seats',
      'hold',
      'hold_reason',
      'hold_by',
      'hold_by_name',
      'hold_at',
      'termination_started_at',
      'grace_until',
      'terminated_at',
      'activated_at',
      'announced_status',
      'announced_plan',
      'announced_seats',
    ]) {
      table.dropColumn(c);
    }
  });
};
