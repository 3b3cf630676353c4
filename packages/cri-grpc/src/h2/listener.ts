/**
 * criod owns the unix listener and hands each accepted connection to grpc-js through a
 * connection injector. A connection whose first request carries an `:authority` Node accepts
 * (grpc-js, grpc-go ≥ 1.31 with WithAuthority, kubelet 1.31+) goes to grpc-js as the socket it
 * is, so Node's HTTP/2 reads and writes it natively; any other has its client→server bytes pass
 * an AuthorityFilter for its whole life. Every gRPC client sends one authority per connection.
 *
 * The first request is only seen once the client has the server's preface, and grpc-go waits
 * for that before it sends one: criod sends an empty SETTINGS frame (changing nothing) at once,
 * and drops the client's acknowledgement of it, which the server would take as a protocol error.
 */
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { ServerCredentials, type Server } from '@grpc/grpc-js';
import type { Logger } from '@criod/core';
import { AuthorityFilter } from './authority-filter.js';

/** A client connection as grpc-js sees it: the socket, with its incoming header blocks rewritten. */
class FilteredConnection extends Duplex {
  constructor(
    private readonly socket: Socket,
    private readonly authorityFilter: AuthorityFilter,
    received: Buffer,
    onMalformed: (err: Error) => void,
  ) {
    super({ allowHalfOpen: false });
    if (received.length > 0) this.push(received);
    socket.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = this.authorityFilter.push(chunk);
      } catch (err) {
        // Only this connection goes: nothing of it has been half-handed to the server.
        onMalformed(err as Error);
        this.destroy();
        return;
      }
      if (frames.length === 0) return;
      if (!this.push(frames.length === 1 ? frames[0] : Buffer.concat(frames))) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', () => this.destroy());
    socket.on('close', () => this.destroy());
    socket.resume();
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.socket.write(chunk, callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.socket.cork();
    for (const { chunk } of chunks.slice(0, -1)) this.socket.write(chunk);
    this.socket.write(chunks[chunks.length - 1]!.chunk, callback);
    this.socket.uncork();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }
}

/** An empty SETTINGS frame: a server preface that changes nothing. */
const EMPTY_SETTINGS = Buffer.from([0, 0, 0, 0x4, 0, 0, 0, 0, 0]);
/** How long a connection may go without its first request before it is filtered anyway. */
const FIRST_REQUEST_WAIT_MS = 1000;

/**
 * Read a new connection up to its first request, then hand it to grpc-js: as the socket itself
 * when that request's authority is accepted, else through the filter that has read it so far.
 */
function acceptConnection(socket: Socket, inject: (connection: Duplex) => void, logger: Logger): void {
  // Socket errors (a client resetting the connection) end the connection, not the daemon.
  socket.on('error', () => socket.destroy());
  const filter = new AuthorityFilter();
  filter.expectAckOfOwnSettings();
  socket.write(EMPTY_SETTINGS);
  const received: Buffer[] = [];
  const handOver = (native: boolean) => {
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('close', onClose);
    socket.pause();
    if (native) {
      // Node's HTTP/2 session reads what is buffered in the socket before reading natively.
      socket.unshift(Buffer.concat([...received, filter.held()]));
      inject(socket);
    } else {
      logger.debug({ firstRequest: filter.firstBlock ?? 'none yet' }, 'a CRI connection goes through the :authority filter');
      inject(new FilteredConnection(socket, filter, Buffer.concat(received), (err) => malformed(logger, err)));
    }
  };
  const onData = (chunk: Buffer) => {
    try {
      received.push(...filter.push(chunk));
    } catch (err) {
      clearTimeout(timer);
      malformed(logger, err as Error);
      socket.destroy();
      return;
    }
    if (filter.firstBlock === 'needs-filter') handOver(false);
    else if (filter.firstBlock === 'accepted' && filter.ownSettingsAcked) handOver(true);
  };
  const onClose = () => clearTimeout(timer);
  const timer = setTimeout(() => handOver(false), FIRST_REQUEST_WAIT_MS);
  socket.on('data', onData);
  socket.once('close', onClose);
}

function malformed(logger: Logger, err: Error): void {
  logger.warn({ err: err.message }, 'closed a CRI connection that sent malformed HTTP/2');
}

export interface CriListener {
  /** Connections accepted and not yet closed. */
  connectionCount(): number;
  /**
   * Stop accepting, let running calls finish for up to graceMs, then cut what is left —
   * including connections that never became an HTTP/2 session.
   */
  close(graceMs: number): Promise<void>;
}

/** Serve a grpc-js server on a unix socket path; resolves once connections are accepted. */
export async function serveUnix(server: Server, socketPath: string, logger: Logger): Promise<CriListener> {
  const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
  const sockets = new Set<Socket>();
  const listener: NetServer = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    acceptConnection(socket, (connection) => injector.injectConnection(connection), logger);
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(socketPath, () => {
      listener.off('error', reject);
      resolve();
    });
  });
  listener.on('error', (err) => logger.error({ err: err.message, socket: socketPath }, 'CRI listener error'));
  return {
    connectionCount: () => sockets.size,
    async close(graceMs) {
      listener.close();
      await shutdownGrpc(server, graceMs);
      injector.destroy();
      for (const socket of sockets) socket.destroy();
    },
  };
}

/** Stop taking calls and wait up to graceMs for running ones, then cut them. */
function shutdownGrpc(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
