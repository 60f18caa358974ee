module.exports = require('../../scripts/lib/eslint-factory')(__dirname);
