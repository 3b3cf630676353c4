import net from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { dataFrameHeader, DEFAULT_WINDOW, FLAG_FIN, FrameReader, pingFrame, RstStatus, synStreamFrame, type Frame } from './frames.js';
import { HeaderCompression } from './headers.js';
import { SpdySession } from './session.js';
import type { SpdyStream } from './stream.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A connected TCP pair on 127.0.0.1. */
async function socketPair(): Promise<[net.Socket, net.Socket]> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  const accepted = once(server, 'connection');
  const client = net.connect(port, '127.0.0.1');
  const [serverSide] = (await accepted) as [net.Socket];
  server.close();
  cleanups.push(() => {
    client.destroy();
    serverSide.destroy();
  });
  return [client, serverSide];
}

async function sessionPair(serverOptions: { onStream?: (s: SpdyStream) => void } = {}) {
  const [clientSocket, serverSocket] = await socketPair();
  const incoming: SpdyStream[] = [];
  const waiting: Array<(s: SpdyStream) => void> = [];
  const server = new SpdySession(serverSocket, {
    role: 'server',
    onStream:
      serverOptions.onStream ??
      ((stream) => {
        stream.reply();
        const next = waiting.shift();
        if (next) next(stream);
        else incoming.push(stream);
      }),
  });
  const client = new SpdySession(clientSocket, { role: 'client' });
  cleanups.push(() => {
    client.destroy();
    server.destroy();
  });
  const nextStream = (): Promise<SpdyStream> => (incoming.length > 0 ? Promise.resolve(incoming.shift()!) : new Promise((resolve) => waiting.push(resolve)));
  return { client, server, nextStream };
}

/** Everything the readable side delivers, leaving the writable side alone. */
function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return once(stream, 'end').then(() => Buffer.concat(chunks));
}

describe('SpdySession', () => {
  it('opens a stream with headers, replies, and carries data both ways with half-close', async () => {
    const { client, nextStream } = await sessionPair();
    const stream = client.openStream({ streamType: 'stdin', port: '80' });
    const accepted = await nextStream();
    expect(accepted.header('streamtype')).toBe('stdin');
    expect(accepted.header('port')).toBe('80');
    await stream.response;
    stream.end('ping');
    expect((await readAll(accepted)).toString()).toBe('ping');
    accepted.end('pong');
    expect((await readAll(stream)).toString()).toBe('pong');
  });

  it('answers PING', async () => {
    const { client } = await sessionPair();
    const rtt = await client.ping();
    expect(rtt).toBeGreaterThanOrEqual(0);
  });

  it('stops a flow-controlled sender at the window while the reader sleeps, then lets all through', async () => {
    const { client, nextStream } = await sessionPair();
    const stream = client.openStream({ streamType: 'data' });
    const accepted = await nextStream();
    const total = 1024 * 1024;
    let written = false;
    stream.end(Buffer.alloc(total, 7), () => {
      written = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Nothing read yet: the peer may hold one window at most, and the writer is still waiting.
    expect(accepted.readableLength).toBeLessThanOrEqual(DEFAULT_WINDOW);
    expect(written).toBe(false);
    const received = await readAll(accepted);
    expect(received.length).toBe(total);
    expect(written).toBe(true);
  });

  it('refuses streams when nothing accepts them', async () => {
    const [clientSocket, serverSocket] = await socketPair();
    const server = new SpdySession(serverSocket, { role: 'server' });
    const client = new SpdySession(clientSocket, { role: 'client' });
    cleanups.push(() => {
      client.destroy();
      server.destroy();
    });
    const stream = client.openStream({ streamType: 'error' });
    await expect(stream.response).rejects.toMatchObject({ status: RstStatus.RefusedStream });
  });

  it('tells the other side when a stream is reset, and aborts every stream when the connection drops', async () => {
    const { client, server, nextStream } = await sessionPair();
    const first = client.openStream({ n: '1' });
    const firstAccepted = await nextStream();
    const closed = once(firstAccepted, 'close');
    first.reset();
    await closed;
    expect(firstAccepted.resetStatus).toBe(RstStatus.Cancel);

    const second = client.openStream({ n: '2' });
    const secondAccepted = await nextStream();
    const bothClosed = Promise.all([once(second, 'close'), once(secondAccepted, 'close'), server.done]);
    client.destroy();
    await bothClosed;
    expect(server.streamCount).toBe(0);
  });

  it('ends the connection after GOAWAY once the streams are done', async () => {
    const { client, server, nextStream } = await sessionPair();
    const stream = client.openStream({ n: '1' });
    const accepted = await nextStream();
    accepted.end('bye');
    expect((await readAll(stream)).toString()).toBe('bye');
    server.close();
    await client.done;
    await server.done;
    expect(() => client.openStream({ n: '2' })).toThrow(/closing|closed/);
  });
});

/** A peer speaking SPDY like moby/spdystream: no SETTINGS, no WINDOW_UPDATE, windows ignored. */
class WindowlessPeer {
  private readonly reader = new FrameReader();
  private readonly compression = new HeaderCompression();
  readonly frames: Frame[] = [];
  received = 0;

  constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.reader.push(chunk)) {
        this.frames.push(frame);
        if (frame.kind === 'data') this.received += frame.data.length;
        // spdystream echoes the other side's pings (here: the server's even ids).
        if (frame.kind === 'ping' && frame.id % 2 === 0) socket.write(pingFrame(frame.id));
      }
    });
  }

  async open(streamId: number, headers: Record<string, string>): Promise<void> {
    this.socket.write(synStreamFrame(streamId, 0, 0, await this.compression.compress(headers)));
  }

  data(streamId: number, payload: Buffer, fin = false): boolean {
    return this.socket.write(Buffer.concat([dataFrameHeader(streamId, fin ? FLAG_FIN : 0, payload.length), payload]));
  }

  close(): void {
    this.compression.close();
    this.socket.destroy();
  }
}

describe('SpdySession with a peer that ignores flow control', () => {
  it('sends past 64 KiB without waiting for WINDOW_UPDATE', async () => {
    const [peerSocket, serverSocket] = await socketPair();
    const peer = new WindowlessPeer(peerSocket);
    cleanups.push(() => peer.close());
    const server = new SpdySession(serverSocket, {
      role: 'server',
      onStream: (stream) => {
        stream.reply();
        stream.end(Buffer.alloc(512 * 1024, 1));
      },
    });
    cleanups.push(() => server.destroy());
    await peer.open(1, { streamtype: 'stdout' });
    await expect.poll(() => peer.received, { timeout: 5000 }).toBe(512 * 1024);
    expect(peer.frames.some((f) => f.kind === 'data' && f.flags & FLAG_FIN)).toBe(true);
  });

  it('stops reading the socket while a reader is behind, so the peer is held back by TCP', async () => {
    const [peerSocket, serverSocket] = await socketPair();
    const peer = new WindowlessPeer(peerSocket);
    cleanups.push(() => peer.close());
    let accepted: SpdyStream | undefined;
    const server = new SpdySession(serverSocket, {
      role: 'server',
      onStream: (stream) => {
        stream.reply();
        accepted = stream;
      },
    });
    cleanups.push(() => server.destroy());
    await peer.open(1, { streamtype: 'stdin' });
    await expect.poll(() => accepted).toBeDefined();
    // Write until the kernel buffers are full and 4 MiB more wait in the peer, while nobody reads.
    const chunk = Buffer.alloc(32 * 1024, 2);
    for (let sent = 0; sent < 64 * 1024 * 1024 && peerSocket.writableLength < 4 * 1024 * 1024; sent += chunk.length) {
      peer.data(1, chunk);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(peerSocket.writableLength).toBeGreaterThan(0);
    // The server buffers about two windows, the rest stays in kernel buffers and the peer's queue.
    expect(accepted!.readableLength).toBeLessThanOrEqual(2 * DEFAULT_WINDOW + 32 * 1024);
    expect(serverSocket.isPaused()).toBe(true);
    // Reading resumes the socket.
    accepted!.resume();
    await expect.poll(() => serverSocket.isPaused()).toBe(false);
  });
});
