#!/usr/bin/env node
/**
 * Streaming server benchmark (after `pnpm build`):
 *
 *   1. exec round trip of `true` through the server (URL, upgrade, streams, process, exit Status),
 *      over SPDY and over WebSocket v5, next to spawning `true` directly: median and p90.
 *   2. port-forward over SPDY to an HTTP server on the loopback (loopbackPortForward): time to
 *      fetch a small page on a new connection, and throughput of a large file, next to a direct
 *      TCP connection to the same server: the cost of the protocol side. (The relay into a pod's
 *      network namespace is the runtime plugin's: see @criod/oci-runc's bench/port-forward.mjs.)
 *
 * Usage: node bench/streaming.mjs [runs]   (default 30, at least 20; BENCH_MB sets the file size, default 64)
 * Everything it starts is stopped at exit, even on error.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { createStreamingServer } from '../dist/index.js';
import {
  HostProcessBackend,
  SpdyPortForwardClient,
  SpdyRemoteCommandClient,
  WebSocketRemoteCommandClient,
  loopbackPortForward,
} from '../dist/testing/index.js';

const runs = Math.max(20, Number(process.argv[2] ?? process.env.BENCH_RUNS ?? 30));
const fileMb = Math.max(8, Number(process.env.BENCH_MB ?? 64));
let server;
let backend;
let http;

function sh(cmd, args) {
  const child = spawn(cmd, args, { stdio: 'ignore' });
  return once(child, 'exit').then(([code]) => {
    if (code !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${code}`);
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

/** Fetch over a direct TCP connection to the server, no streaming server in between. */
async function directFetch(port, request) {
  const socket = connect({ host: '127.0.0.1', port });
  let bytes = 0;
  socket.on('data', (d) => (bytes += d.length));
  socket.end(request);
  await once(socket, 'close');
  return bytes;
}

async function cleanup() {
  await server?.close().catch(() => {});
  await backend?.close().catch(() => {});
  http?.closeAllConnections();
  http?.close();
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
  await backend.close();

  // --- port-forward -------------------------------------------------------------------------
  const files = { '/small.html': Buffer.from('hello\n'), '/big.bin': Buffer.alloc(fileMb * 1024 * 1024, 7) };
  http = createServer((req, res) => res.writeHead(200, { 'content-length': files[req.url]?.length ?? 0 }).end(files[req.url]));
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const port = http.address().port;
  backend = new HostProcessBackend({ portForward: loopbackPortForward(() => port) });
  server = await createStreamingServer({ backend });
  const small = 'GET /small.html HTTP/1.0\r\n\r\n';
  const big = 'GET /big.bin HTTP/1.0\r\n\r\n';

  console.log(`\nport-forward: new connection + small GET (${runs} runs each)`);
  row('direct TCP connection (floor)', await timed(runs, () => directFetch(port, small)));
  const client = await SpdyPortForwardClient.connect(server.portForward({ podSandboxId: 'bench', ports: [] }));
  row('SPDY port-forward', await timed(runs, () => client.request(8080, small)));

  const throughput = { 'direct TCP connection (floor)': [], 'SPDY port-forward': [] };
  for (let i = 0; i < 5; i++) {
    let started = performance.now();
    await directFetch(port, big);
    throughput['direct TCP connection (floor)'].push((fileMb / (performance.now() - started)) * 1000);
    started = performance.now();
    const { data } = await client.request(8080, big, 120_000);
    if (data.length < fileMb * 1024 * 1024) throw new Error(`short read: ${data.length}`);
    throughput['SPDY port-forward'].push((fileMb / (performance.now() - started)) * 1000);
  }
  client.close();

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
