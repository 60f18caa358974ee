// @ts-check

/**
 * The Merkle tree over the chain (RFC 9162): every complete perfect subtree,
 * `level` 0 = the leaf hashes (idx = seq - 1), level L index i covering the
 * leaves [i·2^L, (i+1)·2^L). Written with the events (the append
 * transaction), never changed; independent of audit_events, so proofs hold
 * after old events are archived. `hash` is hex.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('audit_merkle_nodes', table => {
    table.integer('level').notNullable();
    table.bigInteger('idx').notNullable();
    table.specificType('hash', 'char(64)').notNullable();
    table.primary(['level', 'idx'], 'audit_merkle_nodes_pkey');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('audit_merkle_nodes');
};
