/**
 * SPDY clients of the streaming server, built on the package's own SpdySession and behaving like
 * client-go's: the HTTP upgrade with X-Stream-Protocol-Version negotiation, then exec/attach
 * streams (error first) or port-forward stream pairs (error, then data, one requestID).
 */
import http from 'node:http';
import {
  HEADER_PORT,
  HEADER_PROTOCOL_VERSION,
  HEADER_REQUEST_ID,
  HEADER_STREAM_TYPE,
  PORT_FORWARD_PROTOCOL,
  RemoteCommandProtocol,
  SPDY_TUNNEL_PORT_FORWARD_PROTOCOL,
  SPDY_UPGRADE,
  StreamType,
} from '../protocols.js';
import { SpdySession } from '../spdy/session.js';
import type { SpdyStream } from '../spdy/stream.js';
import { ReceivedData, receive } from './output.js';
import { openWebSocketTunnel } from './ws-tunnel.js';
import { parseErrorChannel, type RemoteCommandResult } from './status.js';

/** The server answered the upgrade with an HTTP status instead of 101. */
export class UpgradeRefusedError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly headers: http.IncomingHttpHeaders,
  ) {
    super(`upgrade refused with HTTP ${status}: ${body.trim()}`);
    this.name = 'UpgradeRefusedError';
  }
}

/** Upgrade an HTTP request to SPDY/3.1 and start a client session on the connection. */
export function connectSpdy(url: string, protocols: string[]): Promise<{ session: SpdySession; protocol: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      headers: { Connection: 'Upgrade', Upgrade: SPDY_UPGRADE, [HEADER_PROTOCOL_VERSION]: protocols },
    });
    req.on('upgrade', (res, socket, head) => {
      const session = new SpdySession(socket, { role: 'client' });
      session.receive(head);
      resolve({ session, protocol: String(res.headers[HEADER_PROTOCOL_VERSION.toLowerCase()] ?? '') });
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => reject(new UpgradeRefusedError(res.statusCode ?? 0, body, res.headers)));
    });
    req.on('error', reject);
    req.end();
  });
}

export interface CommandStreamsWanted {
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  tty?: boolean;
}

export const ALL_SPDY_REMOTE_COMMAND_PROTOCOLS = [RemoteCommandProtocol.V4, RemoteCommandProtocol.V3, RemoteCommandProtocol.V2, RemoteCommandProtocol.V1];

/** An exec or attach session over SPDY. */
export class SpdyRemoteCommandClient {
  readonly stdout: ReceivedData;
  readonly stderr: ReceivedData;
  private readonly errors: ReceivedData;

  private constructor(
    readonly session: SpdySession,
    readonly protocol: string,
    private readonly streams: Map<string, SpdyStream>,
  ) {
    const drained = (type: string): ReceivedData | undefined => {
      const stream = streams.get(type);
      return stream ? receive(stream) : undefined;
    };
    this.errors = drained(StreamType.Error)!;
    this.stdout = drained(StreamType.Stdout) ?? endedChannel();
    this.stderr = drained(StreamType.Stderr) ?? endedChannel();
  }

  static async connect(url: string, wanted: CommandStreamsWanted, protocols: string[] = ALL_SPDY_REMOTE_COMMAND_PROTOCOLS): Promise<SpdyRemoteCommandClient> {
    const { session, protocol } = await connectSpdy(url, protocols);
    const types: string[] = [StreamType.Error];
    if (wanted.stdin) types.push(StreamType.Stdin);
    if (wanted.stdout) types.push(StreamType.Stdout);
    if (wanted.stderr && !wanted.tty) types.push(StreamType.Stderr);
    if (wanted.tty && (protocol === RemoteCommandProtocol.V3 || protocol === RemoteCommandProtocol.V4)) types.push(StreamType.Resize);
    const streams = new Map(types.map((type) => [type, session.openStream({ [HEADER_STREAM_TYPE]: type })]));
    for (const stream of streams.values()) stream.on('error', () => undefined);
    await Promise.all([...streams.values()].map((s) => s.response));
    return new SpdyRemoteCommandClient(session, protocol, streams);
  }

  write(data: string | Buffer): void {
    this.stream(StreamType.Stdin).write(data);
  }

  /** Half-close stdin: the process reads EOF. */
  endStdin(): void {
    this.stream(StreamType.Stdin).end();
  }

  resize(width: number, height: number): void {
    this.stream(StreamType.Resize).write(`${JSON.stringify({ Width: width, Height: height })}\n`);
  }

  /** Wait for the end of the session: all output, then the status. */
  async result(timeoutMs = 10_000): Promise<RemoteCommandResult> {
    const [errorText] = await Promise.all([this.errors.waitForEnd(timeoutMs), this.stdout.waitForEnd(timeoutMs), this.stderr.waitForEnd(timeoutMs)]);
    return parseErrorChannel(this.protocol, errorText.toString('utf8'));
  }

  /** Drop the connection, as a client that disappears does. */
  destroy(): void {
    this.session.destroy();
  }

  private stream(type: string): SpdyStream {
    const stream = this.streams.get(type);
    if (!stream) throw new Error(`this session has no ${type} stream`);
    return stream;
  }
}

/** A port-forward session over SPDY: one error+data stream pair per forwarded connection. */
export class SpdyPortForwardClient {
  private nextRequestId = 0;

  private constructor(readonly session: SpdySession) {}

  /** `websocket-tunnel` carries the same SPDY session inside binary WebSocket messages. */
  static async connect(url: string, transport: 'spdy' | 'websocket-tunnel' = 'spdy'): Promise<SpdyPortForwardClient> {
    if (transport === 'spdy') return new SpdyPortForwardClient((await connectSpdy(url, [PORT_FORWARD_PROTOCOL])).session);
    const connection = await openWebSocketTunnel(url, SPDY_TUNNEL_PORT_FORWARD_PROTOCOL);
    connection.on('error', () => undefined);
    return new SpdyPortForwardClient(new SpdySession(connection, { role: 'client' }));
  }

  /** Open one forwarded connection to a port in the pod. */
  async open(port: number): Promise<ForwardedConnection> {
    const requestId = String(this.nextRequestId++);
    const headers = { [HEADER_PORT]: String(port), [HEADER_REQUEST_ID]: requestId };
    const error = this.session.openStream({ ...headers, [HEADER_STREAM_TYPE]: StreamType.Error });
    const data = this.session.openStream({ ...headers, [HEADER_STREAM_TYPE]: StreamType.Data });
    error.on('error', () => undefined);
    data.on('error', () => undefined);
    await Promise.all([error.response, data.response]);
    error.end();
    return { data, received: receive(data), errors: receive(error) };
  }

  /** Send a request on a new connection, half-close, and collect the whole answer. */
  async request(port: number, payload: string | Buffer, timeoutMs = 10_000): Promise<{ data: Buffer; error: string }> {
    const connection = await this.open(port);
    connection.data.end(payload);
    const [data, error] = await Promise.all([connection.received.waitForEnd(timeoutMs), connection.errors.waitForEnd(timeoutMs)]);
    return { data, error: error.toString('utf8') };
  }

  close(): void {
    this.session.destroy();
  }
}

export interface ForwardedConnection {
  data: SpdyStream;
  received: ReceivedData;
  errors: ReceivedData;
}

/** A channel the session does not have: already over and empty. */
function endedChannel(): ReceivedData {
  const received = new ReceivedData();
  received.end();
  return received;
}
