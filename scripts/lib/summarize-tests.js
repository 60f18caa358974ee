/*
 * Prints the final line of scripts/test: `N passed, N failed`, counting every
 * jest test, every Playwright test, and each check step (tsc, lint, catalog
 * validation, builds) as one. Exits 1 if anything failed or a report is missing.
 * Usage: node summarize-tests.js <passed-steps> [failed-step-name ...]
 */
const fs = require('fs');
const path = require('path');

const [passedSteps, ...failedSteps] = process.argv.slice(2);
const results = path.resolve(__dirname, '../../test-results');
let passed = Number(passedSteps) || 0;
let failed = failedSteps.length;
const lines = [];

function read(file) {
  try {
    return JSON.parse(fs.readFileSync(path.join(results, file), 'utf8'));
  } catch {
    return undefined;
  }
}

const jest = read('jest.json');
if (jest) {
  passed += jest.numPassedTests;
  failed += jest.numFailedTests;
  lines.push(
    `jest: ${jest.numPassedTests} passed, ${jest.numFailedTests} failed, ${jest.numPendingTests} skipped`,
  );
} else {
  failed += 1;
  lines.push('jest: no report (did not run)');
}

const e2e = read('e2e.json');
if (e2e) {
  const {
    expected = 0,
    unexpected = 0,
    flaky = 0,
    skipped = 0,
  } = e2e.stats ?? {};
  passed += expected + flaky;
  failed += unexpected;
  lines.push(
    `e2e: ${expected + flaky} passed, ${unexpected} failed, ${skipped} skipped`,
  );
} else {
  failed += 1;
  lines.push('e2e: no report (did not run)');
}

for (const step of failedSteps) lines.push(`failed step: ${step}`);
console.log(lines.join('\n'));
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
