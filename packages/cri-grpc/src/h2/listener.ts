/**
 * criod owns the unix listener and hands each accepted connection to grpc-js through a
 * connection injector, with the client→server bytes passing an AuthorityFilter on the way.
 */
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { ServerCredentials, type Server } from '@grpc/grpc-js';
import type { Logger } from '@criod/core';
import { AuthorityFilter } from './authority-filter.js';

/** A client connection as grpc-js sees it: the socket, with its incoming header blocks rewritten. */
class FilteredConnection extends Duplex {
  private readonly authorityFilter = new AuthorityFilter();

  constructor(
    private readonly socket: Socket,
    onMalformed: (err: Error) => void,
  ) {
    super({ allowHalfOpen: false });
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
    // Socket errors (a client resetting the connection) end the connection, not the daemon.
    socket.on('error', () => this.destroy());
    socket.on('close', () => this.destroy());
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
    const connection = new FilteredConnection(socket, (err) => logger.warn({ err: err.message }, 'closed a CRI connection that sent malformed HTTP/2'));
    injector.injectConnection(connection);
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
