// @ts-check

/**
 * Per-day MRR totals (docs/reports.md#performance): with each day's
 * snapshot, the sums the MRR report draws — per partner (NULL: sold
 * directly) and currency, over the billed rows (status active or paused):
 * Σ mrr, Σ paused_mrr and their number. An operator's MRR with one point
 * per day then reads a few rows per day instead of every tenant's (over
 * 10,000 tenants × 730 days: 1.0–1.4 s → a few ms). Partner staff's reads
 * stay on the snapshot rows (their partner's index, already fast). Filled
 * here from the snapshots there are.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('billing_snapshot_totals', table => {
    table.string('day', 10).notNullable();
    table.string('partner_ref', 255).nullable();
    table.string('currency', 3).notNullable();
    table.bigInteger('mrr').notNullable();
    table.bigInteger('paused_mrr').notNullable();
    table.integer('tenants').notNullable();
    table.index(['day', 'currency'], 'billing_snapshot_totals_day_idx');
  });
  await knex.raw(
    `INSERT INTO billing_snapshot_totals (day, partner_ref, currency, mrr, paused_mrr, tenants)
     SELECT day, partner_ref, currency, SUM(mrr), SUM(paused_mrr), COUNT(*)
       FROM billing_mrr_snapshots
      WHERE status IN ('active', 'paused') AND currency IS NOT NULL
      GROUP BY day, partner_ref, currency`,
  );
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('billing_snapshot_totals');
};
