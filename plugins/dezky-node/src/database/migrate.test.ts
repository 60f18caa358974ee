import {
  describeOnPostgres,
  dezkyTestDatabases,
} from '@internal/dezky-test-utils';
import fs from 'fs';
import knexFactory, { Knex } from 'knex';
import os from 'os';
import path from 'path';
import { migrateLatest } from './migrate';

jest.setTimeout(60_000);

const databases = dezkyTestDatabases();
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * A migrations folder with two migrations; the first holds its transaction
 * for `sleepMs` on PostgreSQL, so that instances started together overlap.
 */
function migrationsDir(sleepMs: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dezky-migrate-'));
  dirs.push(dir);
  fs.writeFileSync(
    path.join(dir, '20260101000000_first.js'),
    `exports.up = async knex => {
  if (knex.client.config.client === 'pg') await knex.raw('SELECT pg_sleep(${
    sleepMs / 1000
  })');
  await knex.schema.createTable('things', t => { t.increments('id'); });
};
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
    const directory = migrationsDir(0);
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
    let instances: Knex[] = [];

    /** `n` separate knex pools (as separate backends have) on one new database. */
    async function startInstances(n: number): Promise<Knex[]> {
      const first = await databases.init('POSTGRES_15');
      const { connection } = first.client.config as Knex.Config;
      instances = Array.from({ length: n }, () =>
        knexFactory({ client: 'pg', connection, pool: { min: 0, max: 4 } }),
      );
      return instances;
    }

    afterEach(async () => {
      await Promise.all(instances.map(k => k.destroy()));
      instances = [];
    });

    it('plain knex.migrate.latest does not survive it (what this guards against)', async () => {
      const directory = migrationsDir(1_000);
      const results = await Promise.allSettled(
        (await startInstances(4)).map(k => k.migrate.latest({ directory })),
      );
      // at most one gets through; the others fail on the migration tables
      // being created at once or on knex's lock
      const failures = results.flatMap(r =>
        r.status === 'rejected' ? [String(r.reason)] : [],
      );
      expect(failures.length).toBeGreaterThanOrEqual(3);
      for (const failure of failures) {
        expect(failure).toMatch(
          /MigrationLocked|already locked|already exists|duplicate key/,
        );
      }
    });

    it('migrateLatest: every instance waits and succeeds, the migrations run once', async () => {
      const directory = migrationsDir(1_000);
      const knexes = await startInstances(4);
      const results = await Promise.allSettled(
        knexes.map(k => migrateLatest(k, { directory })),
      );
      expect(results).toEqual(
        Array(4).fill({ status: 'fulfilled', value: undefined }),
      );
      expect(await knexes[0]('knex_migrations').count({ n: '*' })).toEqual([
        { n: '2' },
      ]);
      await knexes[3]('things').insert({ name: 'b' });
    });
  },
);
