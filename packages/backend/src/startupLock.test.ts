import { ConfigReader } from '@backstage/config';
import { startupLockConnection, startupLockName } from './startupLock';

const database = (db: object) =>
  new ConfigReader({ backend: { database: db } });

describe('the start-up lock', () => {
  it('is not taken on SQLite', () => {
    expect(
      startupLockConnection(
        database({ client: 'better-sqlite3', connection: ':memory:' }),
      ),
    ).toBeUndefined();
  });

  it("is taken in the server's postgres database, as Backstage creates the plugin databases from there", () => {
    expect(
      startupLockConnection(
        database({
          client: 'pg',
          connection: {
            host: 'db',
            port: 5432,
            user: 'backstage',
            password: 'secret',
            database: 'other',
          },
        }),
      ),
    ).toEqual({
      host: 'db',
      port: 5432,
      user: 'backstage',
      password: 'secret',
      database: 'postgres',
    });
    expect(
      startupLockConnection(
        database({
          client: 'pg',
          connection:
            'postgresql://backstage:secret@db:5432/other?sslmode=require',
        }),
      ),
    ).toEqual({
      connectionString:
        'postgresql://backstage:secret@db:5432/postgres?sslmode=require',
    });
  });

  it('is one per database prefix', () => {
    expect(startupLockName(database({ client: 'pg' }))).toBe(
      'dezky-portal:backend-start:backstage_plugin_',
    );
    expect(
      startupLockName(database({ client: 'pg', prefix: 'staging_' })),
    ).toBe('dezky-portal:backend-start:staging_');
  });
});
