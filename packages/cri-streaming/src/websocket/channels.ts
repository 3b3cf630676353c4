/**
 * Kubernetes channel framing over one WebSocket (k8s.io/apimachinery wsstream): every message
 * starts with its channel number, as a byte (binary protocols) or as an ASCII digit followed by
 * base64 (base64 protocols). v5 adds the close signal [255, channel] that half-closes a channel.
 * Channels are Node streams with backpressure both ways: a full reader pauses the socket, a
 * writer waits while the WebSocket's send buffer is high.
 */
import { Readable, Writable } from 'node:stream';
import type { WebSocket } from 'ws';
import { deferred } from '../deferred.js';
import { Channel } from '../protocols.js';

export interface ChannelFraming {
  base64: boolean;
  /** v5: [255, channel] half-closes a channel, both ways. */
  closeSignals: boolean;
}

/** Past this many bytes waiting in the WebSocket, writers wait for the socket to take them. */
const SEND_HIGH_WATER_MARK = 256 * 1024;
const RECEIVE_HIGH_WATER_MARK = 256 * 1024;

export class WebSocketChannels {
  private readonly readers = new Map<number, ChannelReader>();
  private readonly writers: ChannelWriter[] = [];
  private readonly full = new Set<ChannelReader>();
  private readonly gone = deferred();

  constructor(
    private readonly ws: WebSocket,
    private readonly framing: ChannelFraming,
  ) {
    ws.on('message', (data: Buffer) => this.onMessage(data));
    ws.on('error', () => undefined);
    ws.on('close', () => {
      // The connection is gone: every channel is aborted, not ended.
      for (const reader of this.readers.values()) reader.destroy();
      for (const writer of this.writers) writer.destroy();
      this.gone.resolve();
    });
  }

  /** Resolves when the WebSocket is closed. */
  get closed(): Promise<void> {
    return this.gone.promise;
  }

  /** What the client sends on a channel; messages on channels nobody reads are dropped. */
  reader(channel: number): Readable {
    const reader = new ChannelReader(this);
    this.readers.set(channel, reader);
    return reader;
  }

  /** A channel to the client; end() sends the v5 close signal where the protocol has one. */
  writer(channel: number): Writable {
    const writer = new ChannelWriter(this, channel);
    this.writers.push(writer);
    return writer;
  }

  /** Send one message on a channel; resolves when the WebSocket can take more. */
  send(channel: number, payload: Buffer): Promise<void> {
    const message = this.framing.base64 ? String.fromCharCode(0x30 + channel) + payload.toString('base64') : Buffer.concat([Buffer.from([channel]), payload]);
    return new Promise((resolve, reject) => {
      const waitForSocket = this.ws.bufferedAmount >= SEND_HIGH_WATER_MARK;
      this.ws.send(message, { binary: !this.framing.base64 }, (err) => {
        if (err) reject(err);
        else if (waitForSocket) resolve();
      });
      if (!waitForSocket) resolve();
    });
  }

  sendCloseSignal(channel: number): Promise<void> {
    if (!this.framing.closeSignals) return Promise.resolve();
    return new Promise((resolve, reject) => this.ws.send(Buffer.from([Channel.Close, channel]), { binary: true }, (err) => (err ? reject(err) : resolve())));
  }

  /** Close the WebSocket normally; messages already sent go out first. */
  close(): void {
    this.ws.close(1000);
  }

  readerFull(reader: ChannelReader): void {
    this.full.add(reader);
    this.ws.pause();
  }

  readerWants(reader: ChannelReader): void {
    if (this.full.delete(reader) && this.full.size === 0) this.ws.resume();
  }

  private onMessage(data: Buffer): void {
    let channel: number;
    let payload: Buffer;
    if (this.framing.base64) {
      const text = data.toString('latin1');
      channel = text.charCodeAt(0) - 0x30;
      payload = Buffer.from(text.slice(1), 'base64');
    } else {
      channel = data[0] ?? -1;
      payload = data.subarray(1);
    }
    if (this.framing.closeSignals && channel === Channel.Close) {
      const closed = this.readers.get(payload[0] ?? -1);
      closed?.push(null);
      return;
    }
    const reader = this.readers.get(channel);
    if (!reader || reader.readableEnded || payload.length === 0) return;
    if (!reader.push(payload)) this.readerFull(reader);
  }
}

class ChannelReader extends Readable {
  constructor(private readonly owner: WebSocketChannels) {
    super({ highWaterMark: RECEIVE_HIGH_WATER_MARK });
  }

  override _read(): void {
    this.owner.readerWants(this);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.owner.readerWants(this);
    callback(error);
  }
}

class ChannelWriter extends Writable {
  constructor(
    private readonly owner: WebSocketChannels,
    private readonly channel: number,
  ) {
    super({ decodeStrings: true });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.owner.send(this.channel, chunk).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.owner.sendCloseSignal(this.channel).then(() => callback(), callback);
  }
}
