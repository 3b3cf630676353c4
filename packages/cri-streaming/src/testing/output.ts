/** What a client received on one channel, with ways to wait for it. */
export class ReceivedData {
  private readonly chunks: Buffer[] = [];
  private readonly waiters = new Set<() => void>();
  private ended = false;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.notify();
  }

  end(): void {
    this.ended = true;
    this.notify();
  }

  get buffer(): Buffer {
    return Buffer.concat(this.chunks);
  }

  get text(): string {
    return this.buffer.toString('utf8');
  }

  get length(): number {
    return this.chunks.reduce((n, c) => n + c.length, 0);
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Resolves when the text matches (or the channel ends without it: rejects); times out after timeoutMs. */
  waitFor(pattern: string | RegExp, timeoutMs = 5000): Promise<string> {
    const matches = (): boolean => (typeof pattern === 'string' ? this.text.includes(pattern) : pattern.test(this.text));
    return this.until(matches, `${String(pattern)} in ${JSON.stringify(this.text.slice(-200))}`, timeoutMs).then(() => this.text);
  }

  /** Resolves when the channel has ended. */
  waitForEnd(timeoutMs = 10_000): Promise<Buffer> {
    return this.until(() => this.ended, 'the end of the channel', timeoutMs).then(() => this.buffer);
  }

  private until(done: () => boolean, what: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (done()) finish();
        else if (this.ended) finish(new Error(`channel ended without ${what}`));
      };
      const finish = (err?: Error): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(() => finish(new Error(`timed out waiting for ${what}`)), timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  private notify(): void {
    for (const check of [...this.waiters]) check();
  }
}

/** Collect a readable into a ReceivedData (the stream's writable side is left alone). */
export function receive(stream: NodeJS.ReadableStream): ReceivedData {
  const received = new ReceivedData();
  stream.on('data', (chunk: Buffer) => received.push(chunk));
  stream.on('end', () => received.end());
  stream.on('close', () => received.end());
  stream.on('error', () => received.end());
  return received;
}
