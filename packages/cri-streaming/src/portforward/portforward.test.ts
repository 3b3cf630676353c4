import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStreamingServer, type StreamingServer } from '../server.js';
import { HostProcessBackend } from '../testing/host-backend.js';
import { loopbackPortForward } from '../testing/loopback-forward.js';
import { SpdyPortForwardClient } from '../testing/spdy-clients.js';
import { WebSocketPortForwardClient } from '../testing/ws-clients.js';

/**
 * A pod stand-in: its ports 8080 and 8081 are HTTP servers on the host's loopback (ephemeral
 * ports), reached through the loopback test backend; port 9 is one nobody listens on.
 */
const bigFile = randomBytes(4 * 1024 * 1024);
const http: Server[] = [];
/** Open server-side connections, to see that a disconnect closes them. */
const openSockets = new Set<Socket>();
let podPorts: Map<number, number>;
let backend: HostProcessBackend;
let server: StreamingServer;
const clients: Array<{ close(): void }> = [];

async function httpServer(files: Record<string, Buffer | string>): Promise<number> {
  const s = createServer((req, res) => {
    const file = files[req.url?.slice(1) || 'index.html'];
    if (file === undefined) res.writeHead(404).end();
    else res.writeHead(200, { 'content-length': Buffer.byteLength(file) }).end(file);
  });
  s.on('connection', (socket: Socket) => {
    openSockets.add(socket);
    socket.on('close', () => openSockets.delete(socket));
  });
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  http.push(s);
  return (s.address() as AddressInfo).port;
}

/** A loopback port nobody listens on (one the kernel just gave and took back). */
async function unusedPort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

beforeEach(async () => {
  podPorts = new Map([
    [8080, await httpServer({ 'index.html': 'hello from the pod\n', 'big.bin': bigFile })],
    [8081, await httpServer({ 'index.html': 'second port\n' })],
    [9, await unusedPort()],
  ]);
  backend = new HostProcessBackend({
    portForward: loopbackPortForward((podId, port) => {
      if (podId !== 'pod1') throw new Error(`pod ${podId} has no network namespace`);
      const hostPort = podPorts.get(port);
      if (hostPort === undefined) throw new Error(`the test pod has no port ${port}`);
      return hostPort;
    }),
  });
  server = await createStreamingServer({ backend, streamCreationTimeoutMs: 2000 });
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await server?.close();
  await backend?.close();
  for (const s of http.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

function track<T extends { close(): void }>(client: T): T {
  clients.push(client);
  return client;
}

const get = (file: string) => `GET /${file} HTTP/1.0\r\nHost: pod\r\n\r\n`;
const body = (response: Buffer) => response.subarray(response.indexOf('\r\n\r\n') + 4);
const pfUrl = (ports: number[] = []) => server.portForward({ podSandboxId: 'pod1', ports });

describe('port-forward over SPDY', () => {
  it("reaches the pod's server", async () => {
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
    expect(error).toMatch(/^error forwarding port 9 to pod pod1: .*ECONNREFUSED/);
  });

  it("reports the backend's refusal (a pod without network namespace) through the error stream", async () => {
    const client = track(await SpdyPortForwardClient.connect(server.portForward({ podSandboxId: 'pod2', ports: [] })));
    const { error } = await client.request(8080, get('index.html'));
    expect(error).toBe('error forwarding port 8080 to pod pod2: pod pod2 has no network namespace');
  });

  it("closes the backend's connections and the session when the client disconnects mid-stream", async () => {
    const client = track(await SpdyPortForwardClient.connect(pfUrl()));
    // Open connections and send half a request: the server waits for the rest, the connections stay up.
    const open = await Promise.all([client.open(8080), client.open(8081)]);
    for (const connection of open) connection.data.write('GET / HTTP/1.0\r\n');
    await expect.poll(() => openSockets.size, { timeout: 5000 }).toBe(2);
    client.close();
    await expect.poll(() => openSockets.size, { timeout: 5000 }).toBe(0);
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
