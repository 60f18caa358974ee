// @ts-check

/**
 * Reports (docs/reports.md).
 *
 * - billing_handled_events gains the event's own time and partner, so the
 *   growth and cohort reports count activations and terminations by the
 *   month they happened in (rows from before get their handled time and
 *   the tenant's partner now);
 * - billing_tenants and billing_mrr_snapshots gain the tenant's health (the
 *   worst of its provisioning phase, billing condition and integrations),
 *   so health cohorts are kept over time like MRR;
 * - billing_saved_reports: a report with its filters under a name, for a
 *   partner's staff (partner_ref) or for everyone (an operator's, no partner).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('billing_handled_events', table => {
    table.string('at', 40).nullable();
    table.string('partner_ref', 255).nullable();
  });
  // rows from before: their handled time, and the tenant's partner now
  await knex('billing_handled_events').update({
    at: knex.ref('handled_at'),
    partner_ref: knex('billing_tenants')
      .select('partner_ref')
      .where(
        'billing_tenants.tenant_ref',
        knex.ref('billing_handled_events.tenant_ref'),
      ),
  });
  await knex.schema.alterTable('billing_handled_events', table => {
    table.index(['type', 'at'], 'billing_handled_events_type_at_idx');
    table.index(['tenant_ref', 'at'], 'billing_handled_events_tenant_at_idx');
  });
  await knex.schema.alterTable('billing_tenants', table => {
    table.string('health', 4).nullable();
    table.text('health_reasons').nullable();
    table.string('health_at', 40).nullable();
  });
  await knex.schema.alterTable('billing_mrr_snapshots', table => {
    table.string('health', 4).nullable();
  });
  await knex.schema.createTable('billing_saved_reports', table => {
    table.string('id', 36).primary();
    table.string('name', 100).notNullable();
    table.string('report', 30).notNullable();
    table.text('filters').notNullable();
    table.string('partner_ref', 255).nullable();
    table.string('created_by', 255).notNullable();
    table.string('created_at', 40).notNullable();
    table.index(['partner_ref'], 'billing_saved_reports_partner_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('billing_saved_reports');
  await knex.schema.alterTable('billing_mrr_snapshots', table => {
    table.dropColumn('health');
  });
  await knex.schema.alterTable('billing_tenants', table => {
    table.dropColumn('health_at');
    table.dropColumn('health_reasons');
    table.dropColumn('health');
  });
  await knex.schema.alterTable('billing_handled_events', table => {
    table.dropIndex(
      ['tenant_ref', 'at'],
      'billing_handled_events_tenant_at_idx',
    );
    table.dropIndex(['type', 'at'], 'billing_handled_events_type_at_idx');
    table.dropColumn('partner_ref');
    table.dropColumn('at');
  });
};
