// @ts-check

/**
 * The reports' index (docs/reports.md), measured with EXPLAIN ANALYZE on
 * PostgreSQL over 10,000 tenants × 730 daily snapshots (7.3 M rows,
 * scripts/bench/reports).
 *
 * What was there already serves most reports: a month's point reads
 * billing_snapshot_days (730 rows a year), then only its final days' rows
 * by the primary key (day, tenant_ref) or (day, partner_ref); asOf figures
 * read one day. What it did not serve is a partner's rows over a range of
 * days (`interval=day` for partner staff or the `partner` filter): with
 * `day` leading, every row of the range was read (816 ms for 24 months).
 *
 * billing_mrr_snapshots_partner_day_idx leads with the partner and holds
 * what the MRR series sums, so those queries read only the partner's index
 * entries and no table page (an index-only scan: 12–20 ms for 24 months).
 * `partner_ref` NULL (directly sold tenants, the `direct` filter) is a
 * range of it too. Its cost: ~290 MB at 7.3 M rows.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('billing_mrr_snapshots', table => {
    table.index(
      ['partner_ref', 'day', 'currency', 'status', 'mrr', 'paused_mrr'],
      'billing_mrr_snapshots_partner_day_idx',
    );
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('billing_mrr_snapshots', table => {
    table.dropIndex(
      ['partner_ref', 'day', 'currency', 'status', 'mrr', 'paused_mrr'],
      'billing_mrr_snapshots_partner_day_idx',
    );
  });
};
