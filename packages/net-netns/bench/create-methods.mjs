#!/usr/bin/env node
/**
 * Measures the ways to create a pinned network namespace (with `lo` up) and to release it:
 *
 *   a) iproute2:        `ip netns add X` + `ip -n X link set lo up`; release `ip netns del X`
 *   b) unshare:         `unshare --net=<file> ip link set lo up` (one spawn); release `umount -l` + unlink
 *   c) native helper:   a tiny C program (bench/pin-helper.c, compiled here with gcc if present)
 *                       doing unshare(2) + bind mount + SIOCSIFFLAGS in one process
 *   and the full pod case (net+ipc+uts, hostname, one net and one ipc sysctl):
 *   d) unshare + sh:    `unshare --net=A --ipc=B --uts=C sh -c <script>` (what the plugin runs)
 *   e) native helper:   the same in one process
 *   f) the plugin:      create()/release() of the built plugin (dist/), net+ipc+uts
 *
 * Usage (as root, after `pnpm build`): node bench/create-methods.mjs [runs]   (default 30, min 20)
 * Everything the bench creates lives under a mkdtemp dir in /run (except method a, which can only
 * use /var/run/netns, with names criod-bench-<pid>-<n>) and is removed at exit, even on error
 * (`ip netns add` itself may leave /var/run/netns behind as a shared bind mount, as it always does).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const runs = Math.max(20, Number(process.argv[2] ?? process.env.BENCH_RUNS ?? 30));
const warmup = 3;

if (process.getuid?.() !== 0) {
  console.error('create-methods: must run as root (it creates namespaces and mounts)');
  process.exit(1);
}

const tmpBase = existsSync('/run') ? '/run' : os.tmpdir();
const dir = await fs.mkdtemp(path.join(tmpBase, 'criod-netns-bench-'));
const netDir = path.join(dir, 'net');
const ipcDir = path.join(dir, 'ipc');
const utsDir = path.join(dir, 'uts');
const pinned = new Set(); // files that may carry a mount
const ipNames = new Set(); // names added with `ip netns add`
let dirMounted = false;
let seq = 0;
// `ip netns add` makes /var/run/netns a shared bind mount of itself; report it if we caused that.
const varRunNetnsExisted = existsSync('/var/run/netns');

async function cleanup() {
  for (const name of ipNames) await run('ip', ['netns', 'del', name]).catch(() => {});
  ipNames.clear();
  const files = [...pinned];
  pinned.clear();
  if (files.length) await run('umount', ['-l', ...files]).catch(() => {});
  if (dirMounted) await run('umount', ['-l', '-R', dir]).catch(() => {});
  dirMounted = false;
  await fs.rm(dir, { recursive: true, force: true }).catch(() => {});
  if (!varRunNetnsExisted && existsSync('/var/run/netns')) {
    // Left as iproute2 leaves it (another process may be using it by now); say so.
    console.error('note: `ip netns add` created /var/run/netns as a shared bind mount; it is left in place');
  }
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    void cleanup().finally(() => process.exit(130));
  });
}

async function touch(file) {
  await fs.writeFile(file, '', { flag: 'wx', mode: 0 });
  pinned.add(file);
}
async function unpin(...files) {
  await run('umount', ['-l', ...files]);
  for (const f of files) {
    await fs.unlink(f);
    pinned.delete(f);
  }
}

function stats(samples) {
  const s = [...samples].sort((x, y) => x - y);
  const q = (p) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
  return { median: q(0.5), p90: q(0.9), min: s[0] };
}

/** A method: `create()` returns a token, `release(token)` undoes it. */
const methods = [];

methods.push({
  name: 'a) ip netns add + ip -n link set lo up',
  scope: 'net',
  spawns: '2 / 1',
  async create() {
    const name = `criod-bench-${process.pid}-${seq++}`;
    ipNames.add(name);
    await run('ip', ['netns', 'add', name]);
    await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  },
  async release(name) {
    await run('ip', ['netns', 'del', name]);
    ipNames.delete(name);
  },
});

methods.push({
  name: 'b) unshare --net=<file> ip link set lo up',
  scope: 'net',
  spawns: '1 / 1',
  async create() {
    const f = path.join(netDir, `criod-b${seq++}`);
    await touch(f);
    await run('unshare', [`--net=${f}`, 'ip', 'link', 'set', 'lo', 'up']);
    return [f];
  },
  release: (files) => unpin(...files),
});

const SCRIPT =
  'set -u; ip link set lo up || exit 90; printf %s "$1" > /proc/sys/kernel/hostname || exit 91; ' +
  'printf "%s\\n" "$2" > /proc/sys/net/ipv4/ip_unprivileged_port_start || exit 92; ' +
  'printf "%s\\n" "$3" > /proc/sys/kernel/shmmni || exit 93';

methods.push({
  name: 'd) unshare --net --ipc --uts sh -c <script>',
  scope: 'pod',
  spawns: '1 / 1',
  async create() {
    const n = seq++;
    const files = [path.join(netDir, `criod-d${n}`), path.join(ipcDir, `criod-d${n}`), path.join(utsDir, `criod-d${n}`)];
    for (const f of files) await touch(f);
    await run('unshare', [`--net=${files[0]}`, `--ipc=${files[1]}`, `--uts=${files[2]}`, 'sh', '-c', SCRIPT, 'sh', 'bench-host', '0', '2048']);
    return files;
  },
  release: (files) => unpin(...files),
});

// Native helper, only when gcc can build it.
let helper;
try {
  helper = path.join(dir, 'pin-helper');
  await run('gcc', ['-O2', '-o', helper, path.join(here, 'pin-helper.c')]);
} catch (err) {
  console.error(`native helper skipped (gcc failed or missing): ${err.message.split('\n')[0]}`);
  helper = undefined;
}
if (helper) {
  methods.push({
    name: 'c) native helper (unshare(2)+mount(2)+ioctl)',
    scope: 'net',
    spawns: '1 / 1',
    async create() {
      const f = path.join(netDir, `criod-c${seq++}`);
      await touch(f);
      await run(helper, ['-n', f]);
      return [f];
    },
    release: (files) => unpin(...files),
  });
  methods.push({
    name: 'e) native helper, net+ipc+uts+hostname+sysctls',
    scope: 'pod',
    spawns: '1 / 1',
    async create() {
      const n = seq++;
      const files = [path.join(netDir, `criod-e${n}`), path.join(ipcDir, `criod-e${n}`), path.join(utsDir, `criod-e${n}`)];
      for (const f of files) await touch(f);
      await run(helper, [
        '-n',
        files[0],
        '-i',
        files[1],
        '-u',
        files[2],
        '-h',
        'bench-host',
        '-s',
        'net/ipv4/ip_unprivileged_port_start=0',
        '-s',
        'kernel/shmmni=2048',
      ]);
      return files;
    },
    release: (files) => unpin(...files),
  });
}

// The plugin itself, when built.
const dist = path.join(here, '..', 'dist', 'index.js');
if (existsSync(dist)) {
  const { plugin } = await import(dist);
  const { silentLogger } = await import('@criod/core');
  const pluginDir = path.join(dir, 'plugin');
  const ns = await plugin.create({
    config: plugin.configSchema.parse({ netns_dir: path.join(pluginDir, 'netns'), pin_dir: path.join(pluginDir, 'pins') }),
    root: pluginDir,
    runroot: pluginDir,
    logger: silentLogger,
    get() {
      throw new Error('no dependencies');
    },
  });
  methods.push({
    name: 'f) plugin create()/release() net+ipc+uts',
    scope: 'pod',
    spawns: '1 / 1',
    async create() {
      const podId = (seq++).toString(16).padStart(8, '0').repeat(8);
      const list = await ns.create(podId, ['net', 'ipc', 'uts'], {
        hostname: 'bench-host',
        sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0', 'kernel.shmmni': '2048' },
      });
      for (const p of list) pinned.add(p.path);
      return list;
    },
    async release(list) {
      // As core should: a pod's namespaces released together share one `umount -l` spawn.
      await Promise.all(list.map((p) => ns.release(p)));
      for (const p of list) pinned.delete(p.path);
    },
  });
} else {
  console.error('plugin row skipped: run `pnpm build` first');
}

try {
  for (const d of [netDir, ipcDir, utsDir]) await fs.mkdir(d, { recursive: true });
  // Same setup as iproute2 does for /var/run/netns: a shared bind mount of the dir onto itself.
  await run('mount', ['--bind', dir, dir]);
  dirMounted = true;
  await run('mount', ['--make-rshared', dir]);

  const samples = new Map(methods.map((m) => [m.name, { create: [], release: [] }]));
  // Round-robin so that kernel background work (async netns cleanup) hits every method alike.
  for (let i = 0; i < warmup + runs; i++) {
    for (const m of methods) {
      const t0 = process.hrtime.bigint();
      const token = await m.create();
      const t1 = process.hrtime.bigint();
      await m.release(token);
      const t2 = process.hrtime.bigint();
      if (i >= warmup) {
        samples.get(m.name).create.push(Number(t1 - t0) / 1e6);
        samples.get(m.name).release.push(Number(t2 - t1) / 1e6);
      }
    }
  }

  const { stdout: kernel } = await run('uname', ['-r']);
  console.log(`\n${runs} runs each (after ${warmup} warm-up), kernel ${kernel.trim()}, node ${process.version}, ${os.cpus().length} CPUs; ms\n`);
  const header = ['method', 'scope', 'spawns c/r', 'create med', 'create p90', 'release med', 'release p90'];
  const rows = methods.map((m) => {
    const c = stats(samples.get(m.name).create);
    const r = stats(samples.get(m.name).release);
    return [m.name, m.scope, m.spawns, c.median, c.p90, r.median, r.p90].map((v) => (typeof v === 'number' ? v.toFixed(2) : v));
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  console.log('\nscope: net = one netns with lo up; pod = net+ipc+uts pinned, lo up, hostname and 2 sysctls set.');
} finally {
  await cleanup();
}
