#!/usr/bin/env node
// Judges the sanitizer logs of `npm run test:asan`: any AddressSanitizer error or UndefinedBehaviorSanitizer
// report in any process fails the run, and so does any leak whose allocation stack passes through the addon
// (node_nss.node) that test/asan/lsan.supp does not suppress. Prints the figures and, with ASAN_SUMMARY set,
// writes them as JSON for scripts/security-figures.js.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const [logsDir, ...reportPaths] = process.argv.slice(2);
const files = fs.readdirSync(logsDir).map((name) => path.join(logsDir, name));
const findings = [];
let leakReportsOutsideAddon = 0;
for (const file of files) {
  const text = fs.readFileSync(file, 'utf8');
  // One log per process; a report is separated from the next by a blank line.
  for (const block of text.split(/\n\s*\n/)) {
    if (/ERROR: AddressSanitizer|runtime error:/.test(block)) findings.push({ file, block });
    else if (/(Direct|Indirect) leak of/.test(block)) {
      if (block.includes('node_nss.node')) findings.push({ file, block });
      else leakReportsOutsideAddon += 1;
    }
  }
}
// The vitest runs' reports (the suite may run in parts), summed.
const tests = { passed: 0, failed: 0 };
for (const reportPath of reportPaths) {
  try {
    const report = JSON.parse(fs.readFileSync(reportPath, 'utf8'));
    tests.passed += report.numPassedTests;
    // Failed tests, plus files that failed outside any test (a hook or import error: one CI run's beforeAll
    // timed out and the summary line still said 0 failed).
    const brokenFiles = report.testResults.filter(
      (file) => file.status === 'failed' && !file.assertionResults.some((t) => t.status === 'failed'),
    ).length;
    tests.failed += report.numFailedTests + brokenFiles;
  } catch {
    // No report: vitest itself failed before writing one; that counts as a failure.
    tests.failed += 1;
  }
}
const summary = {
  processesLogged: files.length,
  testsPassed: tests.passed,
  testsFailed: tests.failed,
  findings: findings.length,
  leakReportsOutsideAddon,
};
for (const { file, block } of findings) console.error(`--- ${path.basename(file)}\n${block}\n`);
console.log(
  `sanitizers: ${summary.findings} finding(s) in ${summary.processesLogged} process log(s); ` +
    `${summary.testsPassed} tests passed, ${summary.testsFailed} failed under ASan+UBSan`,
);
if (process.env.ASAN_SUMMARY)
  fs.writeFileSync(process.env.ASAN_SUMMARY, JSON.stringify(summary, null, 2) + '\n');
process.exit(findings.length || tests.failed ? 1 : 0);
