#!/usr/bin/env node
/**
 * The closing line of scripts/test-all.sh, `tests: N passed, N failed, N skipped`, from vitest's
 * JSON report. A file that failed with no failed test (a beforeAll that threw, an import that
 * broke) counts its tests that did not run, or itself when it has none, as failed: vitest reports
 * them as skipped or not at all. Exits 1 when anything failed or the report cannot be read.
 */
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of report.testResults) {
  const count = (status) => file.assertionResults.filter((a) => a.status === status).length;
  const notRun = file.assertionResults.length - count('passed') - count('failed');
  passed += count('passed');
  if (file.status === 'failed' && count('failed') === 0) {
    console.log(`failed to run: ${file.name}: ${(file.message || 'no message').split('\n')[0]}`);
    failed += Math.max(1, notRun);
  } else {
    failed += count('failed');
    skipped += notRun;
  }
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = failed > 0 ? 1 : 0;
