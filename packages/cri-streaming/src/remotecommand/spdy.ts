/**
 * exec/attach over SPDY (kubelet's remotecommand server side): the client opens one stream per
 * channel, each named by its streamType header; the session starts once every expected stream is
 * there (error always, stdin/stdout as asked, stderr without tty, resize with tty from v3 on).
 */
import type { Logger } from '@criod/core';
import { deferred } from '../deferred.js';
import { RemoteCommandProtocol, StreamType, HEADER_STREAM_TYPE } from '../protocols.js';
import { SpdySession } from '../spdy/session.js';
import type { SpdyStream } from '../spdy/stream.js';
import type { CommandChannels } from './run.js';
import { encodeStatus, type MetaStatus } from './status.js';

/** Server preference does not matter: the first protocol the client lists that we speak wins. */
export const SPDY_REMOTE_COMMAND_PROTOCOLS: readonly string[] = [
  RemoteCommandProtocol.V4,
  RemoteCommandProtocol.V3,
  RemoteCommandProtocol.V2,
  RemoteCommandProtocol.V1,
];

export interface CommandWants {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

type ChannelName = 'error' | 'stdin' | 'stdout' | 'stderr' | 'resize';

/** Collects the streams of one exec/attach connection; `ready` gives the channels or undefined (timeout, lost). */
export class SpdyCommandStreams {
  private readonly streams = new Map<ChannelName, SpdyStream>();
  private readonly expected: Set<ChannelName>;
  private readonly result = deferred<CommandChannels | undefined>();
  private readonly timer: NodeJS.Timeout;
  private session: SpdySession | undefined;

  constructor(
    private readonly protocol: string,
    wants: CommandWants,
    timeoutMs: number,
    private readonly logger: Logger,
  ) {
    const resizeSupported = protocol === RemoteCommandProtocol.V3 || protocol === RemoteCommandProtocol.V4;
    this.expected = new Set<ChannelName>(['error']);
    if (wants.stdin) this.expected.add('stdin');
    if (wants.stdout) this.expected.add('stdout');
    if (wants.stderr && !wants.tty) this.expected.add('stderr');
    if (wants.tty && resizeSupported) this.expected.add('resize');
    this.timer = setTimeout(() => {
      this.logger.warn({ missing: [...this.expected].filter((n) => !this.streams.has(n)) }, 'streaming: timed out waiting for the client to create streams');
      this.abandon();
    }, timeoutMs);
    this.timer.unref();
  }

  get ready(): Promise<CommandChannels | undefined> {
    return this.result.promise;
  }

  /** Bind to the session once it exists (its streams arrive through accept()). */
  attach(session: SpdySession): void {
    this.session = session;
    void session.done.then(() => this.abandon());
  }

  accept(stream: SpdyStream): void {
    stream.reply();
    const type = stream.header(HEADER_STREAM_TYPE);
    const name = channelName(type);
    // Streams we do not use are still drained, so they never hold the connection back.
    stream.on('error', () => undefined);
    if (!name || !this.expected.has(name) || this.streams.has(name)) {
      this.logger.debug({ streamType: type }, 'streaming: ignoring an unexpected stream');
      stream.resume();
      return;
    }
    this.streams.set(name, stream);
    if (name !== 'stdin' && name !== 'resize') stream.resume();
    if (this.streams.size === this.expected.size) {
      clearTimeout(this.timer);
      this.result.resolve(this.channels());
    }
  }

  private abandon(): void {
    clearTimeout(this.timer);
    this.result.resolve(undefined);
    this.session?.destroy();
  }

  private channels(): CommandChannels {
    const session = this.session!;
    const error = this.streams.get('error')!;
    const json = this.protocol === RemoteCommandProtocol.V4;
    return {
      stdin: this.streams.get('stdin'),
      stdout: this.streams.get('stdout'),
      stderr: this.streams.get('stderr'),
      resize: this.streams.get('resize'),
      writeStatus: (status: MetaStatus) =>
        new Promise<void>((resolve, reject) => {
          error.once('close', resolve);
          error.end(encodeStatus(status, json), (err?: Error | null) => (err ? reject(err) : resolve()));
        }),
      close: () => session.close(),
      closed: session.done,
    };
  }
}

function channelName(type: string | undefined): ChannelName | undefined {
  switch (type) {
    case StreamType.Error:
    case StreamType.Stdin:
    case StreamType.Stdout:
    case StreamType.Stderr:
    case StreamType.Resize:
      return type;
    default:
      return undefined;
  }
}
