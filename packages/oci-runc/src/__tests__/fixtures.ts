/**
 * Real runc + conmon test environment: a busybox rootfs, a per-run runtime root and runroot, a
 * unique cgroup parent, and cleanup that removes every container, conmon, cgroup and dir made.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, rmdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, type OciSpec, type RuntimeContainerRequest } from '@criod/core';
import { configSchema } from '../config.js';
import { resolveBinaries } from '../handlers.js';
import { OciRuncRuntime } from '../runtime.js';

export const busybox = '/bin/busybox';

/** A rootfs with busybox as every applet (relative symlinks, so they resolve inside the container). */
export function makeRootfs(dir: string): string {
  const rootfs = join(dir, 'rootfs');
  for (const sub of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp']) mkdirSync(join(rootfs, sub), { recursive: true });
  copyFileSync(busybox, join(rootfs, 'bin', 'busybox'));
  execFileSync('chmod', ['0755', join(rootfs, 'bin', 'busybox')]);
  const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8' })
    .split('\n')
    .filter((a) => a && a !== 'busybox');
  for (const applet of applets) symlinkSync('busybox', join(rootfs, 'bin', applet));
  writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  writeFileSync(join(rootfs, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  return rootfs;
}

/** The spec `runc spec` writes, once per process. */
let baseSpec: OciSpec | undefined;
function runcSpec(): OciSpec {
  if (!baseSpec) {
    const dir = mkdtempSync(join(tmpdir(), 'criod-spec-'));
    try {
      execFileSync('runc', ['spec', '--bundle', dir]);
      baseSpec = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as OciSpec;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return structuredClone(baseSpec);
}

export interface SpecOptions {
  args: string[];
  memoryLimit?: number;
}

export interface TestEnv {
  dir: string;
  runroot: string;
  runcRoot: string;
  rootfs: string;
  cgroupParent: string;
  /** Where the runtime puts container `id`'s cgroup under cgroupParent (cgroupfs driver). */
  cgroupOf(id: string): string;
  runtime: OciRuncRuntime;
  /** A fresh runtime instance over the same dirs, as after a criod restart. */
  newRuntime(): Promise<OciRuncRuntime>;
  request(id: string, options: SpecOptions): RuntimeContainerRequest;
  logPath(id: string): string;
  /** Ids created through this env, for cleanup. */
  ids: Set<string>;
  uniqueId(prefix: string): string;
  cleanup(): Promise<void>;
}

const cgroupRoot = '/sys/fs/cgroup';

/** Every cgroup dir named `name` directly under a hierarchy root (v1 controllers and unified). */
export function cgroupDirs(relative: string): string[] {
  const dirs: string[] = [];
  for (const entry of readdirSync(cgroupRoot)) {
    const dir = join(cgroupRoot, entry, relative);
    if (existsSync(dir)) dirs.push(dir);
  }
  if (existsSync(join(cgroupRoot, 'cgroup.controllers')) && existsSync(join(cgroupRoot, relative))) dirs.push(join(cgroupRoot, relative));
  return dirs;
}

/** rmdir a cgroup tree bottom-up (cgroup dirs only go away with rmdir, once empty). */
function removeCgroupTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) removeCgroupTree(join(dir, entry.name));
  }
  try {
    rmdirSync(dir);
  } catch {
    // still busy: reported by the test that left it
  }
}

export async function makeEnv(): Promise<TestEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'criod-runc-'));
  const run = randomBytes(4).toString('hex');
  const runroot = join(dir, 'run');
  const runcRoot = join(dir, 'runc-root');
  const rootfs = makeRootfs(dir);
  const cgroupParent = `/criod-test-${run}`;
  const config = configSchema.parse({ handlers: { runc: { path: 'runc', root: runcRoot } } });
  const newRuntime = async () => {
    const { conmon, handlers } = await resolveBinaries(config, runroot);
    return new OciRuncRuntime(config, conmon, handlers, runroot, silentLogger);
  };
  const runtime = await newRuntime();
  const ids = new Set<string>();
  let counter = 0;
  const env: TestEnv = {
    dir,
    runroot,
    runcRoot,
    rootfs,
    cgroupParent,
    cgroupOf: (id) => `${cgroupParent}/criod-${id}`,
    runtime,
    newRuntime,
    ids,
    uniqueId: (prefix) => `${prefix}-${run}-${++counter}`,
    logPath: (id) => join(dir, 'logs', `${id}.log`),
    request(id, options) {
      ids.add(id);
      const base = runcSpec();
      if (!base.process || !base.linux) throw new Error('`runc spec` wrote no process or linux section');
      const spec: OciSpec = {
        ...base,
        process: { ...base.process, terminal: false, args: options.args },
        root: { path: rootfs, readonly: true },
        hostname: id.slice(0, 63),
        linux: {
          ...base.linux,
          ...(options.memoryLimit ? { resources: { ...base.linux.resources, memory: { limit: options.memoryLimit, swap: options.memoryLimit } } } : {}),
        },
      };
      return { id, podId: `pod-${run}`, handler: '', spec, cgroupParent, logPath: env.logPath(id), stdin: false, stdinOnce: false, tty: false };
    },
    async cleanup() {
      for (const id of ids) {
        await runtime.deleteContainer(id).catch(() => undefined);
        // Belt and braces for a runtime bug: runc itself, then the conmon of the id.
        execFileSync('runc', [`--root=${runcRoot}`, 'delete', '--force', id], { stdio: 'ignore' });
        for (const pid of conmonPidsOf(id)) process.kill(pid, 'SIGKILL');
      }
      await runtime.close();
      for (const cg of cgroupDirs(cgroupParent)) removeCgroupTree(cg);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return env;
}

/** Host PIDs of conmon processes monitoring `id` (found by their -c argument). */
export function conmonPidsOf(id: string): number[] {
  return processesWhere((args) => args[0]?.endsWith('conmon') === true && args[args.indexOf('-c') + 1] === id);
}

/** Zombie processes on the host: pid → { ppid, comm }. */
export function zombies(): Map<number, { ppid: number; comm: string }> {
  const result = new Map<number, { ppid: number; comm: string }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const [state, ppid] = stat.slice(close + 2).split(' ');
      if (state === 'Z') result.set(Number(entry), { ppid: Number(ppid), comm: stat.slice(stat.indexOf('(') + 1, close) });
    } catch {
      // gone meanwhile
    }
  }
  return result;
}

/** Host processes whose argv is exactly `args`. */
export function processesWithArgs(args: string[]): number[] {
  return processesWhere((argv) => argv.length === args.length && argv.every((a, i) => a === args[i]));
}

/** Host processes with `text` in one of their arguments (a container id, a unique marker). */
export function processesMentioning(text: string): number[] {
  return processesWhere((argv) => argv.some((a) => a.includes(text)));
}

function processesWhere(matches: (argv: string[]) => boolean): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      // A zombie's cmdline is empty: it matches nothing.
      if (cmdline !== '' && matches(cmdline.slice(0, -1).split('\0'))) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

export function runcList(runcRoot: string): string[] {
  const out = execFileSync('runc', [`--root=${runcRoot}`, 'list', '--format', 'json'], { encoding: 'utf8' });
  return ((JSON.parse(out) as { id: string }[] | null) ?? []).map((c) => c.id);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until `check` holds, polling; false after timeoutMs. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(25);
  }
  return check();
}
