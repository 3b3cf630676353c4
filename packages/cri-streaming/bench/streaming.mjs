#!/usr/bin/env node
/**
 * Streaming server benchmark (run as root after `pnpm build`):
 *
 *   1. exec round trip of `true` through the server (URL, upgrade, streams, process, exit Status),
 *      over SPDY and over WebSocket v5, next to spawning `true` directly: median and p90.
 *   2. port-forward into a network namespace: time to fetch a small page on a new connection,
 *      and throughput of a large file, with the package's relay (`nsenter … busybox nc`) and with
 *      a Node relay under nsenter, next to a direct TCP connection into the namespace
 *      (nsenter + busybox nc, no server).
 *
 * Usage: node bench/streaming.mjs [runs]   (default 30, at least 20; BENCH_MB sets the file size, default 64)
 * Everything it creates (netns criod-pfbench-<pid>, httpd, temp dir) is removed at exit, even on error.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';
import { createStreamingServer, netnsPortForwarder } from '../dist/index.js';
import { HostProcessBackend, SpdyPortForwardClient, SpdyRemoteCommandClient, WebSocketRemoteCommandClient } from '../dist/testing/index.js';

const runs = Math.max(20, Number(process.argv[2] ?? process.env.BENCH_RUNS ?? 30));
const fileMb = Math.max(8, Number(process.env.BENCH_MB ?? 64));
const netns = `criod-pfbench-${process.pid}`;
const netnsPath = `/var/run/netns/${netns}`;
const children = new Set();
let dir;
let server;
let backend;

if (process.getuid?.() !== 0) {
  console.error('streaming bench: must run as root (it creates a network namespace)');
  process.exit(1);
}

function sh(cmd, args, options = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
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

/** A Node relay under nsenter: the alternative to busybox nc, measured for comparison. */
function nodeRelay(netnsPathFor) {
  const script =
    "const s=require('net').connect(+process.argv[1],'127.0.0.1');" +
    "process.stdin.pipe(s);s.pipe(process.stdout);s.on('error',e=>{console.error(e.message);process.exit(1)})";
  return async (podId, port) => {
    const child = spawn('nsenter', [`--net=${await netnsPathFor(podId)}`, process.execPath, '-e', script, String(port)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    children.add(child);
    child.on('exit', () => children.delete(child));
    await once(child, 'spawn');
    const duplex = Duplex.from({ readable: child.stdout, writable: child.stdin });
    duplex.on('close', () => child.kill('SIGKILL'));
    return duplex;
  };
}

/** Fetch over a direct connection into the namespace: nsenter + busybox nc, no server. */
async function directFetch(request) {
  const child = spawn('nsenter', [`--net=${netnsPath}`, '/bin/busybox', 'nc', '127.0.0.1', '8080'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let bytes = 0;
  child.stdout.on('data', (d) => (bytes += d.length));
  child.stdin.end(request);
  await once(child, 'exit');
  return bytes;
}

async function cleanup() {
  await server?.close().catch(() => {});
  await backend?.close().catch(() => {});
  for (const child of children) child.kill('SIGKILL');
  await sh('ip', ['netns', 'del', netns]).catch(() => {});
  if (dir) await rm(dir, { recursive: true, force: true });
}

process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

try {
  // --- exec round trip ----------------------------------------------------------------------
  backend = new HostProcessBackend({ containers: ['bench'] });
  server = await createStreamingServer({ backend });
  const execUrl = () => server.exec({ containerId: 'bench', cmd: ['true'], tty: false, stdin: false, stdout: true, stderr: true });
  console.log(`exec round trip of \`true\` (${runs} runs each)`);
  row('spawn `true` directly (floor)', await timed(runs, () => sh('true', [])));
  row(
    'exec over SPDY/3.1 (v4.channel.k8s.io)',
    await timed(runs, async () => {
      const client = await SpdyRemoteCommandClient.connect(execUrl(), { stdout: true, stderr: true });
      const result = await client.result();
      if (result.exitCode !== 0) throw new Error(`exec failed: ${result.message}`);
      client.destroy();
    }),
  );
  row(
    'exec over WebSocket (v5.channel.k8s.io)',
    await timed(runs, async () => {
      const client = await WebSocketRemoteCommandClient.connect(execUrl());
      const result = await client.result();
      if (result.exitCode !== 0) throw new Error(`exec failed: ${result.message}`);
    }),
  );
  await server.close();

  // --- port-forward -------------------------------------------------------------------------
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

  const netnsPathFor = async () => netnsPath;
  const relays = {
    'busybox nc relay (the package)': netnsPortForwarder(netnsPathFor).portForward,
    'Node relay under nsenter': nodeRelay(netnsPathFor),
  };
  const small = 'GET /small.html HTTP/1.0\r\n\r\n';
  const big = 'GET /big.bin HTTP/1.0\r\n\r\n';
  const throughput = {};

  console.log(`\nport-forward: new connection + small GET (${runs} runs each)`);
  row('direct: nsenter + busybox nc (no server)', await timed(runs, () => directFetch(small)));
  for (const [label, portForward] of Object.entries(relays)) {
    backend = new HostProcessBackend({ portForward });
    server = await createStreamingServer({ backend });
    const client = await SpdyPortForwardClient.connect(server.portForward({ podSandboxId: 'bench', ports: [] }));
    row(`SPDY, ${label}`, await timed(runs, () => client.request(8080, small)));
    const bigRuns = 5;
    const samples = [];
    for (let i = 0; i < bigRuns; i++) {
      const started = performance.now();
      const { data } = await client.request(8080, big, 120_000);
      if (data.length < fileMb * 1024 * 1024) throw new Error(`short read: ${data.length}`);
      samples.push((fileMb / (performance.now() - started)) * 1000);
    }
    throughput[`SPDY, ${label}`] = samples;
    client.close();
    await server.close();
    await backend.close();
  }

  const directSamples = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    await directFetch(big);
    directSamples.push((fileMb / (performance.now() - started)) * 1000);
  }
  throughput['direct: nsenter + busybox nc (no server)'] = directSamples;

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
