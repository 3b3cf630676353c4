import http from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@criod/core';
import { RemoteCommandProtocol, Base64ChannelProtocol } from './protocols.js';
import { createStreamingServer, type StreamingServer } from './server.js';
import { StreamType } from './protocols.js';
import { HostProcessBackend } from './testing/host-backend.js';
import { isRunning, openSocketCount } from './testing/processes.js';
import { receive } from './testing/output.js';
import { SpdyRemoteCommandClient, UpgradeRefusedError, connectSpdy } from './testing/spdy-clients.js';
import { WebSocketRemoteCommandClient } from './testing/ws-clients.js';

let backend: HostProcessBackend;
let server: StreamingServer;
const clients: Array<{ destroy(): void }> = [];

beforeEach(async () => {
  backend = new HostProcessBackend({ containers: ['c1'] });
  server = await createStreamingServer({ backend, streamCreationTimeoutMs: 2000 });
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await server.close();
  await backend.close();
});

function track<T extends { destroy(): void }>(client: T): T {
  clients.push(client);
  return client;
}

const exec = (cmd: string[], streams: { stdin?: boolean; stdout?: boolean; stderr?: boolean; tty?: boolean } = {}) =>
  server.exec({ containerId: 'c1', cmd, tty: false, stdin: false, stdout: true, stderr: !streams.tty, ...streams });

const spdyExec = async (url: string, streams: Parameters<typeof exec>[1] = {}, protocols?: string[]) =>
  track(await SpdyRemoteCommandClient.connect(url, { stdout: true, stderr: !streams.tty, ...streams }, protocols));

/** The PID a command printed first (they start with `echo $$`). */
async function printedPid(output: { waitFor(p: RegExp): Promise<string> }): Promise<number> {
  return Number((await output.waitFor(/^\d+\s/)).trim().split(/\s/)[0]);
}

describe('exec over SPDY', () => {
  it('runs a command without a tty: stdout, stderr and exit code 0 (v4 Status Success)', async () => {
    const client = await spdyExec(exec(['sh', '-c', 'echo out; echo err >&2']));
    const result = await client.result();
    expect(client.protocol).toBe(RemoteCommandProtocol.V4);
    expect(result.status).toEqual({ metadata: {}, status: 'Success' });
    expect(result.exitCode).toBe(0);
    expect(client.stdout.text).toBe('out\n');
    expect(client.stderr.text).toBe('err\n');
  });

  it('reports a non-zero exit as a NonZeroExitCode Status with the code as cause', async () => {
    const client = await spdyExec(exec(['sh', '-c', 'echo partial; exit 3']));
    const result = await client.result();
    expect(result.status).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
    expect(result.exitCode).toBe(3);
    expect(client.stdout.text).toBe('partial\n');
  });

  it('speaks the older protocols, whose error stream is plain text', async () => {
    const failing = await spdyExec(exec(['sh', '-c', 'exit 4']), {}, [RemoteCommandProtocol.V2]);
    const failed = await failing.result();
    expect(failing.protocol).toBe(RemoteCommandProtocol.V2);
    expect(failed.message).toBe('command terminated with non-zero exit code: exit status 4');
    const passing = await spdyExec(exec(['true']), {}, [RemoteCommandProtocol.V1]);
    expect(await passing.result()).toMatchObject({ exitCode: 0, message: '' });
  });

  it('pipes stdin to the process and half-closes it (cat echoes, then exits)', async () => {
    const client = await spdyExec(exec(['cat'], { stdin: true }), { stdin: true });
    client.write('hello\n');
    await client.stdout.waitFor('hello\n');
    client.endStdin();
    expect((await client.result()).exitCode).toBe(0);
    expect(client.stdout.text).toBe('hello\n');
  });

  it('moves 8 MiB through cat both ways under flow control', async () => {
    const client = await spdyExec(exec(['cat'], { stdin: true }), { stdin: true });
    const chunk = Buffer.alloc(64 * 1024, 'x');
    for (let i = 0; i < 128; i++) client.write(chunk);
    client.endStdin();
    expect((await client.result(30_000)).exitCode).toBe(0);
    expect(client.stdout.length).toBe(8 * 1024 * 1024);
  });

  it('runs a command on a tty and applies resize events (stty size)', async () => {
    const client = await spdyExec(exec(['sh', '-c', 'while read line; do stty size; done'], { stdin: true, tty: true }), {
      stdin: true,
      tty: true,
    });
    client.resize(100, 40);
    // The resize lands asynchronously: ask until the shell sees it.
    for (let i = 0; i < 50 && !client.stdout.text.includes('40 100'); i++) {
      client.write('\n');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(client.stdout.text).toContain('40 100');
    client.resize(120, 30);
    for (let i = 0; i < 50 && !client.stdout.text.includes('30 120'); i++) {
      client.write('\n');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(client.stdout.text).toContain('30 120');
  });

  it('reports a failed start (unknown container) as an InternalError Status', async () => {
    const url = server.exec({ containerId: 'nope', cmd: ['true'], tty: false, stdin: false, stdout: true, stderr: false });
    const client = await spdyExec(url, { stderr: false });
    const result = await client.result();
    expect(result.status).toMatchObject({ status: 'Failure', reason: 'InternalError', code: 500 });
    expect(result.message).toContain('container nope is not known');
  });

  it('kills the process and frees the connection when the client disconnects mid-stream', async () => {
    const sockets = await openSocketCount();
    const client = await spdyExec(exec(['sh', '-c', 'echo $$; exec sleep 1000']));
    const pid = await printedPid(client.stdout);
    expect(await isRunning(pid)).toBe(true);
    client.destroy();
    await expect.poll(() => isRunning(pid), { timeout: 5000 }).toBe(false);
    await expect.poll(() => server.activeSessions).toBe(0);
    expect(backend.execPids).toEqual([]);
    await expect.poll(() => openSocketCount()).toBe(sockets);
  });

  it('leaves no process behind when a tty session is dropped', async () => {
    const client = await spdyExec(exec(['sh', '-c', 'echo $$; exec sleep 1000'], { tty: true }), { tty: true });
    const pid = await printedPid(client.stdout);
    client.destroy();
    await expect.poll(() => isRunning(pid), { timeout: 5000 }).toBe(false);
    expect(backend.execPids).toEqual([]);
  });

  it('holds a slow reader back instead of buffering: the process blocks until the client reads', async () => {
    const url = exec(['dd', 'if=/dev/zero', 'bs=65536', 'count=512', 'status=none'], { stderr: false });
    const { session } = await connectSpdy(url, [RemoteCommandProtocol.V4]);
    track(session);
    const error = session.openStream({ streamType: StreamType.Error });
    const stdout = session.openStream({ streamType: StreamType.Stdout });
    await Promise.all([error.response, stdout.response]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    // 32 MiB to write, nobody reading: dd must still be blocked, with little in flight.
    expect(backend.execPids).toHaveLength(1);
    expect(stdout.readableLength).toBeLessThanOrEqual(128 * 1024);
    const received = receive(stdout);
    const status = receive(error);
    await received.waitForEnd(30_000);
    expect(received.length).toBe(32 * 1024 * 1024);
    expect(JSON.parse((await status.waitForEnd()).toString())).toMatchObject({ status: 'Success' });
  });

  it('serves many sessions in parallel', async () => {
    const sessions = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const client = await spdyExec(exec(['sh', '-c', `sleep 0.2; echo session-${i}`]));
        return { i, client, result: await client.result() };
      }),
    );
    for (const { i, client, result } of sessions) {
      expect(result.exitCode).toBe(0);
      expect(client.stdout.text).toBe(`session-${i}\n`);
    }
  });
});

describe('exec over WebSocket', () => {
  it('v5: stdin echo through cat, stdin closed with the close signal, Success status', async () => {
    const client = track(await WebSocketRemoteCommandClient.connect(exec(['cat'], { stdin: true })));
    expect(client.protocol).toBe(RemoteCommandProtocol.V5);
    client.write('over websocket\n');
    await client.stdout.waitFor('over websocket\n');
    client.endStdin();
    const result = await client.result();
    expect(result.exitCode).toBe(0);
    expect(client.stdout.isEnded).toBe(true);
  });

  it('v4: a non-zero exit code arrives as a Status', async () => {
    const client = track(await WebSocketRemoteCommandClient.connect(exec(['sh', '-c', 'echo x >&2; exit 7']), [RemoteCommandProtocol.V4]));
    const result = await client.result();
    expect(result.exitCode).toBe(7);
    expect(client.stderr.text).toBe('x\n');
  });

  it('base64 channel protocol carries the same bytes as text frames', async () => {
    const client = track(await WebSocketRemoteCommandClient.connect(exec(['printf', '\\001\\002\\377']), [Base64ChannelProtocol.V4]));
    expect((await client.result()).exitCode).toBe(0);
    expect(client.stdout.buffer).toEqual(Buffer.from([1, 2, 255]));
  });

  it('applies resize events on a tty', async () => {
    const url = exec(['sh', '-c', 'while read line; do stty size; done'], { stdin: true, tty: true });
    const client = track(await WebSocketRemoteCommandClient.connect(url));
    client.resize(90, 33);
    for (let i = 0; i < 50 && !client.stdout.text.includes('33 90'); i++) {
      client.write('\n');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(client.stdout.text).toContain('33 90');
  });

  it('kills the process when the client disconnects', async () => {
    const client = track(await WebSocketRemoteCommandClient.connect(exec(['sh', '-c', 'echo $$; exec sleep 1000'])));
    const pid = await printedPid(client.stdout);
    client.destroy();
    await expect.poll(() => isRunning(pid), { timeout: 5000 }).toBe(false);
    await expect.poll(() => server.activeSessions).toBe(0);
  });

  it('holds a slow reader back: the process blocks while the client does not read', async () => {
    const url = exec(['dd', 'if=/dev/zero', 'bs=65536', 'count=512', 'status=none'], { stderr: false });
    const client = track(await WebSocketRemoteCommandClient.connect(url));
    client.pauseReading();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(backend.execPids).toHaveLength(1);
    client.resumeReading();
    expect((await client.result(30_000)).exitCode).toBe(0);
    expect(client.stdout.length).toBe(32 * 1024 * 1024);
  });

  it('refuses a subprotocol it does not speak', async () => {
    await expect(WebSocketRemoteCommandClient.connect(exec(['true']), ['v9.channel.k8s.io'])).rejects.toThrow(/HTTP 400/);
  });
});

describe('attach', () => {
  it('connects to a running process that echoes stdin, and detaching leaves it running', async () => {
    const container = await backend.startContainer('web', ['sh', '-c', 'while read line; do echo "got $line"; done']);
    const attach = () => server.attach({ containerId: 'web', tty: false, stdin: true, stdout: true, stderr: false });

    const first = track(await SpdyRemoteCommandClient.connect(attach(), { stdin: true, stdout: true }));
    first.write('one\n');
    await first.stdout.waitFor('got one\n');
    first.destroy();
    await expect.poll(() => server.activeSessions).toBe(0);
    expect(await isRunning(container.pid)).toBe(true);

    const second = track(await WebSocketRemoteCommandClient.connect(attach()));
    second.write('two\n');
    await second.stdout.waitFor('got two\n');
    await container.kill();
    expect((await second.result()).status).toMatchObject({ status: 'Success' });
  });

  it('answers an attach to a container that does not run with an error Status', async () => {
    const url = server.attach({ containerId: 'ghost', tty: false, stdin: false, stdout: true, stderr: false });
    const client = await spdyExec(url, { stderr: false });
    expect((await client.result()).message).toContain('container ghost is not running');
  });
});

describe('tokens and negotiation', () => {
  it('refuses a used token with 404', async () => {
    const url = exec(['true']);
    await (await spdyExec(url)).result();
    await expect(spdyExec(url)).rejects.toMatchObject({ status: 404 });
  });

  it('refuses an expired token with 404', async () => {
    const shortLived = await createStreamingServer({ backend, tokenTtlMs: 50 });
    try {
      const url = shortLived.exec({ containerId: 'c1', cmd: ['true'], tty: false, stdin: false, stdout: true, stderr: false });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await expect(SpdyRemoteCommandClient.connect(url, { stdout: true })).rejects.toMatchObject({ status: 404 });
    } finally {
      await shortLived.close();
    }
  });

  it('refuses unknown URLs and a token used on the wrong route with 404', async () => {
    await expect(spdyExec(`${server.url}/exec/not-a-token`)).rejects.toMatchObject({ status: 404 });
    const attachUrl = server.attach({ containerId: 'c1', tty: false, stdin: false, stdout: true, stderr: false });
    await expect(spdyExec(attachUrl.replace('/attach/', '/exec/'))).rejects.toMatchObject({ status: 404 });
  });

  it('answers a plain GET with 400 and burns the token', async () => {
    const url = exec(['true']);
    const status = await new Promise<number>((resolve, reject) =>
      http
        .get(url, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject),
    );
    expect(status).toBe(400);
    await expect(spdyExec(url)).rejects.toMatchObject({ status: 404 });
  });

  it('needs X-Stream-Protocol-Version (400) and a protocol it speaks (403 naming the accepted ones)', async () => {
    await expect(connectSpdy(exec(['true']), [])).rejects.toMatchObject({ status: 400 });
    const refused = await connectSpdy(exec(['true']), ['v9.channel.k8s.io']).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(UpgradeRefusedError);
    expect((refused as UpgradeRefusedError).status).toBe(403);
    expect((refused as UpgradeRefusedError).headers['x-accepted-stream-protocol-versions']).toContain(RemoteCommandProtocol.V4);
  });

  it('validates requests as kubelet does', () => {
    const base = { containerId: 'c1', cmd: ['true'], tty: false, stdin: false, stdout: true, stderr: false };
    expect(() => server.exec({ ...base, tty: true, stderr: true })).toThrow(InvalidArgumentError);
    expect(() => server.exec({ ...base, stdout: false })).toThrow(/one of stdin, stdout, or stderr/);
    expect(() => server.exec({ ...base, cmd: [] })).toThrow(/cmd is empty/);
    expect(() => server.exec({ ...base, containerId: '' })).toThrow(/container_id/);
    expect(() => server.portForward({ podSandboxId: 'p', ports: [70000] })).toThrow(InvalidArgumentError);
  });

  it('ends every session and its process when the server closes', async () => {
    const spdy = await spdyExec(exec(['sh', '-c', 'echo $$; exec sleep 1000']));
    const ws = track(await WebSocketRemoteCommandClient.connect(exec(['sh', '-c', 'echo $$; exec sleep 1000'])));
    const pids = [await printedPid(spdy.stdout), await printedPid(ws.stdout)];
    await server.close();
    for (const pid of pids) expect(await isRunning(pid)).toBe(false);
    expect(server.activeSessions).toBe(0);
    expect(() => exec(['true'])).toThrow(/shutting down/);
  });

  it('gives URLs under its own base URL', () => {
    expect(exec(['true'])).toMatch(new RegExp(`^${server.url}/exec/[A-Za-z0-9_-]{24}$`));
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
