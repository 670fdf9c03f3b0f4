// Reads jest's --json output and prints the closing line CI reads: "N passed, N failed".
// Suites that failed to run count as failures. Exit code: 0 only if nothing failed and something ran.
'use strict';
const fs = require('node:fs');
// Usage: summarize-jest.js <results.json>[,<more.json>...] [extraFailed] [extraPassed]
const [files, extraFailed = '0', extraPassed = '0'] = process.argv.slice(2);
let passed = Number(extraPassed);
let failed = Number(extraFailed);
for (const file of files.split(',').filter(Boolean)) {
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
    for (const suite of r.testResults || []) {
      if (suite.status === 'failed' && suite.assertionResults.length === 0) process.stderr.write(`suite failed to run: ${suite.name}\n${suite.message}\n`);
    }
  } catch (err) {
    process.stderr.write(`could not read jest results from ${file}: ${err.message}\n`);
    failed += 1;
  }
}
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
