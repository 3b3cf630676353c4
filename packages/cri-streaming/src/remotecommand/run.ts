/**
 * One exec or attach session, whatever the transport: start the process, wire the client's
 * channels to it, report how it ended on the error channel. Whatever happens, the process is
 * closed exactly once, and at once if the client goes away.
 */
import type { Readable, Writable } from 'node:stream';
import { errorMessage, type InteractiveProcess, type Logger } from '@criod/core';
import { discard, pump, type PumpResult } from '../pump.js';
import { TerminalSizeDecoder } from './resize.js';
import { commandStatus, type CommandOutcome, type MetaStatus } from './status.js';

/** The client's side of a session, as a transport (SPDY or WebSocket) delivers it. */
export interface CommandChannels {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  resize?: Readable;
  /** Send the final status on the error channel and finish that channel. */
  writeStatus(status: MetaStatus): Promise<void>;
  /** End the connection once what was written is out. */
  close(): void;
  /** Resolves when the connection is gone, closed by us or lost. */
  readonly closed: Promise<void>;
}

export interface RemoteCommandOptions {
  /** exec reports a non-zero exit as NonZeroExitCode; attach reports Success. */
  reportExitCode: boolean;
  logger: Logger;
}

export async function runRemoteCommand(channels: CommandChannels, start: () => Promise<InteractiveProcess>, options: RemoteCommandOptions): Promise<void> {
  const { logger } = options;
  const lost = channels.closed.then(() => 'lost' as const);
  const starting = start();
  let started: InteractiveProcess | 'lost';
  try {
    started = await Promise.race([starting, lost]);
  } catch (err) {
    logger.warn({ err: errorMessage(err) }, 'streaming: the process did not start');
    await finish(channels, { kind: 'failed', message: errorMessage(err) }, options);
    return;
  }
  if (started === 'lost') {
    // The client left while the process was starting: close it as soon as it exists.
    starting.then((proc) => proc.close()).catch(() => undefined);
    return;
  }
  const proc = started;
  try {
    const outputs = [forwardOutput(proc.stdout, channels.stdout)];
    if (proc.stderr) outputs.push(forwardOutput(proc.stderr, channels.stderr));
    if (channels.stdin) forwardInput(channels.stdin, proc.stdin);
    if (channels.resize) forwardResizes(channels.resize, proc, logger);

    const exit = proc.wait().then(
      (exitCode): CommandOutcome => ({ kind: 'exited', exitCode }),
      (err: unknown): CommandOutcome => ({ kind: 'failed', message: errorMessage(err) }),
    );
    const outcome = await Promise.race([exit, lost]);
    if (outcome === 'lost') return;
    // The exit status goes last, after every byte of output.
    if ((await Promise.race([Promise.all(outputs), lost])) === 'lost') return;
    await finish(channels, outcome, options);
  } finally {
    await proc.close().catch((err: unknown) => logger.warn({ err: errorMessage(err) }, 'streaming: closing the process failed'));
  }
}

async function finish(channels: CommandChannels, outcome: CommandOutcome, options: RemoteCommandOptions): Promise<void> {
  try {
    await channels.writeStatus(commandStatus(outcome, options.reportExitCode));
  } catch (err) {
    options.logger.debug({ err: errorMessage(err) }, 'streaming: the exit status could not be sent');
  }
  channels.close();
}

function forwardOutput(source: NodeJS.ReadableStream, channel: Writable | undefined): Promise<PumpResult> {
  // Output the client did not ask for is read and dropped, so the process never blocks on it.
  return channel ? pump(source, channel) : discard(source);
}

function forwardInput(channel: Readable, stdin: NodeJS.WritableStream | undefined): void {
  if (stdin) void pump(channel, stdin);
  else channel.resume();
}

function forwardResizes(channel: Readable, proc: InteractiveProcess, logger: Logger): void {
  const decoder = new TerminalSizeDecoder();
  channel.on('data', (chunk: Buffer) => {
    try {
      for (const size of decoder.push(chunk)) proc.resize(size.width, size.height);
    } catch (err) {
      logger.debug({ err: errorMessage(err) }, 'streaming: ignoring the rest of the resize stream');
    }
  });
  channel.on('error', () => undefined);
}
