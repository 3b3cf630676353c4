/**
 * The streaming server: the CRI Exec/Attach/PortForward RPCs park their request behind a
 * single-use token and answer `<url>/{exec,attach,portforward}/<token>`; kubelet (or crictl)
 * connects there and upgrades to SPDY/3.1 or to a WebSocket. Routes, token checks and protocol
 * negotiation live here; the sessions live in remotecommand/ and portforward/.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream, type WebSocket } from 'ws';
import { errorMessage, FailedPreconditionError, InvalidArgumentError, silentLogger, type Logger } from '@criod/core';
import type { AttachRequest, ExecRequest, PortForwardRequest, StreamingBackend } from './backend.js';
import { SpdyPortForwarder, parsePort } from './portforward/spdy.js';
import { serveWebSocketPortForward, WEBSOCKET_PORT_FORWARD_PROTOCOLS } from './portforward/websocket.js';
import {
  HEADER_ACCEPTED_PROTOCOL_VERSIONS,
  HEADER_PROTOCOL_VERSION,
  PORT_FORWARD_PROTOCOL,
  SPDY_TUNNEL_PORT_FORWARD_PROTOCOL,
  SPDY_UPGRADE,
} from './protocols.js';
import { runRemoteCommand, type CommandChannels } from './remotecommand/run.js';
import { SPDY_REMOTE_COMMAND_PROTOCOLS, SpdyCommandStreams, type CommandWants } from './remotecommand/spdy.js';
import { openWebSocketCommandChannels, WEBSOCKET_REMOTE_COMMAND_PROTOCOLS } from './remotecommand/websocket.js';
import { SpdySession } from './spdy/session.js';
import { RequestTokens, type PendingRequest, type RequestKind } from './tokens.js';

export interface StreamingServerOptions {
  /** Listen address; default 127.0.0.1. */
  address?: string;
  /** Listen port; 0 (default) picks a free one. */
  port?: number;
  backend: StreamingBackend;
  logger?: Logger;
  /** How long a URL stays valid before its first use; default 60 s (kubelet's). */
  tokenTtlMs?: number;
  /** How long a client has to open its streams after the upgrade; default 30 s (kubelet's). */
  streamCreationTimeoutMs?: number;
  /** Requests waiting for their client at most; default 1000 (kubelet's). */
  maxPendingRequests?: number;
}

export interface StreamingServer {
  /** Base URL, e.g. http://127.0.0.1:38711 */
  readonly url: string;
  /** Park an exec and return the URL its client connects to. */
  exec(req: ExecRequest): string;
  attach(req: AttachRequest): string;
  portForward(req: PortForwardRequest): string;
  /** Sessions (connections past the upgrade) still running. */
  readonly activeSessions: number;
  /** Stop listening, end every session and close every process and connection it holds. */
  close(): Promise<void>;
}

/** WebSocket messages larger than this are refused (clients send at most 32 KiB at a time). */
const MAX_WEBSOCKET_MESSAGE = 4 * 1024 * 1024;
const routes: ReadonlyMap<string, RequestKind> = new Map([
  ['exec', 'exec'],
  ['attach', 'attach'],
  ['portforward', 'portforward'],
]);

export async function createStreamingServer(options: StreamingServerOptions): Promise<StreamingServer> {
  const server = new StreamingHttpServer(options);
  await server.listen(options.address ?? '127.0.0.1', options.port ?? 0);
  return server;
}

type CommandRequest = Exclude<PendingRequest, { kind: 'portforward' }>;

class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string[]> = {},
  ) {
    super(message);
  }
}

class StreamingHttpServer implements StreamingServer {
  private readonly http = http.createServer();
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_WEBSOCKET_MESSAGE });
  private readonly chosenProtocols = new WeakMap<http.IncomingMessage, string>();
  private readonly tokens: RequestTokens;
  private readonly backend: StreamingBackend;
  private readonly logger: Logger;
  private readonly streamTimeoutMs: number;
  /** Every live session: how to cut it, and when it is over. */
  private readonly sessions = new Map<Promise<void>, () => void>();
  private baseUrl = '';
  private closing = false;

  constructor(options: StreamingServerOptions) {
    this.backend = options.backend;
    this.logger = (options.logger ?? silentLogger).child({ component: 'cri-streaming' });
    this.tokens = new RequestTokens(options.tokenTtlMs ?? 60_000, options.maxPendingRequests ?? 1000);
    this.streamTimeoutMs = options.streamCreationTimeoutMs ?? 30_000;
    this.http.on('request', (req, res) => this.onPlainRequest(req, res));
    this.http.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    this.wss.on('headers', (headers: string[], req: http.IncomingMessage) => {
      const protocol = this.chosenProtocols.get(req);
      if (protocol) headers.push(`Sec-WebSocket-Protocol: ${protocol}`);
    });
  }

  get url(): string {
    return this.baseUrl;
  }

  get activeSessions(): number {
    return this.sessions.size;
  }

  async listen(address: string, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, address, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
    const bound = this.http.address() as AddressInfo;
    const host = bound.address.includes(':') ? `[${bound.address}]` : bound.address;
    this.baseUrl = `http://${host}:${bound.port}`;
    this.logger.info({ url: this.baseUrl }, 'streaming server listening');
  }

  exec(req: ExecRequest): string {
    validateCommandRequest('exec', req);
    if (req.cmd.length === 0) throw new InvalidArgumentError(`exec in container ${req.containerId}: cmd is empty`);
    return this.park({ kind: 'exec', request: { ...req, cmd: [...req.cmd] } });
  }

  attach(req: AttachRequest): string {
    validateCommandRequest('attach', req);
    return this.park({ kind: 'attach', request: { ...req } });
  }

  portForward(req: PortForwardRequest): string {
    if (!req.podSandboxId) throw new InvalidArgumentError('port-forward: missing required pod_sandbox_id');
    const bad = req.ports.find((p) => parsePort(String(p)) === undefined);
    if (bad !== undefined) throw new InvalidArgumentError(`port-forward to pod ${req.podSandboxId}: port ${bad} is not in 1-65535`);
    return this.park({ kind: 'portforward', request: { podSandboxId: req.podSandboxId, ports: [...req.ports] } });
  }

  async close(): Promise<void> {
    this.closing = true;
    const stopped = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeAllConnections();
    for (const cut of this.sessions.values()) cut();
    await Promise.all(this.sessions.keys());
    this.wss.close();
    await stopped;
  }

  private park(pending: PendingRequest): string {
    if (this.closing) throw new FailedPreconditionError('the streaming server is shutting down');
    return `${this.baseUrl}/${pending.kind}/${this.tokens.issue(pending)}`;
  }

  /** The request behind a URL path /<kind>/<token>, taking the token; a refusal otherwise. */
  private take(url: string | undefined): PendingRequest {
    const [, kindPart, token, ...rest] = new URL(url ?? '/', 'http://streaming').pathname.split('/');
    const kind = routes.get(kindPart ?? '');
    const pending = kind && token && rest.length === 0 ? this.tokens.consume(kind, token) : undefined;
    if (!pending) throw new HttpRefusal(404, 'unknown, used or expired streaming URL');
    return pending;
  }

  private onPlainRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    let status: number;
    let message: string;
    try {
      this.take(req.url);
      [status, message] = [400, 'this URL needs a connection upgrade to SPDY/3.1 or WebSocket'];
    } catch (err) {
      [status, message] = err instanceof HttpRefusal ? [err.status, err.message] : [500, errorMessage(err)];
    }
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`${message}\n`);
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', (err) => this.logger.debug({ err: err.message }, 'streaming: client connection error'));
    try {
      const pending = this.take(req.url);
      const upgrade = (req.headers.upgrade ?? '').toLowerCase();
      if (upgrade === 'websocket') this.upgradeWebSocket(pending, req, socket, head);
      else if (upgrade === SPDY_UPGRADE.toLowerCase()) this.upgradeSpdy(pending, req, socket, head);
      else throw new HttpRefusal(400, `unsupported upgrade "${req.headers.upgrade ?? ''}": use ${SPDY_UPGRADE} or websocket`);
    } catch (err) {
      const refusal = err instanceof HttpRefusal ? err : new HttpRefusal(500, errorMessage(err));
      refuse(socket, refusal);
    }
  }

  // --- SPDY ---------------------------------------------------------------------------------

  private upgradeSpdy(pending: PendingRequest, req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const offered = listHeader(req.headersDistinct[HEADER_PROTOCOL_VERSION.toLowerCase()]);
    const supported = pending.kind === 'portforward' ? [PORT_FORWARD_PROTOCOL] : SPDY_REMOTE_COMMAND_PROTOCOLS;
    if (offered.length === 0) throw new HttpRefusal(400, `unable to upgrade: ${HEADER_PROTOCOL_VERSION} is required`);
    const protocol = offered.find((p) => supported.includes(p));
    if (!protocol) {
      throw new HttpRefusal(
        403,
        `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${supported.join(' ')}]`,
        { [HEADER_ACCEPTED_PROTOCOL_VERSIONS]: [...supported] },
      );
    }
    socket.write('HTTP/1.1 101 Switching Protocols\r\n' + `Connection: Upgrade\r\nUpgrade: ${SPDY_UPGRADE}\r\n${HEADER_PROTOCOL_VERSION}: ${protocol}\r\n\r\n`);
    this.logger.debug({ kind: pending.kind, protocol }, 'streaming: SPDY session');
    if (pending.kind === 'portforward') {
      this.serveSpdyPortForward(pending.request, socket, head);
      return;
    }
    const collector = new SpdyCommandStreams(protocol, wantsOf(pending.request), this.streamTimeoutMs, this.logger);
    const session = new SpdySession(socket, { role: 'server', onStream: (s) => collector.accept(s), logger: this.logger });
    collector.attach(session);
    session.receive(head);
    this.track(
      collector.ready.then(async (channels) => {
        if (channels) await this.runCommand(pending, channels);
        await session.done;
      }),
      () => session.destroy(),
    );
  }

  private serveSpdyPortForward(request: PortForwardRequest, connection: Duplex, head: Buffer): void {
    const forwarder = new SpdyPortForwarder(this.backend, request.podSandboxId, this.streamTimeoutMs, this.logger);
    const session = new SpdySession(connection, { role: 'server', onStream: (s) => forwarder.accept(s), logger: this.logger });
    session.receive(head);
    this.track(
      session.done.then(() => forwarder.settled()),
      () => session.destroy(),
    );
  }

  // --- WebSocket ----------------------------------------------------------------------------

  private upgradeWebSocket(pending: PendingRequest, req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const offered = listHeader(req.headersDistinct['sec-websocket-protocol']);
    const supported =
      pending.kind === 'portforward' ? [...WEBSOCKET_PORT_FORWARD_PROTOCOLS, SPDY_TUNNEL_PORT_FORWARD_PROTOCOL] : WEBSOCKET_REMOTE_COMMAND_PROTOCOLS;
    // No subprotocol at all is kubelet's binary channel protocol.
    const protocol = offered.length === 0 ? '' : offered.find((p) => supported.includes(p));
    if (protocol === undefined) {
      throw new HttpRefusal(400, `requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${supported.join(' ')}]`);
    }
    const ports = pending.kind === 'portforward' && protocol !== SPDY_TUNNEL_PORT_FORWARD_PROTOCOL ? queryPorts(req, pending.request) : [];
    // We negotiate, not ws: it would refuse "SPDY/3.1+portforward.k8s.io" ('/' is not a token
    // character), which is what client-go sends. The answer header is added on 'headers'.
    this.chosenProtocols.set(req, protocol);
    delete req.headers['sec-websocket-protocol'];
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.logger.debug({ kind: pending.kind, protocol }, 'streaming: WebSocket session');
      if (pending.kind !== 'portforward') {
        this.track(
          openWebSocketCommandChannels(ws, protocol, wantsOf(pending.request)).then(async (channels) => {
            await this.runCommand(pending, channels);
            await channels.closed;
          }),
          () => ws.terminate(),
        );
      } else if (protocol === SPDY_TUNNEL_PORT_FORWARD_PROTOCOL) {
        this.serveSpdyPortForward(pending.request, tunnel(ws), Buffer.alloc(0));
      } else {
        this.track(serveWebSocketPortForward(ws, protocol, ports, this.backend, pending.request.podSandboxId, this.logger), () => ws.terminate());
      }
    });
  }

  // --- sessions -----------------------------------------------------------------------------

  private runCommand(pending: CommandRequest, channels: CommandChannels): Promise<void> {
    const backend = this.backend;
    if (pending.kind === 'exec') {
      const { containerId, cmd, tty, stdin } = pending.request;
      return runRemoteCommand(channels, () => backend.exec(containerId, cmd, { tty, stdin }), {
        reportExitCode: true,
        logger: this.logger.child({ containerId, op: 'exec' }),
      });
    }
    const { containerId, tty, stdin } = pending.request;
    return runRemoteCommand(channels, () => backend.attach(containerId, { tty, stdin }), {
      reportExitCode: false,
      logger: this.logger.child({ containerId, op: 'attach' }),
    });
  }

  private track(session: Promise<unknown>, cut: () => void): void {
    const done = session.then(
      () => undefined,
      (err: unknown) => {
        this.logger.warn({ err: errorMessage(err) }, 'streaming session failed');
        cut();
      },
    );
    this.sessions.set(done, cut);
    void done.finally(() => this.sessions.delete(done));
    if (this.closing) cut();
  }
}

function validateCommandRequest(op: string, req: AttachRequest): void {
  if (!req.containerId) throw new InvalidArgumentError(`${op}: missing required container_id`);
  // With a tty stderr is merged into stdout: there is no second stream to give.
  if (req.tty && req.stderr) throw new InvalidArgumentError(`${op} in container ${req.containerId}: tty and stderr cannot both be true`);
  if (!req.stdin && !req.stdout && !req.stderr) {
    throw new InvalidArgumentError(`${op} in container ${req.containerId}: one of stdin, stdout, or stderr must be set`);
  }
}

function wantsOf(req: AttachRequest): CommandWants {
  return { stdin: req.stdin, stdout: req.stdout, stderr: req.stderr, tty: req.tty };
}

/** Values of a header that may repeat and may hold comma-separated lists. */
function listHeader(values: string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}

/** WebSocket port-forward names its ports in the query (?port=80&port=443 or ?port=80,443). */
function queryPorts(req: http.IncomingMessage, request: PortForwardRequest): number[] {
  const values = new URL(req.url ?? '/', 'http://streaming').searchParams.getAll('port').flatMap((v) => v.split(','));
  if (values.length === 0) {
    if (request.ports.length > 0) return request.ports;
    throw new HttpRefusal(400, 'query parameter "port" is required');
  }
  return values.map((value) => {
    const port = parsePort(value.trim());
    if (port === undefined) throw new HttpRefusal(400, `unable to parse "${value}" as a port`);
    return port;
  });
}

/** A WebSocket carrying a byte stream in binary messages, as a Duplex (the SPDY tunnel). */
function tunnel(ws: WebSocket): Duplex {
  const duplex = createWebSocketStream(ws);
  duplex.on('error', () => undefined);
  return duplex;
}

function refuse(socket: Duplex, refusal: HttpRefusal): void {
  const body = `${refusal.message}\n`;
  const extra = Object.entries(refusal.headers).flatMap(([name, values]) => values.map((v) => `${name}: ${v}\r\n`));
  socket.end(
    `HTTP/1.1 ${refusal.status} ${http.STATUS_CODES[refusal.status] ?? ''}\r\n` +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      extra.join('') +
      `Connection: close\r\n\r\n${body}`,
  );
}
