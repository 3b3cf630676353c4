/**
 * WebSocket clients of the streaming server speaking Kubernetes channel framing: exec/attach on
 * channels 0-4 (v5 with close signals), port-forward with a data and an error channel per port
 * whose first 2 bytes carry the port.
 */
import { WebSocket } from 'ws';
import { Channel, RemoteCommandProtocol } from '../protocols.js';
import { ReceivedData } from './output.js';
import { parseErrorChannel, type RemoteCommandResult } from './status.js';

/**
 * Open a WebSocket to a streaming URL and start demultiplexing at once (the server may send in
 * the same packet as its 101); rejects with the HTTP status if the server refuses.
 */
async function openChannels(url: string, protocols: string[]): Promise<ChannelDemux> {
  const ws = new WebSocket(url.replace(/^http/, 'ws'), protocols);
  const demux = new ChannelDemux(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`WebSocket upgrade refused with HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
  ws.on('error', () => undefined);
  return demux;
}

/** Channel messages of one WebSocket, decoded into per-channel data. */
class ChannelDemux {
  readonly channels = new Map<number, ReceivedData>();
  readonly closed: Promise<void>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const [channel, payload] = this.decode(data);
      if (channel === Channel.Close) this.channel(payload[0] ?? -1).end();
      else if (payload.length > 0) this.channel(channel).push(payload);
      else this.channel(channel);
    });
    this.closed = new Promise((resolve) =>
      ws.once('close', () => {
        for (const received of this.channels.values()) received.end();
        resolve();
      }),
    );
  }

  channel(n: number): ReceivedData {
    let received = this.channels.get(n);
    if (!received) {
      received = new ReceivedData();
      this.channels.set(n, received);
    }
    return received;
  }

  /** The negotiated protocol decides the framing; it is known before the first message. */
  private get base64(): boolean {
    return this.ws.protocol.includes('base64');
  }

  send(channel: number, payload: Buffer | string): void {
    const bytes = Buffer.from(payload);
    if (this.base64) this.ws.send(String.fromCharCode(0x30 + channel) + bytes.toString('base64'));
    else this.ws.send(Buffer.concat([Buffer.from([channel]), bytes]));
  }

  private decode(data: Buffer): [number, Buffer] {
    if (!this.base64) return [data[0] ?? -1, data.subarray(1)];
    const text = data.toString('latin1');
    return [text.charCodeAt(0) - 0x30, Buffer.from(text.slice(1), 'base64')];
  }
}

/** An exec or attach session over WebSocket. */
export class WebSocketRemoteCommandClient {
  private constructor(
    private readonly demux: ChannelDemux,
    readonly protocol: string,
  ) {}

  static async connect(url: string, protocols: string[] = [RemoteCommandProtocol.V5]): Promise<WebSocketRemoteCommandClient> {
    const demux = await openChannels(url, protocols);
    return new WebSocketRemoteCommandClient(demux, demux.ws.protocol);
  }

  get stdout(): ReceivedData {
    return this.demux.channel(Channel.Stdout);
  }

  get stderr(): ReceivedData {
    return this.demux.channel(Channel.Stderr);
  }

  write(data: string | Buffer): void {
    this.demux.send(Channel.Stdin, data);
  }

  /** v5: half-close stdin with the close signal. */
  endStdin(): void {
    this.demux.ws.send(Buffer.from([Channel.Close, Channel.Stdin]));
  }

  resize(width: number, height: number): void {
    this.demux.send(Channel.Resize, JSON.stringify({ Width: width, Height: height }));
  }

  /** Stop reading the connection (a slow client), and start again. */
  pauseReading(): void {
    this.demux.ws.pause();
  }

  resumeReading(): void {
    this.demux.ws.resume();
  }

  /** Wait for the server to close the session, then read the status it left. */
  async result(timeoutMs = 10_000): Promise<RemoteCommandResult> {
    await withTimeout(this.demux.closed, timeoutMs, 'the server to close the WebSocket');
    return parseErrorChannel(this.protocol, this.demux.channel(Channel.Error).text);
  }

  destroy(): void {
    this.demux.ws.terminate();
  }
}

/** Port-forward over WebSocket channels: port i on data channel 2i and error channel 2i+1. */
export class WebSocketPortForwardClient {
  private constructor(private readonly demux: ChannelDemux) {}

  static async connect(url: string, ports: number[], protocol = RemoteCommandProtocol.V4): Promise<WebSocketPortForwardClient> {
    const query = ports.map((p) => `port=${p}`).join('&');
    return new WebSocketPortForwardClient(await openChannels(`${url}${url.includes('?') ? '&' : '?'}${query}`, [protocol]));
  }

  /** What came back for port i, the 2-byte port prefix included. */
  data(i: number): ReceivedData {
    return this.demux.channel(2 * i);
  }

  errors(i: number): ReceivedData {
    return this.demux.channel(2 * i + 1);
  }

  send(i: number, payload: string | Buffer): void {
    this.demux.send(2 * i, payload);
  }

  get closed(): Promise<void> {
    return this.demux.closed;
  }

  close(): void {
    this.demux.ws.terminate();
  }
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
