module.exports = require('../../scripts/lib/eslint-factory')(__dirname, {
  overrides: [
    {
      // Test helpers: they start the repository's own servers from source and
      // read catalog/, so they resolve paths relative to the repository.
      files: ['src/testing/**'],
      rules: {
        'no-restricted-syntax': 'off',
        '@backstage/no-undeclared-imports': 'off',
      },
    },
  ],
});
