/*
 * The ESLint config of every package: Backstage's (eslint-factory, which
 * brings plugin:jest/recommended) plus the portal's rules for tests. Each
 * package's .eslintrc.js is
 *
 *   module.exports = require('../../scripts/lib/eslint-factory')(__dirname);
 *
 * (optionally with a second argument, as for Backstage's factory).
 *
 * A test that does not run cannot fail, so none may be committed:
 * `it.skip`/`describe.skip`/`xit`/`xdescribe`, `it.only`/`fit`, and
 * `it.todo` are errors (jest/recommended only warns on skipped tests and
 * says nothing about todos). scripts/test also counts skipped, pending and
 * todo tests as failures (scripts/lib/summarize-tests.js).
 */
const backstageFactory = require('@backstage/cli/config/eslint-factory');

const TODO = {
  selector:
    "CallExpression[callee.type='MemberExpression'][callee.property.name='todo'][callee.object.name=/^(it|test|describe)$/]",
  message:
    'A todo test does not run: write the test, or leave it out (scripts/test counts todo tests as failures).',
};

// `describe.skip` or `it.only` taken as a value (`const d = ok ? describe :
// describe.skip`) rather than called: jest/no-disabled-tests sees only calls.
const SKIP_AS_VALUE = {
  selector:
    'MemberExpression[property.name=/^(skip|only|todo)$/][object.name=/^(it|test|describe)$/]:not(CallExpression > MemberExpression.callee)',
  message:
    'A test or suite chosen to be skipped does not run: under DEZKY_REQUIRE_POSTGRES a missing database must fail the test, not skip it.',
};

module.exports = function createConfig(dir, extraConfig = {}) {
  return backstageFactory(dir, {
    ...extraConfig,
    rules: {
      'jest/no-disabled-tests': 'error',
      'jest/no-focused-tests': 'error',
      ...extraConfig.rules,
    },
    restrictedTestSyntax: [
      TODO,
      SKIP_AS_VALUE,
      ...(extraConfig.restrictedTestSyntax ?? []),
    ],
  });
};
