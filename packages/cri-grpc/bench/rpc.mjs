#!/usr/bin/env node
/**
 * The cost of the gRPC layer per RPC: a Version round trip against criod's CRI server (in-memory
 * fake plugins, so only gRPC is measured), three ways, on one connection each, one call at a time:
 *
 *   floor      grpc-js bound to the socket directly (no :authority filter; what criod did before)
 *   native     criod's listener (serveUnix), grpc-js client (authority "localhost"): the
 *              listener hands the socket to HTTP/2 itself after the first request
 *   filtered   criod's listener, a raw HTTP/2 client sending the socket path as :authority,
 *              as kubelet/crictl 1.26–1.30 do (the floor cannot serve this one at all)
 *
 * and, apart from any I/O, the CPU time the filter spends on one request's header block.
 *
 * Usage (after `pnpm build`): node bench/rpc.mjs [calls]   (default 2000)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { connect as h2connect } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerCredentials } from '@grpc/grpc-js';
import { CriService, silentLogger } from '@criod/core';
import { fakePluginSet } from '@criod/core/testing';
import { connectCri, createCriServer, cri, serveUnix } from '../dist/index.js';
import { AuthorityFilter, CLIENT_PREFACE } from '../dist/h2/authority-filter.js';
import { encodeHeaderBlock } from '../dist/h2/hpack.js';

const calls = Math.max(200, Number(process.argv[2] ?? process.env.BENCH_CALLS ?? 2000));
const warmup = 200;
const dir = await mkdtemp(join(tmpdir(), 'criod-rpc-bench-'));

function summary(name, samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { name, calls: samples.length, median_us: Math.round(at(0.5) * 1000), p90_us: Math.round(at(0.9) * 1000), p99_us: Math.round(at(0.99) * 1000) };
}

/** Interleaved, so that load from elsewhere on the machine hits every way alike. */
async function measure(ways) {
  const samples = ways.map(() => []);
  for (let i = 0; i < warmup + calls; i++) {
    for (const [w, call] of ways.entries()) {
      const t = performance.now();
      await call();
      if (i >= warmup) samples[w].push(performance.now() - t);
    }
  }
  return samples;
}

const versionFrame = (() => {
  const message = Buffer.from(cri.VersionRequest.encode({ version: '0.1.0' }).finish());
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  return frame;
})();

function rawVersion(session, authority) {
  return new Promise((resolve, reject) => {
    const req = session.request({
      ':method': 'POST',
      ':path': '/runtime.v1.RuntimeService/Version',
      ':authority': authority,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    req.on('trailers', (t) => (t['grpc-status'] === '0' ? undefined : reject(new Error(`grpc-status ${t['grpc-status']}`))));
    req.on('end', resolve);
    req.on('error', reject);
    req.resume();
    req.end(versionFrame);
  });
}

/** Microseconds of filter CPU per HEADERS frame of a grpc-go request. */
function filterCpuPerRequest(n) {
  const fields = [
    [':method', 'POST'],
    [':scheme', 'http'],
    [':path', '/runtime.v1.RuntimeService/ListContainers'],
    [':authority', '/run/criod/criod.sock'],
    ['content-type', 'application/grpc'],
    ['user-agent', 'grpc-go/1.50.1'],
    ['te', 'trailers'],
    ['grpc-timeout', '1999963u'],
  ].map(([name, value]) => ({ name, value, sensitive: false }));
  const block = encodeHeaderBlock(fields);
  const frame = Buffer.alloc(9 + block.length);
  frame.writeUIntBE(block.length, 0, 3);
  frame[3] = 0x1;
  frame[4] = 0x5;
  block.copy(frame, 9);
  const filter = new AuthorityFilter();
  filter.push(CLIENT_PREFACE);
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    frame.writeUInt32BE(2 * i + 1, 5);
    filter.push(frame);
  }
  return ((performance.now() - t) * 1000) / n;
}

const core = new CriService(fakePluginSet(), silentLogger, { runtimeVersion: 'bench', runroot: dir });
const server = createCriServer({ core, logger: silentLogger });
const floorSocket = join(dir, 'floor.sock');
const filteredSocket = join(dir, 'filtered.sock');
await new Promise((resolve, reject) => server.bindAsync(`unix://${floorSocket}`, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
const listener = await serveUnix(server, filteredSocket, silentLogger);

const floorClient = connectCri(floorSocket);
const filteredClient = connectCri(filteredSocket);
const session = h2connect('http://localhost', { createConnection: () => netConnect(filteredSocket) });
try {
  const ways = {
    'floor: grpc-js bound directly': () => floorClient.runtime.version({ version: '0.1.0' }),
    'serveUnix, native: grpc-js client': () => filteredClient.runtime.version({ version: '0.1.0' }),
    'serveUnix, filtered: socket path as :authority': () => rawVersion(session, filteredSocket),
  };
  const samples = await measure(Object.values(ways));
  const rows = Object.keys(ways).map((name, i) => summary(name, samples[i]));
  const floor = rows[0].median_us;
  console.log(`Version round trip, ${calls} calls each, one at a time`);
  console.table(rows.map((r) => ({ ...r, 'x floor': (r.median_us / floor).toFixed(2) })));
  console.log(`filter CPU per request header block: ${filterCpuPerRequest(50_000).toFixed(1)} µs`);
} finally {
  session.close();
  floorClient.close();
  filteredClient.close();
  await listener.close(1000);
  await rm(dir, { recursive: true, force: true });
}
