import { TestDatabases, TestDatabaseId } from '@backstage/backend-test-utils';

/** The PostgreSQL id whose connection string scripts/test exports. */
const POSTGRES_ID: TestDatabaseId = 'POSTGRES_15';
const POSTGRES_ENV = 'BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING';

/**
 * The engines every store test runs on: SQLite (better-sqlite3) and the real
 * PostgreSQL that `scripts/test` starts. When DEZKY_REQUIRE_POSTGRES is set
 * (scripts/test and CI set it) a missing PostgreSQL fails the run instead of
 * silently testing SQLite only. Docker is never used.
 */
export function dezkyTestDatabases(): TestDatabases {
  if (process.env.DEZKY_REQUIRE_POSTGRES && !process.env[POSTGRES_ENV]) {
    throw new Error(
      `${POSTGRES_ENV} is not set: run the tests through scripts/test, which starts PostgreSQL`,
    );
  }
  return TestDatabases.create({
    ids: ['SQLITE_3', POSTGRES_ID],
    disableDocker: true,
  });
}
