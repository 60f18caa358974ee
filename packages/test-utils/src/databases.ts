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

/**
 * A suite that only makes sense on PostgreSQL (several instances sharing one
 * database, advisory locks): `describeOnPostgres(databases, title, fn)` in
 * place of `describe(title, fn)`, with `databases` from dezkyTestDatabases().
 *
 * Under DEZKY_REQUIRE_POSTGRES (scripts/test, CI) it never skips: without
 * PostgreSQL the test file fails with a message saying why (a skipped suite
 * would pass the run unseen). Only on a developer's machine without
 * DEZKY_REQUIRE_POSTGRES and without PostgreSQL is the suite reported as
 * skipped, its title saying what it needs. Tests themselves may not use
 * `describe.skip` (lint forbids it); this is the one place that does.
 */
/* eslint-disable jest/valid-title, jest/valid-describe-callback --
   title and fn are the caller's, passed through */
export function describeOnPostgres(
  databases: TestDatabases,
  title: string,
  fn: () => void,
): void {
  if (databases.supports(POSTGRES_ID)) {
    describe(title, fn);
    return;
  }
  if (process.env.DEZKY_REQUIRE_POSTGRES) {
    throw new Error(
      `"${title}" runs on PostgreSQL only and DEZKY_REQUIRE_POSTGRES is set, but ${POSTGRES_ENV} does not give one: run the tests through scripts/test, which starts PostgreSQL`,
    );
  }
  // the sanctioned skip, visible as such, never under DEZKY_REQUIRE_POSTGRES
  // eslint-disable-next-line jest/no-disabled-tests
  describe.skip(`${title} [needs PostgreSQL: set ${POSTGRES_ENV}]`, fn);
}
/* eslint-enable jest/valid-title, jest/valid-describe-callback */
