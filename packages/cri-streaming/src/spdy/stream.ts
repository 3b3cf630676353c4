/**
 * One SPDY stream as a Node Duplex: what the peer sends comes out of the readable side, what is
 * written goes out as DATA frames, end() sends FIN, destroy() before both sides finished sends
 * RST_STREAM(CANCEL). The session owns the wire; the stream only keeps its own state.
 */
import { Duplex } from 'node:stream';
import { deferred } from '../deferred.js';
import { RstStatus } from './frames.js';
import { headerValue, type HeaderInput, type SpdyHeaders } from './headers.js';

/** What a stream asks of its session. */
export interface StreamController {
  sendData(stream: SpdyStream, chunk: Buffer): Promise<void>;
  sendFin(stream: SpdyStream): Promise<void>;
  sendReply(stream: SpdyStream, headers: HeaderInput): void;
  sendReset(stream: SpdyStream, status: number): void;
  /** The consumer read some data: credit the flow-control windows. */
  consumed(stream: SpdyStream): void;
  /** The stream is destroyed: forget it. */
  released(stream: SpdyStream): void;
}

/** The stream was reset, by the peer or by us, before both sides finished. */
export class SpdyStreamResetError extends Error {
  constructor(
    readonly streamId: number,
    readonly status: number,
  ) {
    super(`SPDY stream ${streamId} was reset (status ${status})`);
    this.name = 'SpdyStreamResetError';
  }
}

export interface SpdyStreamOptions {
  /** Opened by the peer (SYN_STREAM received) rather than by us. */
  incoming: boolean;
  initialSendWindow: number;
  /** Buffered bytes past which the session stops reading the socket for this stream. */
  highWaterMark: number;
}

export class SpdyStream extends Duplex {
  /** What the peer may still receive from us on this stream (its window). */
  sendWindow: number;
  /** Bytes received, consumed by the reader, and credited back to the peer with WINDOW_UPDATE. */
  receivedBytes = 0;
  consumedBytes = 0;
  creditedBytes = 0;
  /** We sent FIN (or may not send: a unidirectional stream). */
  localFin = false;
  /** The peer sent FIN. */
  remoteFin = false;
  /** RST_STREAM status once reset (either way); no frame goes out for the stream after that. */
  resetStatus: number | undefined;

  private readonly replied = deferred<SpdyHeaders>();
  private readonly canSend = deferred();

  constructor(
    private readonly controller: StreamController,
    readonly id: number,
    /** SYN_STREAM headers: the peer's for an incoming stream, ours for an outgoing one. */
    readonly headers: SpdyHeaders,
    readonly options: SpdyStreamOptions,
  ) {
    super({ allowHalfOpen: true, readableHighWaterMark: options.highWaterMark, decodeStrings: true });
    this.sendWindow = options.initialSendWindow;
    // An outgoing stream may carry data right behind its SYN_STREAM; an incoming one after our SYN_REPLY.
    if (!options.incoming) this.canSend.resolve();
    this.replied.promise.catch(() => undefined);
    this.canSend.promise.catch(() => undefined);
  }

  get incoming(): boolean {
    return this.options.incoming;
  }

  /** The first value of one of the SYN_STREAM headers. */
  header(name: string): string | undefined {
    return headerValue(this.headers, name);
  }

  /** Outgoing streams: the peer's SYN_REPLY headers; rejects if the stream is reset or lost first. */
  get response(): Promise<SpdyHeaders> {
    return this.replied.promise;
  }

  /** Incoming streams: accept with SYN_REPLY; data written before this waits for it. */
  reply(headers: HeaderInput = {}): void {
    if (!this.incoming) throw new Error(`SPDY stream ${this.id} is ours: only the peer replies to it`);
    this.controller.sendReply(this, headers);
    this.canSend.resolve();
  }

  /** Abort the stream with RST_STREAM (REFUSED_STREAM to decline a new one). */
  reset(status: number = RstStatus.Cancel): void {
    if (this.resetStatus === undefined && !this.destroyed) this.controller.sendReset(this, status);
    this.resetStatus ??= status;
    this.destroy();
  }

  /** Called by the session for each DATA payload; false when the reader is behind. */
  receiveData(data: Buffer): boolean {
    this.receivedBytes += data.length;
    return this.push(data);
  }

  receiveFin(): void {
    if (this.remoteFin) return;
    this.remoteFin = true;
    this.push(null);
  }

  receiveReply(headers: SpdyHeaders): void {
    this.replied.resolve(headers);
  }

  /** The peer reset the stream, or the session is gone (status undefined). */
  abort(status?: number): void {
    this.resetStatus ??= status ?? RstStatus.Cancel;
    this.replied.reject(new SpdyStreamResetError(this.id, this.resetStatus));
    this.canSend.reject(new SpdyStreamResetError(this.id, this.resetStatus));
    this.destroy();
  }

  /** Every way of consuming (flowing mode, pipe, 'readable', iterators) goes through read(). */
  override read(size?: number): string | Buffer {
    // Typed as NodeJS.ReadableStream types it; null (nothing buffered) comes through as from Readable.
    const chunk = super.read(size) as string | Buffer;
    if (chunk !== null) this.controller.consumed(this);
    return chunk;
  }

  override _read(): void {
    this.controller.consumed(this);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.canSend.promise.then(() => this.controller.sendData(this, chunk)).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.canSend.promise.then(() => this.controller.sendFin(this)).then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.replied.reject(new SpdyStreamResetError(this.id, this.resetStatus ?? RstStatus.Cancel));
    this.controller.released(this);
    callback(error);
  }
}
