import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { cri } from '@criod/cri-grpc';
import { RemoteCommandProtocol } from '@criod/cri-streaming';
import { SpdyPortForwardClient, SpdyRemoteCommandClient, WebSocketRemoteCommandClient, childrenMatching } from '@criod/cri-streaming/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { waitFor, type CriodInstance } from './harness.js';
import { startTestImages, type TestImages } from './images.js';
import { startPodFixture, type PodFixture } from './pod-fixture.js';

let images: TestImages;
let fx: PodFixture;
let criod: CriodInstance;
let podSandboxId: string;
let run: PodFixture['run'];

beforeAll(async () => {
  images = await startTestImages();
});

afterAll(async () => {
  await images?.stop();
});

beforeEach(async () => {
  fx = await startPodFixture(images);
  ({ criod, podSandboxId, run } = fx);
});

afterEach(async () => {
  await fx?.cleanup();
});

describe('streaming through criod', () => {
  it('execs over SPDY with output and a non-zero exit code', async () => {
    const containerId = await run(['sleep', '3600']);
    const { url } = await criod.client.runtime.exec({
      containerId,
      cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'],
      tty: false,
      stdin: false,
      stdout: true,
      stderr: true,
      auditRequestId: '',
    });
    const session = await SpdyRemoteCommandClient.connect(url, { stdout: true, stderr: true });
    const result = await session.result();
    expect(session.stdout.text).toBe('out\n');
    expect(session.stderr.text).toBe('err\n');
    expect(result.exitCode).toBe(3);
  });

  it('execs with a tty over WebSocket: stdin echo and resize seen by stty', async () => {
    const containerId = await run(['sleep', '3600']);
    const { url } = await criod.client.runtime.exec({ containerId, cmd: ['sh'], tty: true, stdin: true, stdout: true, stderr: false, auditRequestId: '' });
    const session = await WebSocketRemoteCommandClient.connect(url, [RemoteCommandProtocol.V5]);
    session.resize(100, 40);
    session.write('echo marker-$((6*7))\n');
    await session.stdout.waitFor('marker-42', 10_000);
    // The resize travels apart from stdin (conmon's control FIFO), so a shell may read a
    // command before the new size lands: ask until it shows.
    await waitFor(
      'the resize to reach the tty',
      async () => {
        session.write('stty size\n');
        await new Promise((r) => setTimeout(r, 200));
        return session.stdout.text.includes('40 100');
      },
      10_000,
    );
    session.write('exit 0\n');
    expect((await session.result()).exitCode).toBe(0);
  });

  it('attaches to a container that echoes its stdin', async () => {
    const containerId = await run(['sh', '-c', 'while read line; do echo "got:$line"; done'], { stdin: true, stdinOnce: false });
    const { url } = await criod.client.runtime.attach({ containerId, tty: false, stdin: true, stdout: true, stderr: true, auditRequestId: '' });
    const session = await SpdyRemoteCommandClient.connect(url, { stdin: true, stdout: true, stderr: true });
    session.write('hello\n');
    await session.stdout.waitFor('got:hello', 10_000);
    session.destroy();
    // Detaching leaves the container running.
    const st = await criod.client.runtime.containerStatus({ containerId, verbose: false });
    expect(st.status?.state).toBe(cri.ContainerState.CONTAINER_RUNNING);
  });

  it('forwards several parallel connections to an httpd in the pod', async () => {
    await run(['sh', '-c', 'mkdir -p /www && echo served-by-pod > /www/index.html && httpd -f -p 127.0.0.1:8080 -h /www']);
    const { url } = await criod.client.runtime.portForward({ podSandboxId, port: [8080] });
    const client = await SpdyPortForwardClient.connect(url);
    try {
      await waitFor('httpd to listen', async () => !(await client.request(8080, 'GET / HTTP/1.0\r\n\r\n')).error, 10_000);
      const answers = await Promise.all(Array.from({ length: 8 }, () => client.request(8080, 'GET /index.html HTTP/1.0\r\n\r\n')));
      for (const a of answers) {
        expect(a.error).toBe('');
        expect(a.data.toString()).toContain('served-by-pod');
      }
    } finally {
      client.close();
    }
    // The relays are criod's children (nsenter execs busybox nc).
    await waitFor('the nc relays to end', async () => (await childrenMatching(criod.pid()!, 'nc', '127.0.0.1', '8080')).length === 0, 10_000);
  });

  it('forwards a host-network pod to the host loopback (critest "portforward in host network")', async () => {
    const config = fx.podConfig();
    config.linux!.securityContext!.namespaceOptions!.network = cri.NamespaceMode.NODE;
    const { podSandboxId: hostPod } = await criod.client.runtime.runPodSandbox({ config, runtimeHandler: '' });
    // The pod shares the host's ports: a listener of the test's own on a free loopback port stands in for its server.
    const listener = createServer({ allowHalfOpen: true }, (socket) => {
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('end', () => socket.end(`host got ${Buffer.concat(chunks).toString()}`));
    });
    listener.listen(0, '127.0.0.1');
    try {
      await once(listener, 'listening');
      const { port } = listener.address() as AddressInfo;
      const { url } = await criod.client.runtime.portForward({ podSandboxId: hostPod, port: [port] });
      const client = await SpdyPortForwardClient.connect(url);
      try {
        const { data, error } = await client.request(port, 'ping');
        expect({ data: data.toString(), error }).toEqual({ data: 'host got ping', error: '' });
      } finally {
        client.close();
      }
    } finally {
      await new Promise((resolve) => listener.close(resolve));
    }
  });

  it('leaves no exec process behind when the client disconnects mid-stream', async () => {
    const containerId = await run(['sleep', '3600']);
    const seconds = String(600 + Math.floor(Math.random() * 1000));
    const marker = `sleep ${seconds}`;
    const { url } = await criod.client.runtime.exec({
      containerId,
      cmd: ['sleep', seconds],
      tty: false,
      stdin: false,
      stdout: true,
      stderr: true,
      auditRequestId: '',
    });
    const session = await SpdyRemoteCommandClient.connect(url, { stdout: true, stderr: true });
    await waitFor('the exec to start', async () =>
      (await criod.client.runtime.execSync({ containerId, cmd: ['ps', '-o', 'args'], timeout: 5n })).stdout.toString().includes(marker),
    );
    session.destroy();
    await waitFor(
      'the exec to be killed',
      async () => !(await criod.client.runtime.execSync({ containerId, cmd: ['ps', '-o', 'args'], timeout: 5n })).stdout.toString().includes(marker),
      10_000,
    );
  });

  it('refuses a used URL and exec into a container that does not run', async () => {
    const containerId = await run(['sleep', '3600']);
    const { url } = await criod.client.runtime.exec({ containerId, cmd: ['true'], tty: false, stdin: false, stdout: true, stderr: false, auditRequestId: '' });
    const first = await SpdyRemoteCommandClient.connect(url, { stdout: true });
    expect((await first.result()).exitCode).toBe(0);
    const again = await fetch(url, { method: 'POST' });
    expect(again.status).toBe(404);
    await criod.client.runtime.stopContainer({ containerId, timeout: 0n });
    await expect(
      criod.client.runtime.exec({ containerId, cmd: ['true'], tty: false, stdin: false, stdout: true, stderr: false, auditRequestId: '' }),
    ).rejects.toMatchObject({
      code: GrpcStatus.FAILED_PRECONDITION,
    });
  });
});
