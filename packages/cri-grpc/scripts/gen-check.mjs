#!/usr/bin/env node
/* global process, console */
// Verifies that the committed generated code in src/gen is exactly what
// `buf generate` (buf.gen.yaml) produces from proto/. Exit 1 on any drift.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const GEN_DIR = join('src', 'gen');

function listFiles(root) {
  const out = [];
  if (!existsSync(root)) return out;
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(root, p).split(sep).join('/'));
    }
  };
  walk(root);
  return out.sort();
}

function bufCommand() {
  const local = join(pkgDir, 'node_modules', '.bin', process.platform === 'win32' ? 'buf.cmd' : 'buf');
  return existsSync(local) ? local : 'buf';
}

const tmp = mkdtempSync(join(tmpdir(), 'cri-grpc-gen-check-'));
let exitCode = 0;
try {
  const res = spawnSync(bufCommand(), ['generate', '--output', tmp], {
    cwd: pkgDir,
    stdio: ['ignore', 'inherit', 'inherit'],
    shell: process.platform === 'win32',
  });
  if (res.error || res.status !== 0) {
    console.error(`gen:check: buf generate failed${res.error ? `: ${res.error.message}` : ` (exit ${res.status})`}`);
    process.exit(2);
  }

  const committedRoot = join(pkgDir, GEN_DIR);
  const freshRoot = join(tmp, GEN_DIR);
  const committed = new Set(listFiles(committedRoot));
  const fresh = new Set(listFiles(freshRoot));
  if (fresh.size === 0) {
    console.error('gen:check: buf generate produced no files; check buf.gen.yaml');
    process.exit(2);
  }

  const problems = [];
  for (const f of fresh) {
    if (!committed.has(f)) problems.push(`missing:  ${GEN_DIR}/${f}`);
    else if (!readFileSync(join(committedRoot, f)).equals(readFileSync(join(freshRoot, f)))) {
      problems.push(`differs:  ${GEN_DIR}/${f}`);
    }
  }
  for (const f of committed) {
    if (!fresh.has(f)) problems.push(`stale:    ${GEN_DIR}/${f}`);
  }

  if (problems.length > 0) {
    console.error('gen:check: generated code is out of date with proto/:');
    for (const p of problems) console.error(`  ${p}`);
    console.error('Run `pnpm gen` in packages/cri-grpc and commit the result.');
    exitCode = 1;
  } else {
    console.log(`gen:check: ${GEN_DIR} is up to date (${fresh.size} file(s)).`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(exitCode);
