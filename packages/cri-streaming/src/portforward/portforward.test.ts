import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStreamingServer, type StreamingServer } from '../server.js';
import { HostProcessBackend } from '../testing/host-backend.js';
import { childrenMatching, isRunning } from '../testing/processes.js';
import { SpdyPortForwardClient } from '../testing/spdy-clients.js';
import { WebSocketPortForwardClient } from '../testing/ws-clients.js';
import { netnsPortForwarder } from './netns.js';

const run = promisify(execFile);

/** A pod stand-in: its own network namespace with busybox httpd on its loopback only. */
let netns: string;
let webRoot: string;
const servers: ChildProcess[] = [];
let backend: HostProcessBackend;
let server: StreamingServer;
const clients: Array<{ close(): void }> = [];
const bigFile = randomBytes(4 * 1024 * 1024);

async function startHttpd(port: number, root: string): Promise<void> {
  const httpd = spawn('nsenter', [`--net=/var/run/netns/${netns}`, '/bin/busybox', 'httpd', '-f', '-p', `127.0.0.1:${port}`, '-h', root], {
    stdio: 'ignore',
  });
  servers.push(httpd);
  // Ready when it accepts connections inside the namespace (nc with stdin at EOF exits at once).
  for (let i = 0; i < 100; i++) {
    const probe = spawn('nsenter', [`--net=/var/run/netns/${netns}`, '/bin/busybox', 'nc', '127.0.0.1', String(port)], { stdio: 'ignore' });
    const [code] = (await once(probe, 'exit')) as [number | null];
    if (code === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`httpd on ${port} did not come up in ${netns}`);
}

beforeEach(async () => {
  netns = `criod-pf-${randomBytes(4).toString('hex')}`;
  await run('ip', ['netns', 'add', netns]);
  await run('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
  webRoot = await mkdtemp(path.join(tmpdir(), 'criod-pf-'));
  await writeFile(path.join(webRoot, 'index.html'), 'hello from the pod\n');
  await writeFile(path.join(webRoot, 'big.bin'), bigFile);
  const otherRoot = path.join(webRoot, 'other');
  await run('mkdir', [otherRoot]);
  await writeFile(path.join(otherRoot, 'index.html'), 'second port\n');
  await startHttpd(8080, webRoot);
  await startHttpd(8081, otherRoot);
  backend = new HostProcessBackend({
    portForward: netnsPortForwarder(async (podId) => {
      if (podId === 'hostpod') return undefined;
      if (podId !== 'pod1') throw new Error(`pod ${podId} has no network namespace`);
      return `/var/run/netns/${netns}`;
    }).portForward,
  });
  server = await createStreamingServer({ backend, streamCreationTimeoutMs: 2000 });
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await server?.close();
  await backend?.close();
  for (const httpd of servers.splice(0)) {
    if (httpd.exitCode === null && httpd.signalCode === null) {
      const exited = new Promise((resolve) => httpd.once('exit', resolve));
      httpd.kill('SIGKILL');
      await exited;
    }
  }
  await run('ip', ['netns', 'del', netns]).catch(() => undefined);
  await rm(webRoot, { recursive: true, force: true });
});

function track<T extends { close(): void }>(client: T): T {
  clients.push(client);
  return client;
}

const get = (file: string) => `GET /${file} HTTP/1.0\r\nHost: pod\r\n\r\n`;
const body = (response: Buffer) => response.subarray(response.indexOf('\r\n\r\n') + 4);
const pfUrl = (ports: number[] = []) => server.portForward({ podSandboxId: 'pod1', ports });

describe('port-forward over SPDY into a pod network namespace', () => {
  it('reaches a server listening only on the pod loopback', async () => {
    const client = track(await SpdyPortForwardClient.connect(pfUrl()));
    const { data, error } = await client.request(8080, get('index.html'));
    expect(data.toString()).toMatch(/^HTTP\/1\.[01] 200 OK/);
    expect(body(data).toString()).toBe('hello from the pod\n');
    expect(error).toBe('');
  });

  it('carries several connections to several ports at once on one session', async () => {
    const client = track(await SpdyPortForwardClient.connect(pfUrl()));
    const requests = Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? 8080 : 8081));
    const answers = await Promise.all(requests.map((port) => client.request(port, get('index.html'))));
    answers.forEach(({ data }, i) => {
      expect(body(data).toString()).toBe(requests[i] === 8080 ? 'hello from the pod\n' : 'second port\n');
    });
  });

  it('moves a 4 MiB file intact', async () => {
    const client = track(await SpdyPortForwardClient.connect(pfUrl()));
    const { data } = await client.request(8080, get('big.bin'), 30_000);
    expect(body(data).equals(bigFile)).toBe(true);
  });

  it('reports a port nobody listens on through the error stream', async () => {
    const client = track(await SpdyPortForwardClient.connect(pfUrl()));
    const { data, error } = await client.request(9, 'hello');
    expect(data.length).toBe(0);
    expect(error).toMatch(/^error forwarding port 9 to pod pod1: .*(refused|failed)/);
  });

  it('reports a pod without network namespace through the error stream', async () => {
    const client = track(await SpdyPortForwardClient.connect(server.portForward({ podSandboxId: 'pod2', ports: [] })));
    const { error } = await client.request(8080, get('index.html'));
    expect(error).toBe('error forwarding port 8080 to pod pod2: pod pod2 has no network namespace');
  });

  it('connects from the host itself for a pod in the host network namespace', async () => {
    // The host-network pod's server: a listener of the test's own on a free loopback port.
    const listener = createServer({ allowHalfOpen: true }, (socket) => {
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('end', () => socket.end(`host got ${Buffer.concat(chunks).toString()}`));
    });
    listener.listen(0, '127.0.0.1');
    await once(listener, 'listening');
    const { port } = listener.address() as AddressInfo;
    const client = track(await SpdyPortForwardClient.connect(server.portForward({ podSandboxId: 'hostpod', ports: [] })));
    try {
      const { data, error } = await client.request(port, 'ping');
      expect({ data: data.toString(), error }).toEqual({ data: 'host got ping', error: '' });
    } finally {
      await new Promise((resolve) => listener.close(resolve));
    }
    expect((await client.request(port, 'ping')).error).toMatch(new RegExp(`^error forwarding port ${port} to pod hostpod: .*ECONNREFUSED`));
  });

  it('ends the relay processes and the session when the client disconnects mid-stream', async () => {
    const client = track(await SpdyPortForwardClient.connect(pfUrl()));
    // Open connections and send half a request: httpd waits for the rest, the relays stay up.
    const open = await Promise.all([client.open(8080), client.open(8081)]);
    for (const connection of open) connection.data.write('GET / HTTP/1.0\r\n');
    // nsenter execs busybox: the relays are our children running `busybox nc 127.0.0.1 <port>`.
    await expect.poll(() => childrenMatching('busybox', 'nc', '127.0.0.1').then((p) => p.length), { timeout: 5000 }).toBe(2);
    const relays = await childrenMatching('busybox', 'nc', '127.0.0.1');
    client.close();
    for (const pid of relays) await expect.poll(() => isRunning(pid), { timeout: 5000 }).toBe(false);
    await expect.poll(() => server.activeSessions).toBe(0);
  });

  it('refuses a stream without a valid port header', async () => {
    const client = track(await SpdyPortForwardClient.connect(pfUrl()));
    const stream = client.session.openStream({ streamType: 'data', port: '0', requestID: '9' });
    await expect(stream.response).rejects.toThrow(/reset/);
  });
});

describe('port-forward over WebSocket', () => {
  it('v4 channels: each channel opens with the port, then carries the connection', async () => {
    const client = track(await WebSocketPortForwardClient.connect(pfUrl(), [8080, 8081]));
    client.send(0, get('index.html'));
    client.send(1, get('index.html'));
    await client.closed;
    const prefix = (port: number) => Buffer.from([port & 0xff, port >> 8]);
    expect(client.data(0).buffer.subarray(0, 2)).toEqual(prefix(8080));
    expect(client.errors(0).buffer).toEqual(prefix(8080));
    expect(client.data(1).buffer.subarray(0, 2)).toEqual(prefix(8081));
    expect(body(client.data(0).buffer.subarray(2)).toString()).toBe('hello from the pod\n');
    expect(body(client.data(1).buffer.subarray(2)).toString()).toBe('second port\n');
  });

  it('takes the ports of the CRI request when the query names none', async () => {
    const client = track(await WebSocketPortForwardClient.connect(pfUrl([8081]), []));
    client.send(0, get('index.html'));
    await client.closed;
    expect(body(client.data(0).buffer.subarray(2)).toString()).toBe('second port\n');
  });

  it('tunnels SPDY port-forward through WebSocket (SPDY/3.1+portforward.k8s.io)', async () => {
    const client = track(await SpdyPortForwardClient.connect(pfUrl(), 'websocket-tunnel'));
    const answers = await Promise.all([client.request(8080, get('index.html')), client.request(8080, get('big.bin'), 30_000)]);
    expect(body(answers[0].data).toString()).toBe('hello from the pod\n');
    expect(body(answers[1].data).equals(bigFile)).toBe(true);
  });
});
