/**
 * port-forward over SPDY (kubelet's portforward server side): for every forwarded connection the
 * client opens an error stream and a data stream carrying the same `port` and `requestID` headers;
 * once both are there the data stream is bridged to a new connection into the pod. Many requests,
 * to several ports, run at once on one session.
 */
import type { Logger } from '@criod/core';
import type { StreamingBackend } from '../backend.js';
import { HEADER_PORT, HEADER_REQUEST_ID, HEADER_STREAM_TYPE, StreamType } from '../protocols.js';
import { RstStatus } from '../spdy/frames.js';
import type { SpdyStream } from '../spdy/stream.js';
import { forwardPort } from './forward.js';

interface StreamPair {
  data?: SpdyStream;
  error?: SpdyStream;
  timer: NodeJS.Timeout;
}

export class SpdyPortForwarder {
  private readonly pairs = new Map<string, StreamPair>();
  private readonly forwards = new Set<Promise<void>>();

  constructor(
    private readonly backend: StreamingBackend,
    private readonly podSandboxId: string,
    private readonly pairTimeoutMs: number,
    private readonly logger: Logger,
  ) {}

  accept(stream: SpdyStream): void {
    const type = stream.header(HEADER_STREAM_TYPE);
    const port = parsePort(stream.header(HEADER_PORT));
    if (port === undefined || (type !== StreamType.Data && type !== StreamType.Error)) {
      this.logger.debug({ streamType: type, port: stream.header(HEADER_PORT) }, 'streaming: refusing a port-forward stream');
      stream.reset(RstStatus.RefusedStream);
      return;
    }
    stream.on('error', () => undefined);
    stream.reply();
    const requestId = this.requestId(stream, type);
    let pair = this.pairs.get(requestId);
    if (!pair) {
      const timer = setTimeout(() => this.expire(requestId), this.pairTimeoutMs);
      timer.unref();
      pair = { timer };
      this.pairs.set(requestId, pair);
    }
    const slot = type === StreamType.Data ? 'data' : 'error';
    if (pair[slot]) {
      stream.end(`error processing stream for request ${requestId}: ${slot} stream already assigned`);
      return;
    }
    pair[slot] = stream;
    if (pair.data && pair.error) {
      clearTimeout(pair.timer);
      this.pairs.delete(requestId);
      this.start(pair.data, pair.error, port);
    }
  }

  /** Wait for the forwards still running (they end when the session goes). */
  async settled(): Promise<void> {
    for (const pair of this.pairs.values()) clearTimeout(pair.timer);
    this.pairs.clear();
    await Promise.all(this.forwards);
  }

  private start(data: SpdyStream, error: SpdyStream, port: number): void {
    error.resume();
    const forward = forwardPort(this.backend, this.podSandboxId, port, { fromClient: data, toClient: data, errors: error }, this.logger);
    this.forwards.add(forward);
    void forward.finally(() => this.forwards.delete(forward));
  }

  private expire(requestId: string): void {
    const pair = this.pairs.get(requestId);
    if (!pair) return;
    this.pairs.delete(requestId);
    pair.error?.end(`timed out waiting for the data and error streams of request ${requestId}`);
    pair.data?.reset();
  }

  /**
   * Clients older than the requestID header get one from the stream ids: a connection's error
   * and data streams are consecutive odd ids, error first (kubelet's best effort, kept for them).
   */
  private requestId(stream: SpdyStream, type: string): string {
    const header = stream.header(HEADER_REQUEST_ID);
    if (header) return header;
    return String(type === StreamType.Error ? stream.id : stream.id - 2);
  }
}

export function parsePort(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,5}$/.test(value)) return undefined;
  const port = Number(value);
  return port >= 1 && port <= 65535 ? port : undefined;
}
