// @ts-check

/**
 * Signed checkpoints: the chain head (seq, hash) at a moment, signed with
 * Ed25519 as a compact JWS; `kid` names the key so rotated keys stay usable.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('audit_checkpoints', table => {
    table.increments('id');
    table.string('at', 40).notNullable();
    table.bigInteger('head_seq').notNullable();
    table.string('head_hash', 64).notNullable();
    table.string('reason', 20).notNullable();
    table.string('kid', 100).notNullable();
    table.text('jws').notNullable();
    table.index(['head_seq'], 'audit_checkpoints_head_seq');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('audit_checkpoints');
};
