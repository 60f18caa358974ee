module.exports = require('../../scripts/lib/eslint-factory')(__dirname, {
  overrides: [
    {
      // The e2e tests run in Node (Playwright), not in the browser bundle.
      files: ['e2e-tests/**'],
      rules: { 'no-restricted-imports': 'off' },
    },
  ],
});
