// @ts-check

/**
 * The audit events of applied Stripe webhook events, kept with the event
 * (docs/billing.md#replay-protection): written in the same transaction as
 * the event and what it changed, then forwarded to the audit chain in
 * batches (`audited_at` set once the chain has them), so a delivery never
 * waits for the audit chain's commit and no audit event is lost.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('billing_stripe_events', table => {
    table.text('audit').nullable();
    table.string('audited_at', 40).nullable();
    table.index(['audited_at'], 'billing_stripe_events_audited_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('billing_stripe_events', table => {
    table.dropIndex(['audited_at'], 'billing_stripe_events_audited_idx');
    table.dropColumn('audit');
    table.dropColumn('audited_at');
  });
};
