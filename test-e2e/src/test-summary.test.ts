/**
 * The CI summary of scripts/test-all.sh, on the JSON report of a real vitest run over test files
 * written here: a beforeAll that throws and an import that breaks count as failures.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'criod-summary-'));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Run vitest (globals on: the files cannot import it from a temp dir) over the given files, then the summary. */
async function summarize(files: Record<string, string>) {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const report = join(dir, 'report.json');
  await execa(join(repo, 'node_modules/.bin/vitest'), ['run', '--root', dir, '--globals', '--reporter=json', `--outputFile.json=${report}`], { reject: false });
  const r = await execa('node', [join(repo, 'scripts/test-summary.mjs'), report], { reject: false });
  return { exitCode: r.exitCode, lastLine: r.stdout.split('\n').at(-1) };
}

const passAndSkip = "it('passes', () => {});\nit.skip('skipped', () => {});\n";

describe('the test-all.sh summary', () => {
  it('counts a failed beforeAll and a file that fails to import as failed, and fails the run', async () => {
    const r = await summarize({
      'setup.test.ts': "beforeAll(() => { throw new Error('setup broke'); });\nit('one', () => {});\nit('two', () => {});\n",
      'import.test.ts': "import { x } from './missing.js';\nit('uses x', () => expect(x).toBe(1));\n",
      'plain.test.ts': passAndSkip,
    });
    expect(r).toEqual({ exitCode: 1, lastLine: 'tests: 1 passed, 3 failed, 1 skipped' });
  });

  it('passes a run with passed and skipped tests only', async () => {
    expect(await summarize({ 'plain.test.ts': passAndSkip })).toEqual({ exitCode: 0, lastLine: 'tests: 1 passed, 0 failed, 1 skipped' });
  });
});
