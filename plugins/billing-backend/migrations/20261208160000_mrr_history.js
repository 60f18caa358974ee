// @ts-check

/**
 * MRR history and the partner payout ledger
 * (docs/billing.md#payouts-and-mrr-history).
 *
 * - billing_mrr_snapshots: a copy of billing_tenants per UTC day (the day's
 *   last snapshot is its final one; a past day is never taken again);
 * - billing_snapshot_days: the days that have a snapshot, when it was last
 *   taken and how many tenants it holds (also the row a concurrent take
 *   waits on);
 * - billing_payouts: one row per partner × month × currency — gross MRR of
 *   the month's final snapshot × the partner's margin, open → closed → paid.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('billing_mrr_snapshots', table => {
    table.string('day', 10).notNullable();
    table.string('tenant_ref', 255).notNullable();
    table.string('tenant_name', 255).notNullable();
    table.string('partner_ref', 255).nullable();
    table.string('plan', 100).notNullable();
    table.integer('seats').notNullable();
    table.string('currency', 3).nullable();
    table.string('status', 10).nullable();
    table.string('lifecycle', 12).notNullable();
    table.bigInteger('mrr').notNullable();
    table.bigInteger('paused_mrr').notNullable();
    table.primary(['day', 'tenant_ref']);
    table.index(['day', 'partner_ref'], 'billing_mrr_snapshots_partner_idx');
  });
  await knex.schema.createTable('billing_snapshot_days', table => {
    table.string('day', 10).primary();
    table.string('taken_at', 40).notNullable();
    table.integer('tenants').notNullable();
  });
  await knex.schema.createTable('billing_payouts', table => {
    table.string('id', 36).primary();
    table.string('partner_ref', 255).notNullable();
    table.string('month', 7).notNullable();
    table.string('currency', 3).notNullable();
    table.bigInteger('gross_mrr').notNullable();
    table.string('margin_pct', 20).notNullable();
    table.bigInteger('amount').notNullable();
    table.string('state', 6).notNullable();
    table.string('snapshot_day', 10).notNullable();
    table.string('generated_at', 40).notNullable();
    table.string('closed_at', 40).nullable();
    table.string('paid_on', 10).nullable();
    table.string('paid_reference', 200).nullable();
    table.string('paid_by', 255).nullable();
    table.unique(['partner_ref', 'month', 'currency'], {
      indexName: 'billing_payouts_partner_month_currency_uq',
    });
    table.index(['month', 'state'], 'billing_payouts_month_state_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('billing_payouts');
  await knex.schema.dropTable('billing_snapshot_days');
  await knex.schema.dropTable('billing_mrr_snapshots');
};
