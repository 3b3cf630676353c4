/**
 * A resident helper process for the system calls Node cannot make (mount, umount2, unshare), and
 * for running short commands (runc, CNI plugins). Spawning a process from criod costs 10-25 ms on
 * a loaded node, most of it in fork(2) of the large Node process, which also blocks the event
 * loop; one small resident process makes the same calls in well under a millisecond, and forks
 * itself, not criod, to run a command. Where it cannot run (no perl, an architecture without a
 * syscall table here, CRIOD_SYSCALL_HELPER=off) callers spawn as before: `syscallHelper()`
 * answers undefined.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { constants } from 'node:os';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { ExecOptions, ExecResult } from '../util/exec.js';
import { findExecutable } from '../which.js';
import { SYSCALL_HELPER_SCRIPT } from './syscall-helper-script.js';

/** mount(2), umount2(2), unshare(2) per architecture (asm-generic numbers for arm64). */
const syscallNumbers: Partial<Record<NodeJS.Architecture, [mount: number, umount2: number, unshare: number]>> = {
  x64: [165, 166, 272],
  arm64: [40, 39, 97],
};

export const MS_BIND = 0x1000;
export const MS_REC = 0x4000;
export const MNT_DETACH = 2;
const cloneFlags = { net: 0x40000000, ipc: 0x08000000, uts: 0x04000000 } as const;

/** A failed call: the errno's name (EBUSY…) and the step that failed (mount, pin <path>, sysctl key…). */
export class SyscallError extends Error {
  constructor(
    readonly code: string,
    readonly step: string,
    message: string,
  ) {
    super(message);
    this.name = 'SyscallError';
  }
}

export interface PinRequest {
  /** Each namespace to make, and the (existing, empty) file to bind-mount it on. */
  pins: { kind: keyof typeof cloneFlags; path: string }[];
  /** Bring `lo` up in the new network namespace. */
  loopbackUp: boolean;
  /** Written to the new UTS namespace's /proc/sys/kernel/hostname. */
  hostname?: string;
  /** Written inside the new namespaces; a failure names `step`. */
  sysctls: { path: string; value: string; step: string }[];
}

/** Requests older than this mean a stuck helper: it is killed and the next call starts another. */
const requestTimeoutMs = 30_000;

interface Pending {
  /** The answer's fields after `<id> <errno> <step> <message>`. */
  resolve: (fields: string[]) => void;
  reject: (err: Error) => void;
  timer?: NodeJS.Timeout;
}

const errnoNames = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));
const signalNames = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

export interface DaemonOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
}

export interface DaemonStart {
  pid: number;
  /** Its first line on fd 3, without the newline; absent when fd 3 closed (or the time ran out) first. */
  firstLine?: string;
  /** How its first process exited, when it had by the answer and not by a signal. */
  exitCode?: number;
  /** What it wrote to stderr until the answer (at most 64 KiB). */
  stderr: string;
  timedOut: boolean;
}

function envEntries(env: NodeJS.ProcessEnv | undefined): string[] {
  return Object.entries(env ?? process.env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
}

/** What the line protocol cannot carry: such a command is spawned by criod itself. */
const unsendable = /[\n\0]/;

export class SyscallHelper {
  private child: ChildProcessByStdio<Writable, Readable, null> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(
    private readonly perl: string,
    private readonly numbers: readonly number[],
  ) {}

  /** mount(2); `cwd` lets relative paths in `data` (overlay dirs) stay short. */
  async mount(source: string, target: string, fstype: string, flags: number, data = '', cwd = ''): Promise<void> {
    await this.call(['mount', source, target, fstype, String(flags), data, cwd]);
  }

  /** umount2(2); MNT_DETACH for a lazy unmount. */
  async unmount(target: string, flags = 0): Promise<void> {
    await this.call(['umount', target, String(flags)]);
  }

  /** New namespaces, set up from inside and pinned; nothing is pinned when a step fails before. */
  async pinNamespaces(req: PinRequest): Promise<void> {
    const flags = req.pins.reduce((f, p) => f | cloneFlags[p.kind], 0);
    await this.call([
      'pin',
      String(flags),
      req.loopbackUp ? '1' : '0',
      req.hostname ?? '',
      String(req.pins.length),
      ...req.pins.flatMap((p) => [p.kind, p.path]),
      String(req.sysctls.length),
      ...req.sysctls.flatMap((s) => [s.path, s.value, s.step]),
    ]);
  }

  /**
   * Whether run() can carry this command: the protocol's lines cannot hold a newline or NUL in
   * the file, an argument, the environment or the working directory.
   */
  canRun(file: string, args: readonly string[], options: ExecOptions = {}): boolean {
    const env = Object.entries(options.env ?? process.env);
    return ![file, ...args, options.cwd ?? '', ...env.flatMap(([k, v]) => [k, v ?? ''])].some((f) => unsendable.test(f));
  }

  /**
   * Run a command as `execCommand` does, forked by the helper instead of criod. The timeout is
   * kept here: when it passes, the helper is told to send killSignal.
   */
  async run(file: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const env = envEntries(options.env);
    const killSignal = String(constants.signals[options.killSignal ?? 'SIGTERM']);
    const timeoutMs = options.timeoutMs ?? 0;
    const id = this.nextId++;
    let timedOut = false;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            this.call(['kill', String(id), killSignal]).catch(() => undefined); // it may have ended meanwhile
          }, timeoutMs)
        : undefined;
    const fields = [
      'run',
      String(options.maxBuffer ?? 16 * 1024 * 1024),
      killSignal,
      options.cwd ?? process.cwd(),
      Buffer.from(options.input ?? '').toString('hex'),
      String(env.length),
      ...env,
      file,
      ...args,
    ];
    try {
      // A helper that does not answer well after the command's own timeout is stuck.
      const [code, signal, stdout, stderr, over] = await this.call(fields, timeoutMs > 0 ? timeoutMs + requestTimeoutMs : 0, id);
      return {
        exitCode: code ? Number(code) : undefined,
        signal: signal ? signalNames.get(Number(signal)) : undefined,
        timedOut,
        ...(over ? { error: `${over} maxBuffer length exceeded` } : {}),
        stdout: Buffer.from(stdout ?? '', 'hex').toString(),
        stderr: Buffer.from(stderr ?? '', 'hex').toString(),
      };
    } catch (err) {
      const message = err instanceof SyscallError && err.code !== 'EIO' ? `${err.message} (${err.code})` : (err as Error).message;
      return { exitCode: undefined, signal: undefined, timedOut, error: message, stdout: '', stderr: '' };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Start a daemon that reports on a sync pipe (conmon with `_OCI_SYNCPIPE=3`): in its own session,
   * /dev/null on stdin and stdout, fd 3 a pipe. Answers with its first line there, or, when fd 3
   * closed without one, with how its first process exited and what it wrote to stderr. At
   * `timeoutMs` the first process is killed and the answer is what came until then.
   */
  async startDaemon(file: string, args: readonly string[], options: DaemonOptions): Promise<DaemonStart> {
    const env = envEntries(options.env);
    const id = this.nextId++;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.call(['kill', String(id), String(constants.signals.SIGKILL)]).catch(() => undefined); // it may have answered meanwhile
    }, options.timeoutMs);
    try {
      const fields = ['start', options.cwd, String(env.length), ...env, file, ...args];
      const [pid, hasLine, line, code, stderr] = await this.call(fields, options.timeoutMs + requestTimeoutMs, id);
      return {
        pid: Number(pid),
        ...(hasLine === '1' ? { firstLine: Buffer.from(line ?? '', 'hex').toString() } : {}),
        ...(code ? { exitCode: Number(code) } : {}),
        stderr: Buffer.from(stderr ?? '', 'hex').toString(),
        timedOut,
      };
    } finally {
      clearTimeout(timer);
    }
  }

  /** End the helper (it also ends by itself when criod's end of its stdin closes). */
  close(): void {
    this.child?.stdin.end();
    this.child = undefined;
  }

  /** Send one request; a helper silent for `timeoutMs` (0 = no limit) is killed as stuck. */
  private call(fields: string[], timeoutMs = requestTimeoutMs, id = this.nextId++): Promise<string[]> {
    // The protocol is NUL-separated lines: such a value cannot be sent (nor is it a sane path).
    const bad = fields.find((f) => unsendable.test(f));
    if (bad !== undefined) return Promise.reject(new SyscallError('EINVAL', fields[0]!, `${JSON.stringify(bad)} holds a newline or NUL`));
    const child = this.start();
    return new Promise<string[]>((resolve, reject) => {
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.fail(new SyscallError('ETIMEDOUT', fields[0]!, `the syscall helper did not answer within ${timeoutMs} ms`));
              child.kill('SIGKILL');
            }, timeoutMs)
          : undefined;
      this.pending.set(id, { resolve, reject, timer });
      this.keepAlive();
      child.stdin.write(`${[String(id), ...fields].join('\0')}\n`);
    });
  }

  /** A request in flight keeps the event loop alive, an idle helper does not. */
  private keepAlive(): void {
    const pipe = this.child?.stdout as unknown as { ref?: () => void; unref?: () => void } | undefined;
    if (this.pending.size > 0) pipe?.ref?.();
    else pipe?.unref?.();
  }

  private start(): ChildProcessByStdio<Writable, Readable, null> {
    if (this.child) return this.child;
    const child = spawn(this.perl, ['-e', SYSCALL_HELPER_SCRIPT, ...this.numbers.map(String)], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { LC_ALL: 'C', PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    this.child = child;
    child.unref();
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => this.answer(line));
    const gone = (why: string) => {
      if (this.child === child) this.child = undefined;
      this.fail(new SyscallError('EIO', 'helper', `the syscall helper ${why}`));
    };
    child.once('error', (err) => gone(`could not run: ${err.message}`));
    child.once('exit', (code, signal) => gone(`ended (${signal ?? `exit ${code}`})`));
    child.stdin.on('error', () => undefined); // reported through 'exit'
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    return child;
  }

  private answer(line: string): void {
    const [id, errno, step, message, ...rest] = line.split('\0');
    const p = this.pending.get(Number(id));
    if (!p) return;
    this.settle(Number(id));
    if (errno === '0') p.resolve(rest);
    else p.reject(new SyscallError(errnoNames.get(Number(errno)) ?? `errno ${errno}`, step ?? '', message ?? ''));
  }

  private settle(id: number): void {
    clearTimeout(this.pending.get(id)?.timer);
    this.pending.delete(id);
    this.keepAlive();
  }

  /** Every request in flight fails with `err` (the helper died or hung). */
  private fail(err: SyscallError): void {
    for (const [id, p] of [...this.pending]) {
      this.settle(id);
      p.reject(err);
    }
  }
}

/** A helper of its own (tests); undefined where none can run. */
export async function newSyscallHelper(): Promise<SyscallHelper | undefined> {
  const numbers = syscallNumbers[process.arch];
  if (process.platform !== 'linux' || !numbers || process.env.CRIOD_SYSCALL_HELPER === 'off') return undefined;
  const perl = await findExecutable('perl');
  return perl ? new SyscallHelper(perl, numbers) : undefined;
}

let shared: Promise<SyscallHelper | undefined> | undefined;

/** The process's helper, or undefined where it cannot run (then spawn the util-linux tools). */
export function syscallHelper(): Promise<SyscallHelper | undefined> {
  shared ??= newSyscallHelper();
  return shared;
}
