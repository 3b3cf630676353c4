import { existsSync } from 'node:fs';
import { connect as h2connect, type ClientHttp2Session } from 'node:http2';
import { connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CriService, NotFoundError, silentLogger } from '@criod/core';
import { testContainerConfig, testImage, testPodConfig, type FakePluginSet } from '@criod/core/testing';
import { type CriClient } from './client.js';
import {
  CgroupDriver,
  ContainerEventType,
  ContainerState,
  ListPodSandboxResponse,
  PodSandboxState,
  RunPodSandboxRequest,
  VersionRequest,
  VersionResponse,
} from './gen/runtime/v1/api.js';
import { serveUnix, type CriListener } from './h2/listener.js';
import { createCriServer } from './server.js';
import { startTestServer, type TestServer } from './__tests__/test-server.js';

let server: TestServer;
let dir: string;
let listener: CriListener;
let client: CriClient;
let plugins: FakePluginSet;
let core: CriService;

beforeAll(async () => {
  server = await startTestServer('server');
  ({ dir, listener, client, plugins, core } = server);
});

afterAll(() => server.close());

describe('CRI gRPC server', () => {
  it('answers Version as criod speaking v1', async () => {
    expect(await client.runtime.version({ version: '0.1.0' })).toEqual({
      version: '0.1.0',
      runtimeName: 'criod',
      runtimeVersion: '0.1.0-test',
      runtimeApiVersion: 'v1',
    });
  });

  it('answers Status with both conditions and the handlers', async () => {
    plugins.network.readiness = { ready: false, reason: 'NetworkPluginNotReady', message: 'no config' };
    const st = await client.runtime.status({ verbose: true });
    plugins.network.readiness = { ready: true, reason: '', message: '' };
    expect(st.status?.conditions).toEqual([
      { type: 'RuntimeReady', status: true, reason: '', message: '' },
      { type: 'NetworkReady', status: false, reason: 'NetworkPluginNotReady', message: 'no config' },
    ]);
    expect(st.runtimeHandlers.map((h) => h.name)).toEqual(['', 'runc']);
    expect(Object.keys(st.info)).toContain('plugins');
  });

  it('answers RuntimeConfig with the cgroup driver', async () => {
    expect((await client.runtime.runtimeConfig({})).linux?.cgroupDriver).toBe(CgroupDriver.CGROUPFS);
  });

  it('answers UNIMPLEMENTED naming an RPC it does not serve (Exec without a streaming server)', async () => {
    await expect(
      client.runtime.exec({ containerId: 'x', cmd: ['sh'], tty: false, stdin: false, stdout: true, stderr: false, auditRequestId: '' }),
    ).rejects.toMatchObject({
      code: GrpcStatus.UNIMPLEMENTED,
      details: 'Exec is not implemented by criod yet',
    });
  });

  it('checkpoints a running container into the archive asked for, and maps its refusals', async () => {
    plugins.images.images.set(testImage().id, testImage());
    const podSandboxId = await core.runPodSandbox(testPodConfig('checkpointed', { logDirectory: join(dir, 'logs') }), '');
    const containerId = await core.createContainer(podSandboxId, testContainerConfig('counter'));
    await core.startContainer(containerId);
    const location = join(dir, 'counter.tar');
    expect(await client.runtime.checkpointContainer({ containerId, location, timeout: 30n })).toEqual({});
    expect(existsSync(location)).toBe(true);
    await expect(client.runtime.checkpointContainer({ containerId: '', location, timeout: 0n })).rejects.toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT });
    await expect(client.runtime.checkpointContainer({ containerId, location: 'relative.tar', timeout: 0n })).rejects.toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
    });
    await expect(client.runtime.checkpointContainer({ containerId: 'f00dfeed', location, timeout: 0n })).rejects.toMatchObject({ code: GrpcStatus.NOT_FOUND });
    plugins.runtime.checkpoint = { available: false, reason: 'criu check failed: Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds' };
    try {
      await expect(client.runtime.checkpointContainer({ containerId, location, timeout: 0n })).rejects.toMatchObject({
        code: GrpcStatus.FAILED_PRECONDITION,
        details: expect.stringContaining('vdso: Unexpected rt vDSO area bounds'),
      });
    } finally {
      plugins.runtime.checkpoint = { available: true, reason: '' };
      await core.removePodSandbox(podSandboxId);
    }
  });

  it('maps a typed core error to its gRPC code', async () => {
    plugins.runtime.driver = 'systemd';
    const original = plugins.runtime.cgroupDriver;
    plugins.runtime.cgroupDriver = () => {
      throw new NotFoundError('no such thing');
    };
    try {
      await expect(client.runtime.runtimeConfig({})).rejects.toMatchObject({ code: GrpcStatus.NOT_FOUND, details: 'no such thing' });
    } finally {
      plugins.runtime.cgroupDriver = original;
    }
  });

  it('turns an untyped throw into INTERNAL and keeps serving', async () => {
    const original = plugins.runtime.handlers;
    plugins.runtime.handlers = () => {
      throw new TypeError('boom');
    };
    try {
      await expect(client.runtime.status({ verbose: false })).rejects.toMatchObject({ code: GrpcStatus.INTERNAL, details: 'boom' });
    } finally {
      plugins.runtime.handlers = original;
    }
    expect((await client.runtime.version({ version: '0.1.0' })).runtimeName).toBe('criod');
  });

  it('lists pods and containers as they are now, after answering the same list before', async () => {
    plugins.images.images.set(testImage().id, testImage());
    const podId = await core.runPodSandbox(testPodConfig('lists', { labels: { app: 'lists' }, annotations: { note: 'kept' } }), '');
    const id = await core.createContainer(podId, testContainerConfig('app'));
    const pod = async () => (await client.runtime.listPodSandbox({ filter: undefined })).items.find((p) => p.id === podId);
    const container = async () => (await client.runtime.listContainers({ filter: undefined })).containers.find((c) => c.id === id);
    try {
      expect(await pod()).toMatchObject({ state: PodSandboxState.SANDBOX_READY, labels: { app: 'lists' }, annotations: { note: 'kept' } });
      expect(await container()).toMatchObject({ state: ContainerState.CONTAINER_CREATED, podSandboxId: podId, metadata: { name: 'app', attempt: 0 } });
      await core.startContainer(id);
      expect((await container())?.state).toBe(ContainerState.CONTAINER_RUNNING);
      await core.stopPodSandbox(podId);
      expect(await pod()).toMatchObject({ state: PodSandboxState.SANDBOX_NOTREADY, labels: { app: 'lists' }, annotations: { note: 'kept' } });
      expect((await container())?.state).toBe(ContainerState.CONTAINER_EXITED);
      // The same answer as the message encoded whole.
      const listed = await client.runtime.listPodSandbox({ filter: undefined });
      expect(ListPodSandboxResponse.decode(ListPodSandboxResponse.encode(listed).finish())).toEqual(listed);
      expect(listed.items.map((p) => p.id)).toEqual(core.listPodSandbox().map((p) => p.id));
    } finally {
      await core.removePodSandbox(podId);
    }
    expect(await pod()).toBeUndefined();
  });

  it('streams container events with the pod and container statuses', async () => {
    plugins.images.images.set(testImage().id, testImage());
    const stream = client.raw.runtime.getContainerEvents({});
    const events: { type: number; id: string; pod?: string; containers: number }[] = [];
    stream.on('data', (e: { containerEventType: number; containerId: string; podSandboxStatus?: { id: string }; containersStatuses: unknown[] }) =>
      events.push({ type: e.containerEventType, id: e.containerId, pod: e.podSandboxStatus?.id, containers: e.containersStatuses.length }),
    );
    stream.on('error', () => undefined);
    await new Promise((r) => setTimeout(r, 50));
    const podId = await core.runPodSandbox(testPodConfig('events'), '');
    const id = await core.createContainer(podId, testContainerConfig('app'));
    await core.startContainer(id);
    await new Promise((r) => setTimeout(r, 100));
    stream.cancel();
    expect(events).toEqual([
      { type: ContainerEventType.CONTAINER_CREATED_EVENT, id, pod: podId, containers: 1 },
      { type: ContainerEventType.CONTAINER_STARTED_EVENT, id, pod: podId, containers: 1 },
    ]);
    await core.removePodSandbox(podId);
  });
});

/** A client connection that writes nothing until the server has sent something. */
class SilentUntilServerSpeaks extends Duplex {
  private held: { chunk: Buffer; callback: (error?: Error | null) => void }[] | undefined = [];

  constructor(private readonly socket: Socket) {
    super();
    socket.on('data', (chunk: Buffer) => {
      const held = this.held;
      this.held = undefined;
      for (const { chunk, callback } of held ?? []) socket.write(chunk, callback);
      this.push(chunk);
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.held) this.held.push({ chunk, callback });
    else this.socket.write(chunk, callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }
}

/** A raw HTTP/2 client on the socket, as grpc-go dials it: the authority is whatever we say. */
function rawSession(): ClientHttp2Session {
  const session = h2connect('http://localhost', { createConnection: () => netConnect(join(dir, 'cri.sock')) });
  session.on('error', () => undefined);
  return session;
}

/** One gRPC call with raw message bytes and a chosen :authority; resolves to the grpc-status and the body. */
function rawCall(
  session: ClientHttp2Session,
  path: string,
  message: Uint8Array,
  authority?: string,
): Promise<{ grpcStatus: string | undefined; grpcMessage: string | undefined; body: Buffer }> {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  const headers: Record<string, string> = { ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' };
  if (authority !== undefined) headers[':authority'] = authority;
  return new Promise((resolve, reject) => {
    const req = session.request(headers);
    const chunks: Buffer[] = [];
    let status: { grpcStatus: string | undefined; grpcMessage: string | undefined } = { grpcStatus: undefined, grpcMessage: undefined };
    const onStatus = (h: Record<string, unknown>) => {
      if (h['grpc-status'] !== undefined) status = { grpcStatus: String(h['grpc-status']), grpcMessage: decodeURIComponent(String(h['grpc-message'] ?? '')) };
    };
    // A status without a body comes in the response headers (trailers-only), else in the trailers.
    req.on('response', onStatus);
    req.on('trailers', onStatus);
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve({ ...status, body: Buffer.concat(chunks) }));
    req.on('error', reject);
    req.end(frame);
  });
}

const versionCall = (session: ClientHttp2Session, authority: string | undefined) =>
  rawCall(session, '/runtime.v1.RuntimeService/Version', VersionRequest.encode({ version: '0.1.0' }).finish(), authority);

describe('CRI socket and the HTTP/2 :authority of real clients', () => {
  it('serves grpc-go clients that send the socket path, an empty or any other authority', async () => {
    const session = rawSession();
    try {
      // Several calls on one connection: the client's HPACK table refers back to earlier blocks.
      for (const authority of ['/run/criod/criod.sock', '/run/criod/criod.sock', '', 'localhost', 'has space', join(dir, 'cri.sock')]) {
        const { grpcStatus, body } = await versionCall(session, authority);
        expect(grpcStatus, `authority ${JSON.stringify(authority)}`).toBe('0');
        expect(VersionResponse.decode(body.subarray(5)).runtimeName).toBe('criod');
      }
    } finally {
      session.close();
    }
  });

  it('serves clients that send nothing before the server has spoken, filtering only those whose authority needs it', async () => {
    const filtered: unknown[] = [];
    const logger = { ...silentLogger, debug: (fields: unknown, msg?: string) => void (msg?.includes(':authority filter') && filtered.push(fields)) };
    const socket = join(dir, 'quiet.sock');
    const quiet = await serveUnix(createCriServer({ core, logger: silentLogger }), socket, logger);
    try {
      for (const authority of ['localhost', '/run/criod/criod.sock']) {
        // As grpc-go: the first request waits for the server preface.
        const session = h2connect('http://localhost', { createConnection: () => new SilentUntilServerSpeaks(netConnect(socket)) });
        session.on('error', () => undefined);
        try {
          for (let i = 0; i < 3; i++) {
            const { grpcStatus, body } = await versionCall(session, authority);
            expect(grpcStatus, `authority ${authority}`).toBe('0');
            expect(VersionResponse.decode(body.subarray(5)).runtimeName).toBe('criod');
          }
        } finally {
          session.close();
        }
        // localhost went to HTTP/2 unfiltered (no wait for the filter's fallback); the socket path was rewritten.
        expect(filtered).toEqual(authority === 'localhost' ? [] : [{ firstRequest: 'needs-filter' }]);
      }
    } finally {
      await quiet.close(1000);
    }
  });

  it('serves a connection that waits before its first request', async () => {
    const session = rawSession();
    try {
      // Longer than the listener waits for a first request before it filters the connection anyway.
      await new Promise((r) => setTimeout(r, 1200));
      for (const authority of ['localhost', '/run/criod/criod.sock']) expect((await versionCall(session, authority)).grpcStatus).toBe('0');
    } finally {
      session.close();
    }
  });

  it('closes only the connection that sends malformed HTTP/2, then keeps serving', async () => {
    const closed = await new Promise<boolean>((resolve) => {
      const socket = netConnect(join(dir, 'cri.sock'));
      socket.on('connect', () => socket.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x01\x01\x04\x00\x00\x00\x01\x80'));
      socket.on('close', () => resolve(true));
      socket.on('error', () => undefined);
      socket.resume();
    });
    expect(closed).toBe(true);
    expect((await client.runtime.version({ version: '0.1.0' })).runtimeName).toBe('criod');
  });
});

describe('connections the server ends with a protocol error', () => {
  it('are closed, descriptor and all, once their clients hang up', async () => {
    const before = listener.connectionCount();
    const sockets = await Promise.all(
      Array.from(
        { length: 20 },
        () =>
          new Promise<Socket>((resolve) => {
            const socket = netConnect(join(dir, 'cri.sock'));
            socket.on('error', () => undefined);
            socket.resume();
            // A valid preface, then DATA on stream 0: HTTP/2 answers that with GOAWAY PROTOCOL_ERROR.
            socket.on('connect', () => {
              socket.write(
                Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0])]),
              );
              resolve(socket);
            });
          }),
      ),
    );
    await new Promise((r) => setTimeout(r, 200));
    for (const socket of sockets) socket.end();
    const deadline = Date.now() + 5000;
    while (listener.connectionCount() > before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(listener.connectionCount()).toBe(before);
    expect((await client.runtime.version({ version: '0.1.0' })).runtimeName).toBe('criod');
  });
});

describe('requests that do not decode, and streaming RPCs criod does not serve', () => {
  it('answers INVALID_ARGUMENT, not INTERNAL, to bytes that are not the request message', async () => {
    const session = rawSession();
    try {
      // A length-delimited field cut short, and a wire type that does not exist.
      for (const bytes of [Buffer.from([0x0a, 0x10, 0x41]), Buffer.from([0x0f, 0x01])]) {
        const res = await rawCall(session, '/runtime.v1.RuntimeService/Version', bytes);
        expect(res.grpcStatus).toBe(String(GrpcStatus.INVALID_ARGUMENT));
        expect(res.grpcMessage).toMatch(/^Version: the request is not a valid VersionRequest message/);
      }
      const stream = await rawCall(session, '/runtime.v1.RuntimeService/GetContainerEvents', Buffer.from([0x0a, 0x10]));
      expect(stream.grpcStatus).toBe(String(GrpcStatus.INVALID_ARGUMENT));
    } finally {
      session.close();
    }
    expect((await client.runtime.version({ version: '0.1.0' })).runtimeName).toBe('criod');
  });

  it('refuses over-long ids and huge maps by field name and size, without echoing them', async () => {
    const huge = 'x'.repeat(1024 * 1024);
    const err = await client.runtime.containerStatus({ containerId: huge, verbose: false }).catch((e: Error & { code: number; details: string }) => e);
    expect(err).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, details: 'ContainerStatus: containerId is 1048576 characters long; at most 128' });
    const selector = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, 'v']));
    await expect(client.runtime.listPodSandbox({ filter: { id: '', state: undefined, labelSelector: selector } })).rejects.toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
      details: 'ListPodSandbox: filter.labelSelector has 100000 entries; at most 1024',
    });
    await expect(
      client.runtime.runPodSandbox(
        RunPodSandboxRequest.fromPartial({ config: { metadata: { name: 'n'.repeat(300), namespace: 'ns', uid: 'u', attempt: 0 } } }),
      ),
    ).rejects.toMatchObject({
      details: 'RunPodSandbox: config.metadata.name is 300 characters long; at most 253',
    });
  });
});
