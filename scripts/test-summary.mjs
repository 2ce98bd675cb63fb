// Prints the closing "N passed, N failed" line from vitest's JSON report. When npm test failed before the
// tests ran (lint, format or type check), or every test passed but the run failed (a file that does not
// load, a coverage threshold missed, a mutation score below Stryker's break threshold), the failed step
// counts as one failure.
import { existsSync, readFileSync } from 'node:fs';

const [reportFile, statusText = '0'] = process.argv.slice(2);
const status = Number(statusText);
let passed = 0;
let failed = 0;
let skipped = 0;
if (reportFile && existsSync(reportFile)) {
  const report = JSON.parse(readFileSync(reportFile, 'utf8'));
  passed = report.numPassedTests ?? 0;
  failed = report.numFailedTests ?? 0;
  skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  if (failed === 0 && status !== 0) {
    console.log(
      'every test passed but the run failed: a file did not load, a coverage threshold was missed or the mutation score fell below its threshold (see above)',
    );
    failed = 1;
  }
} else if (status !== 0) {
  console.log('the test run did not start: a lint, format or type check failed (see above)');
  failed = 1;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
