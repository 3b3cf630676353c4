import type { Readable } from 'node:stream';

/** One message conmon writes on its sync pipe: `{"data": N, "message": "..."}` (API version 1). */
export interface SyncMessage {
  data: number;
  message?: string;
}

/**
 * Reads conmon's sync pipe (`_OCI_SYNCPIPE`) one JSON line at a time. For a container create it
 * carries the init PID or, negative, runc's error; for an exec the PID, then the exit code.
 */
export class SyncPipe {
  private buffer = '';
  private readonly queue: (SyncMessage | undefined)[] = [];
  private readonly readers: ((m: SyncMessage | undefined) => void)[] = [];
  private ended = false;

  constructor(private readonly stream: Readable) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => this.push(chunk));
    stream.on('end', () => this.finish());
    stream.on('close', () => this.finish());
    stream.on('error', () => this.finish());
  }

  /** The next message, or undefined once conmon closed the pipe without one. */
  next(): Promise<SyncMessage | undefined> {
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift());
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => this.readers.push(resolve));
  }

  close(): void {
    this.stream.destroy();
  }

  private push(chunk: string): void {
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line) this.deliver(parseSyncMessage(line));
    }
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    for (const reader of this.readers.splice(0)) reader(undefined);
  }

  private deliver(message: SyncMessage): void {
    const reader = this.readers.shift();
    if (reader) reader(message);
    else this.queue.push(message);
  }
}

/** Parses one line; the legacy keys "pid" and "exit_code" of API version 0 are accepted too. */
export function parseSyncMessage(line: string): SyncMessage {
  try {
    const raw = JSON.parse(line) as { data?: unknown; pid?: unknown; exit_code?: unknown; message?: unknown };
    const data = raw.data ?? raw.pid ?? raw.exit_code;
    if (typeof data === 'number') {
      return typeof raw.message === 'string' ? { data, message: raw.message } : { data };
    }
  } catch {
    // fall through: report the line itself
  }
  return { data: -1, message: `unreadable message from conmon: ${line}` };
}
