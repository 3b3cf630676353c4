#!/usr/bin/env node
// Checks that every published package whose source changed since the last release is named in a
// changeset added since then. The last release is the last commit that wrote a package CHANGELOG.md
// (`pnpm changeset version` writes them and consumes the pending changesets); before the first
// release it is the parent of the first commit that added a changeset (what came before is the
// initial 0.1.0). Works on a plain checkout without a remote, but
// needs the history back to that commit (not a shallow clone). Test files (*.test.ts) are not a
// user-visible change. Usage: node scripts/check-changesets.mjs [base-commit]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const git = (...args) => execFileSync('git', args, { encoding: 'utf8' }).trim();

if (git('rev-parse', '--is-shallow-repository') === 'true') {
  console.error('check-changesets: shallow clone; fetch the full history (git fetch --unshallow)');
  process.exit(1);
}
const lastRelease = git('log', '-1', '--format=%H', '--', 'packages/*/CHANGELOG.md', 'apps/*/CHANGELOG.md');
const firstChangeset = git('log', '--diff-filter=A', '--format=%H', '--', '.changeset/*.md', ':!.changeset/README.md').split('\n').at(-1);
const root = git('rev-list', '--max-parents=0', 'HEAD').split('\n').at(-1);
const base = git('rev-parse', process.argv[2] ?? (lastRelease || (firstChangeset ? `${firstChangeset}^` : root)));

// Source files changed since the base, committed or not, mapped to the package that holds them.
const changedDirs = new Set(
  git('diff', '--name-only', base, '--', 'packages/*/src/*', 'apps/*/src/*')
    .split('\n')
    .filter((file) => file && !file.endsWith('.test.ts'))
    .map((file) => file.split('/').slice(0, 2).join('/')),
);
const changed = [...changedDirs]
  .map((dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')))
  .filter((pkg) => !pkg.private)
  .map((pkg) => pkg.name);

// The release plan of the changesets added since the base (`changeset status` fails by itself when
// packages changed and not a single changeset was added).
const out = mkdtempSync(join(tmpdir(), 'check-changesets-'));
try {
  const planFile = join(out, 'plan.json');
  try {
    execFileSync('pnpm', ['exec', 'changeset', 'status', `--since=${base}`, `--output=${planFile}`], { stdio: 'inherit' });
  } catch {
    process.exit(1); // changeset status said why
  }
  const plan = JSON.parse(readFileSync(planFile, 'utf8'));
  const named = new Set(plan.changesets.flatMap((changeset) => changeset.releases.map((release) => release.name)));
  const missing = changed.filter((name) => !named.has(name));
  if (missing.length > 0) {
    console.error(`check-changesets: changed since ${base.slice(0, 12)} without a changeset naming them: ${missing.join(', ')}`);
    console.error('Describe the change with `pnpm changeset` (select those packages).');
    process.exit(1);
  }
  console.log(`check-changesets: every changed package since ${base.slice(0, 12)} has a changeset`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
