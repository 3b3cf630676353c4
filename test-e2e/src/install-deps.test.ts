/**
 * scripts/install-deps.sh: every host command the code and tests run comes from a package it
 * installs, and it refuses to go on with a Node.js older than 20.
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const script = join(repo, 'scripts/install-deps.sh');

/** The Debian 12 package of each command run by name; a new command needs its line here. */
const debianPackage: Record<string, string> = {
  bash: 'bash',
  cat: 'coreutils',
  chmod: 'coreutils',
  cp: 'coreutils',
  mkfifo: 'coreutils',
  mknod: 'coreutils',
  readlink: 'coreutils',
  hostname: 'hostname',
  mount: 'mount',
  umount: 'mount',
  nsenter: 'util-linux',
  unshare: 'util-linux',
  ip: 'iproute2',
  iptables: 'iptables',
  ping: 'iputils-ping',
  tar: 'tar',
  zstd: 'zstd',
  runc: 'runc',
  python3: 'python3-minimal',
  openssl: 'openssl',
  '/usr/lib/cni/bridge': 'containernetworking-plugins',
};

/** Commands spawned by a literal name in the TypeScript of every package, app and the e2e tests. */
function commandsRun(): Set<string> {
  const sources = [
    ...['packages', 'apps'].flatMap((top) => readdirSync(join(repo, top)).map((pkg) => join(repo, top, pkg, 'src'))),
    join(repo, 'test-e2e/src'),
  ];
  const found = new Set<string>();
  for (const src of sources) {
    for (const file of readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join(src, file), 'utf8');
      for (const m of text.matchAll(/(?:execa|execFileSync|execFile\)|spawnSync|spawn)\(\s*'([^']+)'/g)) found.add(m[1]!);
    }
  }
  found.delete('node'); // the script checks its version; it does not install it
  return found;
}

/** The packages the script installs with --test, read from its package lists. */
function scriptPackages(): string[] {
  return [...readFileSync(script, 'utf8').matchAll(/packages\+?=\(([^)]*)\)/g)].flatMap((m) => m[1]!.trim().split(/\s+/));
}

describe('scripts/install-deps.sh', () => {
  it('installs the package of every command the code and tests run', () => {
    const commands = [...commandsRun()].sort();
    expect(commands.filter((c) => !(c in debianPackage))).toEqual([]);
    const installed = new Set(scriptPackages());
    expect(commands.filter((c) => !installed.has(debianPackage[c]!)).map((c) => `${c} (${debianPackage[c]})`)).toEqual([]);
  });

  it('stops with a clear message when Node.js is older than 20', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'criod-old-node-'));
    try {
      writeFileSync(join(bin, 'node'), '#!/bin/sh\necho v18.19.0\n');
      chmodSync(join(bin, 'node'), 0o755);
      const r = await execa('bash', [script, '--test'], { reject: false, env: { PATH: `${bin}:${process.env.PATH}` } });
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain('criod needs Node.js 20 or newer, found v18.19.0');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
