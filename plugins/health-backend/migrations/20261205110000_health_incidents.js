// @ts-check

/**
 * Incidents (docs/health.md#history), kept as rounds are stored instead of
 * derived from 30 days of samples on every read: a run of bad samples of one
 * integration is one row, open (`ended_at` null) while its latest sample is
 * bad. At most one open incident per integration (a partial unique index,
 * on PostgreSQL and SQLite alike). Existing samples are replayed into it.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('health_incidents', table => {
    table.bigIncrements('id').primary();
    table.string('integration_ref', 255).notNullable();
    table.string('started_at', 40).notNullable();
    table.string('ended_at', 40).nullable();
    table.text('last_error').notNullable();
    table.index(['integration_ref', 'started_at'], 'health_incidents_ref_idx');
    table.index(['ended_at'], 'health_incidents_ended_idx');
  });
  await knex.raw(
    'create unique index health_incidents_open_uq on health_incidents (integration_ref) where ended_at is null',
  );

  /** @type {{ integration_ref: string, started_at: string, ended_at: string | null, last_error: string }[]} */
  const incidents = [];
  /** @type {Map<string, { integration_ref: string, started_at: string, ended_at: string | null, last_error: string }>} */
  const open = new Map();
  const rows = await knex('health_samples')
    .select('integration_ref', 'checked_at', 'status', 'error')
    .orderBy(['integration_ref', 'checked_at', 'id']);
  for (const row of rows) {
    const current = open.get(row.integration_ref);
    if (row.status === 'bad') {
      if (current) {
        current.last_error = row.error ?? 'bad';
      } else {
        const incident = {
          integration_ref: row.integration_ref,
          started_at: row.checked_at,
          ended_at: null,
          last_error: row.error ?? 'bad',
        };
        open.set(row.integration_ref, incident);
        incidents.push(incident);
      }
    } else if (current) {
      current.ended_at = row.checked_at;
      open.delete(row.integration_ref);
    }
  }
  for (let i = 0; i < incidents.length; i += 200) {
    await knex('health_incidents').insert(incidents.slice(i, i + 200));
  }
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('health_incidents');
};
