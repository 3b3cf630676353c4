/**
 * A small resident Perl process criod talks to by lines: each request is `<id> NUL <fields…>`,
 * each answer `<id> NUL <fields…>`, in any order. The syscall helper and the spawn helper are
 * two programs on this plumbing. A helper that dies fails every request in flight; the next
 * request starts a new one.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

/** Why a request got no answer: the helper ended (EIO) or did not answer in time (ETIMEDOUT). */
export type HelperFailure = (code: 'EIO' | 'ETIMEDOUT', why: string) => Error;

interface Pending {
  resolve: (fields: string[]) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

export class ResidentPerl {
  private child: ChildProcessByStdio<Writable, Readable, null> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(
    private readonly perl: string,
    private readonly script: string,
    private readonly args: readonly string[],
    private readonly failure: HelperFailure,
  ) {}

  /** Send one request; a helper silent for `timeoutMs` (0 = wait forever) is killed. */
  request(fields: readonly string[], timeoutMs: number): Promise<string[]> {
    const child = this.start();
    const id = this.nextId++;
    return new Promise<string[]>((resolve, reject) => {
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.fail(this.failure('ETIMEDOUT', `did not answer within ${timeoutMs} ms`));
              child.kill('SIGKILL');
            }, timeoutMs)
          : undefined;
      this.pending.set(id, { resolve, reject, timer });
      child.stdin.write(`${[String(id), ...fields].join('\0')}\n`);
    });
  }

  /** End the helper (it also ends by itself when criod's end of its stdin closes). */
  close(): void {
    this.child?.stdin.end();
    this.child = undefined;
  }

  private start(): ChildProcessByStdio<Writable, Readable, null> {
    if (this.child) return this.child;
    const child = spawn(this.perl, ['-e', this.script, ...this.args], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { LC_ALL: 'C', PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    this.child = child;
    child.unref();
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => this.answer(line));
    const gone = (why: string) => {
      if (this.child === child) this.child = undefined;
      this.fail(this.failure('EIO', why));
    };
    child.once('error', (err) => gone(`could not run: ${err.message}`));
    child.once('exit', (code, signal) => gone(`ended (${signal ?? `exit ${code}`})`));
    child.stdin.on('error', () => undefined); // reported through 'exit'
    // A request in flight keeps the event loop alive through its timer or caller, an idle helper does not.
    for (const pipe of [child.stdin, child.stdout] as unknown as { unref?: () => void }[]) pipe.unref?.();
    return child;
  }

  private answer(line: string): void {
    const [id, ...fields] = line.split('\0');
    const p = this.pending.get(Number(id));
    if (!p) return;
    this.settle(Number(id));
    p.resolve(fields);
  }

  private settle(id: number): void {
    clearTimeout(this.pending.get(id)?.timer);
    this.pending.delete(id);
  }

  /** Every request in flight fails with `err`. */
  private fail(err: Error): void {
    for (const [id, p] of [...this.pending]) {
      this.settle(id);
      p.reject(err);
    }
  }
}
