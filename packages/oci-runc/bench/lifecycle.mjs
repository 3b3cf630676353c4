// Latency of container lifecycle and execSync through OciRuncRuntime, next to the bare floor of
// the same work done by calling runc directly, in the same run. As root, after `pnpm build`:
//   node bench/lifecycle.mjs            (RUNS=50 node bench/lifecycle.mjs for more samples)
import { execFile as execFileCb, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, rmdir, symlink, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { silentLogger } from '@criod/core';
import { configSchema, OciRuncRuntime, resolveBinaries } from '../dist/index.js';

const execFile = promisify(execFileCb);
const runs = Math.max(20, Number(process.env.RUNS ?? 20));
const tag = randomBytes(4).toString('hex');
const dir = await mkdtemp(join(tmpdir(), 'criod-bench-'));
const cgroupParent = `/criod-bench-${tag}`;

async function makeRootfs() {
  const rootfs = join(dir, 'rootfs');
  for (const sub of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp']) await mkdir(join(rootfs, sub), { recursive: true });
  await copyFile('/bin/busybox', join(rootfs, 'bin', 'busybox'));
  await chmod(join(rootfs, 'bin', 'busybox'), 0o755);
  const { stdout } = await execFile('/bin/busybox', ['--list']);
  for (const applet of stdout.split('\n').filter((a) => a && a !== 'busybox')) await symlink('busybox', join(rootfs, 'bin', applet));
  await writeFile(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  await writeFile(join(rootfs, 'etc', 'group'), 'root:x:0:\n');
  return rootfs;
}

async function baseSpec(rootfs) {
  const specDir = join(dir, 'spec');
  await mkdir(specDir);
  await execFile('runc', ['spec', '--bundle', specDir]);
  const spec = JSON.parse(await readFile(join(specDir, 'config.json'), 'utf8'));
  spec.process.terminal = false;
  spec.root = { path: rootfs, readonly: true };
  return (id, args) => ({ ...spec, process: { ...spec.process, args }, linux: { ...spec.linux, cgroupsPath: `${cgroupParent}/${id}` } });
}

function summary(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { median: at(0.5), p90: at(0.9) };
}

async function timed(samples, work) {
  const start = process.hrtime.bigint();
  const result = await work();
  samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  return result;
}

const rootfs = await makeRootfs();
const specFor = await baseSpec(rootfs);
const runroot = join(dir, 'run');
const runcRoot = join(dir, 'runc-root');
const config = configSchema.parse({ handlers: { runc: { path: 'runc', root: runcRoot } } });
const { conmon, handlers } = await resolveBinaries(config, runroot);
const runtime = new OciRuncRuntime(config, conmon, handlers, runroot, silentLogger);
const runcPath = handlers.get('runc').path;
const runc = (...args) => execFile(runcPath, [`--root=${runcRoot}`, ...args]);
// runc create hands its stdio to the container, which keeps them open: run it without pipes.
const runcDetached = (...args) =>
  new Promise((resolve, reject) => {
    const child = spawn(runcPath, [`--root=${runcRoot}`, ...args], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`runc ${args[0]} exited with ${code}`))));
  });

const criod = { create: [], start: [], stop: [], delete: [], lifecycle: [], execSync: [] };
const floor = { create: [], start: [], kill: [], delete: [], lifecycle: [], exec: [] };
const made = [];

try {
  for (let i = 0; i < runs; i++) {
    // Through the plugin: bundle + conmon + runc create, runc start, stop (waits for conmon's exit file), delete.
    const id = `bench-${tag}-c${i}`;
    made.push(id);
    const request = {
      id,
      podId: 'bench',
      handler: '',
      spec: specFor(id, ['sleep', '600']),
      logPath: join(dir, 'logs', `${id}.log`),
      stdin: false,
      stdinOnce: false,
      tty: false,
    };
    const begin = process.hrtime.bigint();
    await timed(criod.create, () => runtime.createContainer(request));
    await timed(criod.start, () => runtime.startContainer(id));
    await timed(criod.stop, () => runtime.stopContainer(id, 0, ''));
    await timed(criod.delete, () => runtime.deleteContainer(id));
    criod.lifecycle.push(Number(process.hrtime.bigint() - begin) / 1e6);

    // The floor: runc alone, no monitor, no log, no exit file.
    const bare = `bench-${tag}-r${i}`;
    made.push(bare);
    const bundle = join(dir, 'bundles', bare);
    await mkdir(bundle, { recursive: true });
    await writeFile(join(bundle, 'config.json'), JSON.stringify(specFor(bare, ['sleep', '600'])));
    const bareBegin = process.hrtime.bigint();
    await timed(floor.create, () => runcDetached('create', '--bundle', bundle, '--pid-file', join(bundle, 'pid'), bare));
    await timed(floor.start, () => runc('start', bare));
    await timed(floor.kill, () => runc('kill', bare, 'KILL'));
    await timed(floor.delete, () => runc('delete', '--force', bare));
    floor.lifecycle.push(Number(process.hrtime.bigint() - bareBegin) / 1e6);
  }

  const target = `bench-${tag}-exec`;
  made.push(target);
  await runtime.createContainer({
    id: target,
    podId: 'bench',
    handler: '',
    spec: specFor(target, ['sleep', '600']),
    logPath: join(dir, 'logs', 'exec.log'),
    stdin: false,
    stdinOnce: false,
    tty: false,
  });
  await runtime.startContainer(target);
  for (let i = 0; i < runs; i++) {
    await timed(criod.execSync, () => runtime.execSync(target, ['echo', 'hi'], 10));
    await timed(floor.exec, () => runc('exec', target, 'echo', 'hi'));
  }
} finally {
  for (const id of made) {
    await runtime.deleteContainer(id).catch(() => undefined);
    await runc('delete', '--force', id).catch(() => undefined);
  }
  await runtime.close();
  for (const hierarchy of await readdir('/sys/fs/cgroup')) await rmdir(join('/sys/fs/cgroup', hierarchy, cgroupParent)).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
}

const rows = [
  ['create', criod.create, floor.create],
  ['start', criod.start, floor.start],
  ['stop (timeout 0) / kill', criod.stop, floor.kill],
  ['delete', criod.delete, floor.delete],
  ['whole lifecycle', criod.lifecycle, floor.lifecycle],
  ['execSync / runc exec', criod.execSync, floor.exec],
];
const cell = (n) => n.toFixed(1).padStart(9);
console.log(`${runs} runs each, milliseconds`);
console.log(`${'operation'.padEnd(26)}${'criod med'.padStart(10)}${'p90'.padStart(9)}${'runc med'.padStart(10)}${'p90'.padStart(9)}`);
for (const [name, ours, bare] of rows) {
  const a = summary(ours);
  const b = summary(bare);
  console.log(`${name.padEnd(26)} ${cell(a.median)}${cell(a.p90)} ${cell(b.median)}${cell(b.p90)}`);
}
