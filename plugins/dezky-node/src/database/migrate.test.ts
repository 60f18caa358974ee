import {
  describeOnPostgres,
  dezkyTestDatabases,
} from '@internal/dezky-test-utils';
import fs from 'fs';
import knexFactory, { Knex } from 'knex';
import os from 'os';
import path from 'path';
import { migrateLatest, takeMigrationLock } from './migrate';

jest.setTimeout(60_000);

const databases = dezkyTestDatabases();
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A migrations folder with two migrations. */
function migrationsDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezky-migrate-'));
  dirs.push(dir);
  fs.writeFileSync(
    path.join(dir, '20260101000000_first.js'),
    `exports.up = knex => knex.schema.createTable('things', t => { t.increments('id'); });
exports.down = knex => knex.schema.dropTable('things');
`,
  );
  fs.writeFileSync(
    path.join(dir, '20260101000001_second.js'),
    `exports.up = knex => knex.schema.alterTable('things', t => { t.text('name'); });
exports.down = knex => knex.schema.alterTable('things', t => { t.dropColumn('name'); });
`,
  );
  return dir;
}

describe.each(databases.eachSupportedId())('migrateLatest on %p', id => {
  it('runs the migrations once; a second run finds nothing to do', async () => {
    const knex = await databases.init(id);
    const directory = migrationsDir();
    await migrateLatest(knex, { directory });
    await migrateLatest(knex, { directory });
    await knex('things').insert({ name: 'a' });
    expect(
      (await knex('knex_migrations').select('name')).map(r => r.name),
    ).toEqual(['20260101000000_first.js', '20260101000001_second.js']);
  });
});

describeOnPostgres(
  databases,
  'instances migrating one fresh PostgreSQL database at once',
  () => {
    let pools: Knex[] = [];

    afterEach(async () => {
      await Promise.all(pools.map(k => k.destroy()));
      pools = [];
    });

    /**
     * Three instances (separate knex pools, as separate backends have) on a
     * new database, and a fourth — `creating` — caught half-way: it has
     * created knex's migration table in a transaction it has not committed
     * (holding migrateLatest's lock, as one would, when `holdingLock`).
     */
    async function instancesWithOneCreating(holdingLock: boolean) {
      const { connection } = (await databases.init('POSTGRES_15')).client
        .config as Knex.Config;
      const pool = (max: number) => {
        const knex = knexFactory({
          client: 'pg',
          connection,
          pool: { min: 0, max },
        });
        pools.push(knex);
        return knex;
      };
      const instances = [pool(4), pool(4), pool(4)];
      const watcher = pool(1);
      const creating = await pool(1).transaction();
      if (holdingLock) await takeMigrationLock(creating, 'knex_migrations');
      await creating.raw(
        'CREATE TABLE knex_migrations (id serial primary key, name varchar(255), batch integer, migration_time timestamptz)',
      );
      return {
        instances,
        creating,
        /** Until `n` sessions of the database wait for a lock. */
        async waiting(n: number) {
          for (;;) {
            const { rows } = await watcher.raw(
              `SELECT count(*)::int AS n FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock'`,
            );
            if (rows[0].n >= n) return;
            await new Promise(r => setTimeout(r, 20));
          }
        },
      };
    }

    it('plain knex.migrate.latest does not survive it (what this guards against)', async () => {
      const directory = migrationsDir();
      const { instances, creating, waiting } = await instancesWithOneCreating(
        false,
      );
      // the others do not see the uncommitted table, create it too and wait …
      const results = Promise.allSettled(
        instances.map(k => k.migrate.latest({ directory })),
      );
      await waiting(3);
      await creating.commit();
      // … and fail once it is there
      expect(
        (await results).map(r =>
          r.status === 'rejected' ? String(r.reason) : 'succeeded',
        ),
      ).toEqual(
        Array(3).fill(expect.stringMatching(/already exists|duplicate key/)),
      );
    });

    it('migrateLatest: every instance waits and succeeds, the migrations run once', async () => {
      const directory = migrationsDir();
      const { instances, creating, waiting } = await instancesWithOneCreating(
        true,
      );
      const results = Promise.allSettled(
        instances.map(k => migrateLatest(k, { directory })),
      );
      // all three wait for the one creating the table
      await waiting(3);
      await creating.commit();
      expect(await results).toEqual(
        Array(3).fill({ status: 'fulfilled', value: undefined }),
      );
      expect(
        (await instances[0]('knex_migrations').select('name')).map(r => r.name),
      ).toEqual(['20260101000000_first.js', '20260101000001_second.js']);
      await instances[2]('things').insert({ name: 'b' });
    });
  },
);
