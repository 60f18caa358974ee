/*
 * Prints the end of scripts/test's output and decides whether the run passed.
 *
 *   jest: 1040 passed, 0 failed, 0 not run (72 files)
 *   e2e: 11 passed, 0 failed, 0 not run
 *   steps: 8 passed, 0 failed
 *   1051 passed, 0 failed
 *
 * The last line counts tests only (every jest test, every Playwright test);
 * the check steps (tsc, lint, formatting, catalog validation, builds, and the
 * test runs themselves) are counted on the `steps:` line. A test that did not
 * run is a failure, named below the counts: a jest test that was skipped,
 * pending or todo (`it.skip`, `describe.skip`, `xit`, `it.todo`, the tests an
 * `it.only` left out), a Playwright test that was skipped, or flaky. So is a
 * jest file that failed outside its tests (it did not load, a hook threw): one
 * failure per file. A missing report is a failed step.
 *
 * Exits 1 if any test or step failed.
 * Usage: node summarize-tests.js <passed-steps> [failed-step-name ...]
 */
const fs = require('fs');
const path = require('path');

const [passedSteps, ...failedSteps] = process.argv.slice(2);
const root = path.resolve(__dirname, '../..');
// TEST_RESULTS_DIR: read the reports from elsewhere (to try this script out)
const results = process.env.TEST_RESULTS_DIR || path.join(root, 'test-results');
const stepsPassed = Number(passedSteps) || 0;
const stepsFailed = [...failedSteps];
let passed = 0;
let failed = 0;
const lines = [];
/** Named failures, printed after the counts. */
const named = [];

function read(file) {
  try {
    return JSON.parse(fs.readFileSync(path.join(results, file), 'utf8'));
  } catch {
    return undefined;
  }
}

const firstLine = text =>
  String(text ?? '')
    // eslint-disable-next-line no-control-regex
    .replace(/\u001b\[[0-9;]*m/g, '')
    .split('\n')
    .map(l => l.trim())
    .find(l => l && !l.startsWith('●')) ?? '';

const jest = read('jest.json');
if (jest) {
  let jestPassed = 0;
  let jestFailed = 0;
  let notRun = 0;
  for (const file of jest.testResults ?? []) {
    const where = path.relative(root, file.name);
    let failedHere = 0;
    for (const test of file.assertionResults ?? []) {
      const name = `${where} › ${test.fullName}`;
      if (test.status === 'passed') jestPassed++;
      else if (test.status === 'failed') {
        failedHere++;
        named.push(`failed: ${name}`);
      } else {
        // skipped, pending, todo, disabled: it did not run
        notRun++;
        named.push(`not run (${test.status}): ${name}`);
      }
    }
    jestFailed += failedHere;
    if (file.status === 'failed' && failedHere === 0) {
      // the file failed outside its tests: did not load, a hook threw, …
      jestFailed++;
      named.push(
        `failed outside its tests: ${where}: ${firstLine(
          file.message || file.failureMessage,
        )}`,
      );
    }
  }
  if (jest.wasInterrupted) {
    jestFailed++;
    named.push('failed: the jest run was interrupted');
  }
  passed += jestPassed;
  failed += jestFailed + notRun;
  lines.push(
    `jest: ${jestPassed} passed, ${jestFailed} failed, ${notRun} not run (${
      (jest.testResults ?? []).length
    } files)`,
  );
} else {
  stepsFailed.push('jest report (test-results/jest.json) missing');
  lines.push('jest: no report (did not run)');
}

const e2e = read('e2e.json');
if (e2e) {
  const counts = { passed: 0, failed: 0, notRun: 0 };
  const walk = (suite, titles) => {
    for (const spec of suite.specs ?? []) {
      for (const test of spec.tests ?? []) {
        const name = `${spec.file} › ${[...titles, spec.title].join(' › ')}${
          test.projectName ? ` [${test.projectName}]` : ''
        }`;
        if (test.status === 'expected') counts.passed++;
        else if (test.status === 'unexpected') {
          counts.failed++;
          named.push(`failed: ${name}`);
        } else if (test.status === 'flaky') {
          // passed only on a retry: a flaky test is a bug
          counts.failed++;
          named.push(`flaky: ${name}`);
        } else {
          counts.notRun++;
          named.push(`not run (${test.status}): ${name}`);
        }
      }
    }
    for (const child of suite.suites ?? []) {
      walk(child, suite.file === child.file ? [...titles, child.title] : []);
    }
  };
  for (const suite of e2e.suites ?? []) walk(suite, []);
  for (const error of e2e.errors ?? []) {
    counts.failed++;
    named.push(`e2e error: ${firstLine(error.message)}`);
  }
  passed += counts.passed;
  failed += counts.failed + counts.notRun;
  lines.push(
    `e2e: ${counts.passed} passed, ${counts.failed} failed, ${counts.notRun} not run`,
  );
} else {
  stepsFailed.push('e2e report (test-results/e2e.json) missing');
  lines.push('e2e: no report (did not run)');
}

console.log(lines.join('\n'));
for (const line of named) console.log(`  ${line}`);
for (const step of stepsFailed) console.log(`failed step: ${step}`);
console.log(`steps: ${stepsPassed} passed, ${stepsFailed.length} failed`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed || stepsFailed.length ? 1 : 0);
