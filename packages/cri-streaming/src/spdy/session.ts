/**
 * A SPDY/3.1 session over any byte Duplex (a TCP socket after the HTTP upgrade, or a WebSocket
 * tunnel). It multiplexes SpdyStreams, answers PINGs, honours GOAWAY and runs flow control:
 *
 * - receiving: each stream grants a window (64 KiB by default) and the session one more (SPDY/3.1);
 *   WINDOW_UPDATE goes out as the reader consumes data, so a slow reader stops a conforming peer.
 *   Go's moby/spdystream (kubelet, crictl, client-go) ignores windows and never sends
 *   WINDOW_UPDATE; against it the session stops reading the socket while a stream's reader is
 *   behind, so TCP pushes back instead.
 * - sending: the peer's windows are enforced once the peer shows it runs flow control (a SETTINGS
 *   or WINDOW_UPDATE frame, which this session sends first thing); until then writes are paced by
 *   the socket's own backpressure, which is all spdystream offers.
 */
import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { silentLogger, type Logger } from '@criod/core';
import { deferred, type Deferred } from '../deferred.js';
import {
  dataFrameHeader,
  DEFAULT_WINDOW,
  FLAG_FIN,
  FLAG_UNIDIRECTIONAL,
  FrameReader,
  GoAwayStatus,
  goAwayFrame,
  MAX_WINDOW,
  pingFrame,
  RstStatus,
  rstStreamFrame,
  SettingId,
  settingsFrame,
  SpdyProtocolError,
  synReplyFrame,
  synStreamFrame,
  windowUpdateFrame,
  type Frame,
} from './frames.js';
import { HeaderCompression, type HeaderInput, type SpdyHeaders } from './headers.js';
import { SpdyStream, type StreamController } from './stream.js';

export interface SpdySessionOptions {
  role: 'client' | 'server';
  /** A stream the peer opened: call reply() to accept it or reset() to refuse it. Unset: all are refused. */
  onStream?: (stream: SpdyStream) => void;
  /** Receive window granted to each stream, announced with SETTINGS at start. */
  initialWindow?: number;
  /** Streams the peer may have open at once; more are refused. */
  maxConcurrentStreams?: number;
  logger?: Logger;
}

/** Largest DATA payload we send: small enough to interleave streams, large enough to be cheap. */
const MAX_DATA_PAYLOAD = 16 * 1024;
/** How long a closing session waits for the peer to close the connection before cutting it. */
const CLOSE_GRACE_MS = 5000;

type Outgoing = Buffer[] | { headers: HeaderInput; frame: (block: Buffer) => Buffer };

export class SpdySession extends EventEmitter implements StreamController {
  private readonly role: 'client' | 'server';
  private readonly logger: Logger;
  private readonly reader = new FrameReader();
  private readonly compression = new HeaderCompression();
  private readonly streams = new Map<number, SpdyStream>();
  private readonly recvWindow: number;
  private readonly maxConcurrentStreams: number;
  private nextStreamId: number;
  private lastPeerStreamId = 0;
  private nextPingId: number;
  private readonly pings = new Map<number, Deferred<number>>();
  /** SPDY/3.1 session-level window the peer granted us. */
  private sendWindow = DEFAULT_WINDOW;
  private peerInitialWindow = DEFAULT_WINDOW;
  /**
   * Whether the peer runs flow control: 'unknown' until it sends SETTINGS or WINDOW_UPDATE ('peer')
   * or echoes our opening PING without having sent either ('none': spdystream). Windows bind
   * while 'unknown', so at most one window goes out before we know.
   */
  private flowControl: 'unknown' | 'peer' | 'none' = 'unknown';
  private readonly probePingId: number;
  /** Consumed bytes not yet credited to the peer's session window. */
  private sessionOwed = 0;
  private readonly windowWaiters = new Set<() => void>();
  /** Streams whose reader is behind: while any, the socket is paused. */
  private readonly behind = new Set<SpdyStream>();
  private readonly inbound: Frame[] = [];
  private inboundBusy = false;
  /** The connection ended while frames were still being handled: end the session after them. */
  private endAfterInbound = false;
  private readonly outbound: Outgoing[] = [];
  private outboundBusy = false;
  private drain: Deferred<void> | undefined;
  private goingAway = false;
  private peerGoneAway = false;
  /** The connection is to end as soon as queued frames are out. */
  private ending = false;
  private closeTimer: NodeJS.Timeout | undefined;
  private readonly finished = deferred();
  closed = false;

  constructor(
    private readonly socket: Duplex,
    private readonly options: SpdySessionOptions,
  ) {
    super();
    this.role = options.role;
    this.logger = options.logger ?? silentLogger;
    this.recvWindow = options.initialWindow ?? DEFAULT_WINDOW;
    this.maxConcurrentStreams = options.maxConcurrentStreams ?? 1000;
    this.nextStreamId = this.role === 'client' ? 1 : 2;
    this.nextPingId = this.role === 'client' ? 1 : 2;
    // Small control frames (WINDOW_UPDATE, PING) must not wait for Nagle's algorithm.
    if (socket instanceof Socket) socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('drain', () => this.drain?.resolve());
    socket.on('end', () => this.teardownAfterInbound());
    socket.on('close', () => this.teardownAfterInbound());
    socket.on('error', (err: Error) => {
      this.logger.debug({ err: err.message }, 'SPDY connection error');
      this.teardown();
    });
    // Announce the window even when it is the default: it tells the peer we run flow control
    // (spdystream ignores SETTINGS harmlessly). The PING behind it finds out whether the peer does.
    this.write([settingsFrame([{ flags: 0, id: SettingId.InitialWindowSize, value: this.recvWindow }])]);
    this.probePingId = this.nextPingId;
    this.nextPingId += 2;
    this.write([pingFrame(this.probePingId)]);
  }

  /** Resolves once the session is over, whichever side ended it. */
  get done(): Promise<void> {
    return this.finished.promise;
  }

  get streamCount(): number {
    return this.streams.size;
  }

  /** Feed bytes that arrived before the session took over the socket (the upgrade's head). */
  receive(chunk: Buffer): void {
    if (this.closed) return;
    try {
      this.inbound.push(...this.reader.push(chunk));
    } catch (err) {
      this.fail(err);
      return;
    }
    if (!this.inboundBusy) void this.processInbound();
  }

  /** Open a stream (SYN_STREAM); `fin` opens it already finished on our side. */
  openStream(headers: HeaderInput, options: { fin?: boolean } = {}): SpdyStream {
    if (this.closed || this.goingAway || this.peerGoneAway) throw new Error('the SPDY session is closing');
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const stream = this.newStream(id, new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), typeof v === 'string' ? [v] : [...v]])), false);
    this.queueHeaders(headers, (block) => synStreamFrame(id, options.fin ? FLAG_FIN : 0, 0, block));
    if (options.fin) stream.localFin = true;
    return stream;
  }

  /** Round-trip time of a PING, in milliseconds. */
  ping(): Promise<number> {
    if (this.closed) return Promise.reject(new Error('the SPDY session is closed'));
    const id = this.nextPingId;
    this.nextPingId += 2;
    const pending = deferred<number>();
    const started = performance.now();
    this.pings.set(id, pending);
    this.write([pingFrame(id)]);
    return pending.promise.then(() => performance.now() - started);
  }

  /** Say GOAWAY, flush what is queued and end the connection; the peer's close finishes it. */
  close(): void {
    if (this.closed || this.goingAway) return;
    this.goingAway = true;
    this.write([goAwayFrame(this.lastPeerStreamId, GoAwayStatus.Ok)]);
    this.endConnection();
  }

  /** Drop the connection now: every stream is aborted. */
  destroy(): void {
    this.teardown();
  }

  // --- StreamController -------------------------------------------------------------------

  async sendData(stream: SpdyStream, chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      this.assertSendable(stream);
      const window = this.flowControl === 'none' ? Infinity : Math.min(stream.sendWindow, this.sendWindow);
      if (window <= 0) {
        await this.windowOpens(stream);
        continue;
      }
      const size = Math.min(chunk.length - offset, MAX_DATA_PAYLOAD, window);
      this.write([dataFrameHeader(stream.id, 0, size), chunk.subarray(offset, offset + size)]);
      stream.sendWindow -= size;
      this.sendWindow -= size;
      offset += size;
      if (this.socket.writableNeedDrain) await this.drained();
    }
  }

  async sendFin(stream: SpdyStream): Promise<void> {
    if (stream.localFin) return;
    this.assertSendable(stream);
    stream.localFin = true;
    this.write([dataFrameHeader(stream.id, FLAG_FIN, 0)]);
    this.forgetIfFinished(stream);
  }

  sendReply(stream: SpdyStream, headers: HeaderInput): void {
    if (this.closed || stream.resetStatus !== undefined) return;
    this.queueHeaders(headers, (block) => synReplyFrame(stream.id, 0, block));
  }

  sendReset(stream: SpdyStream, status: number): void {
    if (this.closed) return;
    this.write([rstStreamFrame(stream.id, status)]);
  }

  consumed(stream: SpdyStream): void {
    const consumed = stream.receivedBytes - stream.readableLength;
    const fresh = consumed - stream.consumedBytes;
    if (fresh > 0) {
      stream.consumedBytes = consumed;
      this.creditSession(fresh);
      const owed = consumed - stream.creditedBytes;
      if (!stream.remoteFin && !this.closed && owed >= this.recvWindow / 2) {
        this.write([windowUpdateFrame(stream.id, owed)]);
        stream.creditedBytes = consumed;
      }
    }
    if (stream.readableLength < stream.readableHighWaterMark) this.caughtUp(stream);
  }

  released(stream: SpdyStream): void {
    this.caughtUp(stream);
    this.wakeWindowWaiters();
    if (this.streams.get(stream.id) !== stream) return;
    this.streams.delete(stream.id);
    const finished = stream.localFin && stream.remoteFin;
    if (!finished && stream.resetStatus === undefined && !this.closed) {
      stream.resetStatus = RstStatus.Cancel;
      this.write([rstStreamFrame(stream.id, RstStatus.Cancel)]);
    }
    this.endIfIdle();
  }

  // --- inbound ------------------------------------------------------------------------------

  private async processInbound(): Promise<void> {
    this.inboundBusy = true;
    try {
      while (this.inbound.length > 0 && !this.closed) {
        const pending = this.handle(this.inbound.shift()!);
        if (pending) await pending;
      }
    } catch (err) {
      this.fail(err);
    } finally {
      this.inboundBusy = false;
    }
    if (this.endAfterInbound) this.teardown();
  }

  /** The peer is gone; frames it sent before leaving (a reply, the last output) still count. */
  private teardownAfterInbound(): void {
    if (this.inboundBusy) this.endAfterInbound = true;
    else this.teardown();
  }

  /** Frames carrying header blocks are async (inflate); the rest are handled at once. */
  private handle(frame: Frame): Promise<void> | undefined {
    switch (frame.kind) {
      case 'data':
        this.onData(frame.streamId, frame.flags, frame.data);
        return undefined;
      case 'syn_stream':
        return this.onSynStream(frame.streamId, frame.flags, frame.block);
      case 'syn_reply':
      case 'headers':
        return this.onReplyOrHeaders(frame.kind, frame.streamId, frame.flags, frame.block);
      case 'rst_stream':
        this.streams.get(frame.streamId)?.abort(frame.status);
        return undefined;
      case 'settings':
        for (const entry of frame.entries) if (entry.id === SettingId.InitialWindowSize) this.onInitialWindow(entry.value);
        return undefined;
      case 'ping':
        this.onPing(frame.id);
        return undefined;
      case 'goaway':
        this.onGoAway(frame.lastGoodStreamId);
        return undefined;
      case 'window_update':
        this.onWindowUpdate(frame.streamId, frame.delta);
        return undefined;
      case 'ignored':
        return undefined;
    }
  }

  private onData(streamId: number, flags: number, data: Buffer): void {
    const stream = this.streams.get(streamId);
    if (!stream || stream.remoteFin) {
      // Late data for a stream we already closed or reset: drop it, but keep the session window moving.
      this.creditSession(data.length);
      return;
    }
    if (data.length > 0 && !stream.receiveData(data)) {
      this.behind.add(stream);
      this.socket.pause();
    }
    this.consumed(stream);
    if (flags & FLAG_FIN) {
      // Nothing more comes on this stream: what it still buffers is bounded and must not hold the
      // session window or the socket.
      this.creditSession(stream.receivedBytes - stream.consumedBytes);
      stream.consumedBytes = stream.receivedBytes;
      this.caughtUp(stream);
      stream.receiveFin();
      this.forgetIfFinished(stream);
    }
  }

  private async onSynStream(id: number, flags: number, block: Buffer): Promise<void> {
    // Inflate first, always: the zlib state must follow every header block on the wire.
    const headers = await this.compression.decompress(block);
    if (this.closed) return;
    const peerParity = this.role === 'server' ? 1 : 0;
    if (id === 0 || id % 2 !== peerParity || id <= this.lastPeerStreamId) {
      throw new SpdyProtocolError(`SYN_STREAM with invalid stream id ${id} (last ${this.lastPeerStreamId})`);
    }
    this.lastPeerStreamId = id;
    const onStream = this.options.onStream;
    if (!onStream || this.goingAway || this.peerGoneAway || this.streams.size >= this.maxConcurrentStreams) {
      this.write([rstStreamFrame(id, RstStatus.RefusedStream)]);
      return;
    }
    const stream = this.newStream(id, headers, true);
    if (flags & FLAG_UNIDIRECTIONAL) stream.localFin = true;
    if (flags & FLAG_FIN) stream.receiveFin();
    onStream(stream);
  }

  private async onReplyOrHeaders(kind: 'syn_reply' | 'headers', id: number, flags: number, block: Buffer): Promise<void> {
    const headers = await this.compression.decompress(block);
    if (this.closed) return;
    const stream = this.streams.get(id);
    if (!stream) return;
    if (kind === 'syn_reply' && !stream.incoming) stream.receiveReply(headers);
    if (flags & FLAG_FIN) {
      stream.receiveFin();
      this.forgetIfFinished(stream);
    }
  }

  private onInitialWindow(value: number): void {
    if (value > MAX_WINDOW) throw new SpdyProtocolError(`SETTINGS initial window ${value} exceeds 2^31-1`);
    const delta = value - this.peerInitialWindow;
    this.peerInitialWindow = value;
    for (const stream of this.streams.values()) stream.sendWindow += delta;
    this.peerRunsFlowControl();
    this.wakeWindowWaiters();
  }

  private onPing(id: number): void {
    const ours = this.role === 'client' ? 1 : 0;
    if (id % 2 === ours) {
      if (id === this.probePingId && this.flowControl === 'unknown') {
        this.flowControl = 'none';
        this.wakeWindowWaiters();
      }
      this.pings.get(id)?.resolve(0);
      this.pings.delete(id);
    } else {
      this.write([pingFrame(id)]);
    }
  }

  private onGoAway(lastGoodStreamId: number): void {
    this.peerGoneAway = true;
    // Streams we opened past the last one the peer accepted were never seen by it.
    for (const stream of [...this.streams.values()]) {
      if (!stream.incoming && stream.id > lastGoodStreamId) stream.abort(RstStatus.RefusedStream);
    }
    this.endIfIdle();
  }

  private peerRunsFlowControl(): void {
    if (this.flowControl === 'unknown') this.flowControl = 'peer';
  }

  private onWindowUpdate(streamId: number, delta: number): void {
    this.peerRunsFlowControl();
    if (streamId === 0) {
      if (this.sendWindow + delta > MAX_WINDOW) throw new SpdyProtocolError('session window overflow');
      this.sendWindow += delta;
    } else {
      const stream = this.streams.get(streamId);
      if (!stream) return;
      if (stream.sendWindow + delta > MAX_WINDOW) {
        stream.reset(RstStatus.FlowControlError);
        return;
      }
      stream.sendWindow += delta;
    }
    this.wakeWindowWaiters();
  }

  // --- outbound -----------------------------------------------------------------------------

  /** Frames leave in the order queued; a header frame holds the ones behind it while it compresses. */
  private write(parts: Buffer[]): void {
    if (this.closed) return;
    if (this.outboundBusy) this.outbound.push(parts);
    else this.writeNow(parts);
  }

  private queueHeaders(headers: HeaderInput, frame: (block: Buffer) => Buffer): void {
    if (this.closed) return;
    this.outbound.push({ headers, frame });
    if (!this.outboundBusy) void this.processOutbound();
  }

  private async processOutbound(): Promise<void> {
    this.outboundBusy = true;
    try {
      while (this.outbound.length > 0 && !this.closed) {
        const next = this.outbound.shift()!;
        if (Array.isArray(next)) this.writeNow(next);
        else this.writeNow([next.frame(await this.compression.compress(next.headers))]);
      }
    } catch (err) {
      this.fail(err);
    } finally {
      this.outboundBusy = false;
    }
    if (this.ending) this.endConnection();
  }

  private writeNow(parts: Buffer[]): void {
    if (this.closed || !this.socket.writable) return;
    if (parts.length === 1) {
      this.socket.write(parts[0]);
      return;
    }
    this.socket.cork();
    for (const part of parts) this.socket.write(part);
    this.socket.uncork();
  }

  private creditSession(bytes: number): void {
    this.sessionOwed += bytes;
    if (this.sessionOwed >= DEFAULT_WINDOW / 2 && !this.closed) {
      this.write([windowUpdateFrame(0, this.sessionOwed)]);
      this.sessionOwed = 0;
    }
  }

  private assertSendable(stream: SpdyStream): void {
    if (this.closed) throw new Error('the SPDY session is closed');
    if (stream.resetStatus !== undefined || stream.destroyed) throw new Error(`SPDY stream ${stream.id} is closed`);
    if (stream.localFin) throw new Error(`SPDY stream ${stream.id} is finished on our side`);
  }

  private windowOpens(stream: SpdyStream): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        const open = this.flowControl === 'none' || Math.min(stream.sendWindow, this.sendWindow) > 0;
        if (open || this.closed || stream.destroyed) {
          this.windowWaiters.delete(check);
          resolve();
        }
      };
      this.windowWaiters.add(check);
    });
  }

  private wakeWindowWaiters(): void {
    for (const check of [...this.windowWaiters]) check();
  }

  private drained(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.drain ??= deferred();
    const pending = this.drain;
    return pending.promise.then(() => {
      if (this.drain === pending) this.drain = undefined;
    });
  }

  // --- lifecycle ----------------------------------------------------------------------------

  private newStream(id: number, headers: SpdyHeaders, incoming: boolean): SpdyStream {
    const stream = new SpdyStream(this, id, headers, {
      incoming,
      initialSendWindow: this.peerInitialWindow,
      // A conforming peer never has more than one window in flight; twice that means it ignores windows.
      highWaterMark: 2 * this.recvWindow,
    });
    this.streams.set(id, stream);
    return stream;
  }

  private caughtUp(stream: SpdyStream): void {
    if (this.behind.delete(stream) && this.behind.size === 0 && !this.closed) this.socket.resume();
  }

  /** Both sides sent FIN: the stream leaves the session; its reader may still drain what is buffered. */
  private forgetIfFinished(stream: SpdyStream): void {
    if (!stream.localFin || !stream.remoteFin) return;
    if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
    this.endIfIdle();
  }

  private endIfIdle(): void {
    if (this.peerGoneAway && this.streams.size === 0) this.endConnection();
  }

  private endConnection(): void {
    this.ending = true;
    if (this.closed || this.outboundBusy || this.closeTimer) return;
    this.socket.end();
    this.closeTimer = setTimeout(() => this.teardown(), CLOSE_GRACE_MS);
    this.closeTimer.unref();
  }

  private fail(err: unknown): void {
    if (this.closed) return;
    const message = err instanceof Error ? err.message : String(err);
    this.logger.warn({ err: message }, 'SPDY session failed');
    if (err instanceof SpdyProtocolError && this.socket.writable) {
      this.socket.end(goAwayFrame(this.lastPeerStreamId, GoAwayStatus.ProtocolError));
      this.closeTimer ??= setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
      this.teardown(false);
      return;
    }
    this.teardown();
  }

  private teardown(destroySocket = true): void {
    if (this.closed) return;
    this.closed = true;
    if (destroySocket) {
      clearTimeout(this.closeTimer);
      this.socket.destroy();
    }
    this.outbound.length = 0;
    this.inbound.length = 0;
    for (const stream of [...this.streams.values()]) stream.abort();
    this.streams.clear();
    for (const ping of this.pings.values()) ping.reject(new Error('the SPDY session closed'));
    this.pings.clear();
    this.wakeWindowWaiters();
    this.drain?.resolve();
    this.compression.close();
    this.finished.resolve();
    this.emit('close');
  }
}
