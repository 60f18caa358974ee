// @ts-check

/**
 * Billing through Stripe (docs/billing.md#stripe).
 *
 * - billing_tenants gains the tenant's Stripe customer and subscription as
 *   last seen (ids, status, quantity, price, pause, current period), the
 *   `created` time of the newest subscription event applied (an older event
 *   never overwrites newer state), how many subscriptions were created for
 *   it (the idempotency key of the next), the invoice whose payment failed,
 *   and when it was last compared with Stripe;
 * - billing_invoices: Stripe's invoices, mirrored from webhook events;
 * - billing_stripe_events: every webhook event received, once by its id
 *   (a replay answers 200 and changes nothing);
 * - billing_repricing: per price edit, the outcome for each subscription
 *   moved onto the new version (pending | moved | failed, with the error).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('billing_tenants', table => {
    table.string('stripe_customer_id', 255).nullable();
    table.string('stripe_subscription_id', 255).nullable();
    table.string('stripe_item_id', 255).nullable();
    table.string('stripe_price_id', 255).nullable();
    table.string('stripe_status', 30).nullable();
    table.boolean('stripe_paused').nullable();
    table.integer('stripe_quantity').nullable();
    table.string('stripe_period_start', 40).nullable();
    table.string('stripe_period_end', 40).nullable();
    table.bigInteger('stripe_event_at').nullable();
    table.integer('stripe_generation').notNullable().defaultTo(0);
    table.string('payment_failed_invoice', 255).nullable();
    table.string('synced_at', 40).nullable();
    table.index(['stripe_customer_id'], 'billing_tenants_customer_idx');
    table.index(['stripe_subscription_id'], 'billing_tenants_subscription_idx');
    table.index(['price_id'], 'billing_tenants_price_idx');
  });
  await knex.schema.createTable('billing_invoices', table => {
    table.string('id', 255).primary();
    table.string('tenant_ref', 255).nullable();
    table.string('tenant_name', 255).nullable();
    table.string('partner_ref', 255).nullable();
    table.string('customer_id', 255).notNullable();
    table.string('subscription_id', 255).nullable();
    table.string('number', 100).nullable();
    table.string('status', 20).notNullable();
    table.string('currency', 3).notNullable();
    table.bigInteger('total').notNullable();
    table.bigInteger('amount_due').notNullable();
    table.bigInteger('amount_paid').notNullable();
    table.bigInteger('amount_remaining').notNullable();
    table.string('period_start', 40).nullable();
    table.string('period_end', 40).nullable();
    table.string('due_date', 40).nullable();
    table.text('hosted_invoice_url').nullable();
    table.text('invoice_pdf').nullable();
    table.string('billing_reason', 40).nullable();
    table.string('created_at', 40).notNullable();
    /** `created` (unix seconds) of the newest event applied to this row. */
    table.bigInteger('event_at').notNullable();
    table.string('updated_at', 40).notNullable();
    table.index(['tenant_ref'], 'billing_invoices_tenant_idx');
    table.index(['partner_ref'], 'billing_invoices_partner_idx');
  });
  await knex.schema.createTable('billing_stripe_events', table => {
    table.string('id', 255).primary();
    table.string('type', 100).notNullable();
    table.string('object_id', 255).nullable();
    table.string('tenant_ref', 255).nullable();
    table.string('partner_ref', 255).nullable();
    table.bigInteger('created').notNullable();
    table.string('received_at', 40).notNullable();
    /** applied | stale (older than the state it would overwrite) | ignored (not handled, or no tenant) */
    table.string('outcome', 10).notNullable();
    table.text('message').nullable();
    table.index(['received_at'], 'billing_stripe_events_received_idx');
  });
  await knex.schema.createTable('billing_repricing', table => {
    table.string('price_id', 36).notNullable();
    table.integer('to_version').notNullable();
    table.string('tenant_ref', 255).notNullable();
    table.string('tenant_name', 255).notNullable();
    table.string('partner_ref', 255).nullable();
    table.integer('from_version').notNullable();
    table.string('subscription_id', 255).nullable();
    /** pending | moved | failed */
    table.string('outcome', 10).notNullable();
    table.text('error').nullable();
    table.integer('attempts').notNullable().defaultTo(0);
    table.string('updated_at', 40).notNullable();
    table.primary(['price_id', 'to_version', 'tenant_ref']);
    table.index(['outcome'], 'billing_repricing_outcome_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('billing_repricing');
  await knex.schema.dropTable('billing_stripe_events');
  await knex.schema.dropTable('billing_invoices');
  await knex.schema.alterTable('billing_tenants', table => {
    table.dropIndex(['stripe_customer_id'], 'billing_tenants_customer_idx');
    table.dropIndex(
      ['stripe_subscription_id'],
      'billing_tenants_subscription_idx',
    );
    table.dropIndex(['price_id'], 'billing_tenants_price_idx');
    for (const c of [
      'stripe_customer_id',
      'stripe_subscription_id',
      'stripe_item_id',
      'stripe_price_id',
      'stripe_status',
      'stripe_paused',
      'stripe_quantity',
      'stripe_period_start',
      'stripe_period_end',
      'stripe_event_at',
      'stripe_generation',
      'payment_failed_invoice',
      'synced_at',
    ]) {
      table.dropColumn(c);
    }
  });
};
