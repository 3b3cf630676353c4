/**
 * Test helper: runs a command in a real runc container with a busybox rootfs, after a test has
 * edited the spec, and cleans up every container, bundle and runc root it made.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OciSpec } from '@criod/core';

/** `runc spec`'s spec, whose process, root and mounts are always there. */
export type BundleSpec = OciSpec & Required<Pick<OciSpec, 'process' | 'root' | 'mounts'>>;

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], timeoutMs = 30_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export class RuncHarness {
  private base = '';
  private rootfs = '';
  private runcRoot = '';
  private readonly started: string[] = [];
  private count = 0;

  /** Make the shared busybox rootfs and this run's own runc root. */
  async setUp(): Promise<void> {
    this.base = await mkdtemp(join(tmpdir(), 'criod-seccomp-runc-'));
    this.rootfs = join(this.base, 'rootfs');
    this.runcRoot = join(this.base, 'runc-root');
    // Merged /usr like the host: `busybox --install -s` links applets to its own path, /usr/bin/busybox.
    const usrBin = join(this.rootfs, 'usr', 'bin');
    await mkdir(usrBin, { recursive: true });
    await mkdir(join(this.rootfs, 'tmp'));
    await symlink('usr/bin', join(this.rootfs, 'bin'));
    await copyFile('/bin/busybox', join(usrBin, 'busybox'));
    const install = await run('/bin/busybox', ['--install', '-s', usrBin]);
    if (install.code !== 0) throw new Error(`busybox --install failed: ${install.stderr}`);
  }

  /** Remove containers the tests left behind (runc run deletes the ones that exited). */
  async cleanContainers(): Promise<void> {
    for (const id of this.started.splice(0)) await run('runc', ['--root', this.runcRoot, 'delete', '--force', id]);
  }

  async tearDown(): Promise<void> {
    await this.cleanContainers();
    if (this.base) await rm(this.base, { recursive: true, force: true });
  }

  /** A fresh bundle's spec from `runc spec`, set up for a non-interactive shell script. */
  async newSpec(script: string): Promise<{ spec: BundleSpec; bundle: string }> {
    const bundle = join(this.base, `bundle-${++this.count}`);
    await mkdir(bundle);
    const made = await run('runc', ['spec', '--bundle', bundle]);
    if (made.code !== 0) throw new Error(`runc spec failed: ${made.stderr}`);
    const spec = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8')) as OciSpec;
    const { process: proc, root, mounts } = spec;
    if (!proc || !root || !mounts) throw new Error(`runc spec wrote no process, root or mounts in ${bundle}`);
    return {
      spec: {
        ...spec,
        root: { ...root, path: this.rootfs },
        process: { ...proc, terminal: false, args: ['/bin/sh', '-c', script] },
        mounts: [...mounts, { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] }],
      },
      bundle,
    };
  }

  /** Run the bundle's container to its end. */
  async runContainer(bundle: string, spec: OciSpec): Promise<RunResult> {
    await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
    const id = `criod-sec-${process.pid}-${randomBytes(4).toString('hex')}`;
    this.started.push(id);
    return run('runc', ['--root', this.runcRoot, 'run', '--bundle', bundle, id]);
  }
}

/** The value of one field of /proc/self/status as the container printed it. */
export function statusField(output: string, field: string): string | undefined {
  return new RegExp(`^${field}:\\s*(\\S+)`, 'm').exec(output)?.[1];
}
