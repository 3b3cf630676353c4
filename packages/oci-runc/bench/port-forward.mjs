#!/usr/bin/env node
/**
 * Port-forward relay benchmark (run as root after `pnpm build`): into a network namespace with
 * busybox httpd on its loopback, the time to fetch a small page on a new connection and the
 * throughput of a large file, through the plugin's relay (`nsenter … busybox nc`, port-forward.ts)
 * and through a Node relay under nsenter (the alternative it was chosen over), next to nsenter +
 * busybox nc fed directly (the floor).
 *
 * Usage: node bench/port-forward.mjs [runs]   (default 30, at least 20; BENCH_MB sets the file size, default 64)
 * Everything it creates (netns criod-pfbench-<pid>, httpd, temp dir) is removed at exit, even on error.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';
import { portForward } from '../dist/port-forward.js';

const runs = Math.max(20, Number(process.argv[2] ?? process.env.BENCH_RUNS ?? 30));
const fileMb = Math.max(8, Number(process.env.BENCH_MB ?? 64));
const netns = `criod-pfbench-${process.pid}`;
const netnsPath = `/var/run/netns/${netns}`;
const children = new Set();
let dir;

if (process.getuid?.() !== 0) {
  console.error('port-forward bench: must run as root (it creates a network namespace)');
  process.exit(1);
}

function sh(cmd, args) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return once(child, 'exit').then(([code]) => {
    if (code !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${code}: ${stderr.trim()}`);
  });
}

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { median: at(0.5), p90: at(0.9), min: sorted[0] };
}

const ms = (v) => `${v.toFixed(2)} ms`;
const row = (label, s) =>
  console.log(`  ${label.padEnd(44)} median ${ms(s.median).padStart(10)}   p90 ${ms(s.p90).padStart(10)}   min ${ms(s.min).padStart(10)}`);

async function timed(n, fn) {
  for (let i = 0; i < 3; i++) await fn(); // warm-up
  const samples = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await fn();
    samples.push(performance.now() - started);
  }
  return stats(samples);
}

/** The plugin's relay, as the runtime's portForward() calls it. */
const sandbox = {
  podId: 'bench',
  handler: '',
  config: { linux: { securityContext: { namespaceOptions: { network: 'pod' } } } },
  namespaces: [{ kind: 'net', path: netnsPath }],
};
const pluginRelay = () => portForward(sandbox, 8080);

/** A Node relay under nsenter: the alternative to busybox nc, measured for comparison. */
async function nodeRelay() {
  const script =
    "const s=require('net').connect(+process.argv[1],'127.0.0.1');" +
    "process.stdin.pipe(s);s.pipe(process.stdout);s.on('error',e=>{console.error(e.message);process.exit(1)})";
  const child = spawn('nsenter', [`--net=${netnsPath}`, process.execPath, '-e', script, '8080'], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  await once(child, 'spawn');
  const duplex = Duplex.from({ readable: child.stdout, writable: child.stdin });
  duplex.on('close', () => child.kill('SIGKILL'));
  return duplex;
}

/** Send a request on a new relay connection, read the answer to its end: its size in bytes. */
async function fetchThrough(relay, request) {
  const connection = await relay();
  let bytes = 0;
  connection.end(request);
  for await (const chunk of connection) bytes += chunk.length;
  connection.destroy();
  return bytes;
}

/** nsenter + busybox nc fed directly: no relay object, no Duplex. */
async function directFetch(request) {
  const child = spawn('nsenter', [`--net=${netnsPath}`, '/bin/busybox', 'nc', '127.0.0.1', '8080'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let bytes = 0;
  child.stdout.on('data', (d) => (bytes += d.length));
  child.stdin.end(request);
  await once(child, 'exit');
  return bytes;
}

async function cleanup() {
  for (const child of children) child.kill('SIGKILL');
  await sh('ip', ['netns', 'del', netns]).catch(() => {});
  if (dir) await rm(dir, { recursive: true, force: true });
}

process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

try {
  dir = await mkdtemp(path.join(tmpdir(), 'criod-pfbench-'));
  await writeFile(path.join(dir, 'small.html'), 'hello\n');
  await writeFile(path.join(dir, 'big.bin'), Buffer.alloc(fileMb * 1024 * 1024, 7));
  await sh('ip', ['netns', 'add', netns]);
  await sh('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
  const httpd = spawn('nsenter', [`--net=${netnsPath}`, '/bin/busybox', 'httpd', '-f', '-p', '127.0.0.1:8080', '-h', dir], { stdio: 'ignore' });
  children.add(httpd);
  for (let i = 0; i < 100 && (await directFetch('GET /small.html HTTP/1.0\r\n\r\n')) === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }

  const small = 'GET /small.html HTTP/1.0\r\n\r\n';
  const big = 'GET /big.bin HTTP/1.0\r\n\r\n';
  const relays = { 'busybox nc relay (the plugin)': pluginRelay, 'Node relay under nsenter': nodeRelay };
  const throughput = {};

  console.log(`port-forward: new connection + small GET (${runs} runs each)`);
  row('direct: nsenter + busybox nc (floor)', await timed(runs, () => directFetch(small)));
  for (const [label, relay] of Object.entries(relays)) row(label, await timed(runs, () => fetchThrough(relay, small)));

  for (const [label, fetch] of [
    ['direct: nsenter + busybox nc (floor)', () => directFetch(big)],
    ...Object.entries(relays).map(([label, relay]) => [label, () => fetchThrough(relay, big)]),
  ]) {
    throughput[label] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      const bytes = await fetch();
      if (bytes < fileMb * 1024 * 1024) throw new Error(`${label}: short read: ${bytes}`);
      throughput[label].push((fileMb / (performance.now() - started)) * 1000);
    }
  }

  console.log(`\nport-forward throughput: GET of a ${fileMb} MiB file (5 runs each)`);
  for (const [label, samples] of Object.entries(throughput)) {
    const s = stats(samples);
    console.log(
      `  ${label.padEnd(44)} median ${s.median.toFixed(0).padStart(6)} MB/s   min ${Math.min(...samples)
        .toFixed(0)
        .padStart(6)} MB/s`,
    );
  }
} finally {
  await cleanup();
}
