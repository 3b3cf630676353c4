/**
 * A StreamingBackend whose "containers" are host processes, for tests and the benchmark: exec
 * spawns the command on the host (with a pty through util-linux `script` when tty is asked),
 * attach joins a long-running process started with startContainer(). Every process is its own
 * process group and is killed with it on close(), so nothing outlives a session.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFile, readlink } from 'node:fs/promises';
import { constants } from 'node:os';
import { PassThrough, Writable, type Duplex } from 'node:stream';
import { promisify } from 'node:util';
import { NotFoundError, UnimplementedError, type InteractiveOptions, type InteractiveProcess } from '@criod/core';
import type { StreamingBackend } from '../backend.js';

const run = promisify(execFile);

export interface HostProcessBackendOptions {
  /** Container ids exec accepts besides those started with startContainer(). */
  containers?: string[];
  portForward?: StreamingBackend['portForward'];
}

export class HostProcessBackend implements StreamingBackend {
  private readonly known: Set<string>;
  private readonly containers = new Map<string, HostContainer>();
  private readonly running = new Set<HostProcess>();

  constructor(private readonly options: HostProcessBackendOptions = {}) {
    this.known = new Set(options.containers ?? []);
  }

  /** PIDs of the exec'd processes still running (their process group leaders). */
  get execPids(): number[] {
    return [...this.running].map((p) => p.pid);
  }

  async exec(containerId: string, cmd: string[], options: InteractiveOptions): Promise<InteractiveProcess> {
    if (!this.known.has(containerId) && !this.containers.has(containerId)) {
      throw new NotFoundError(`container ${containerId} is not known to the host backend`);
    }
    const proc = await HostProcess.spawn(cmd, options.tty);
    this.running.add(proc);
    void proc.exited.then(() => this.running.delete(proc));
    return proc.interactive(options.stdin);
  }

  async attach(containerId: string, options: InteractiveOptions): Promise<InteractiveProcess> {
    const container = this.containers.get(containerId);
    if (!container) throw new NotFoundError(`container ${containerId} is not running on the host backend`);
    return container.attach(options.stdin);
  }

  portForward(podSandboxId: string, port: number): Promise<Duplex> {
    if (!this.options.portForward) throw new UnimplementedError('this host backend has no port-forward');
    return this.options.portForward(podSandboxId, port);
  }

  /** A long-running process attach sessions join; its output goes to every attached client. */
  async startContainer(id: string, cmd: string[], options: { tty?: boolean } = {}): Promise<HostContainer> {
    const container = new HostContainer(await HostProcess.spawn(cmd, options.tty ?? false));
    this.containers.set(id, container);
    return container;
  }

  /** Kill every process the backend started. */
  async close(): Promise<void> {
    await Promise.all([...[...this.running].map((p) => p.kill()), ...[...this.containers.values()].map((c) => c.kill())]);
    this.containers.clear();
  }
}

/** A spawned process in its own process group; with a tty, `script` runs it on a new pty. */
class HostProcess {
  readonly exited: Promise<number>;
  private resizing: Promise<void> = Promise.resolve();

  private constructor(
    readonly child: ChildProcess,
    readonly tty: boolean,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
    });
  }

  static async spawn(cmd: string[], tty: boolean): Promise<HostProcess> {
    const [file, args] = tty ? ['script', ['-qefc', shellJoin(cmd), '/dev/null']] : [cmd[0]!, cmd.slice(1)];
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', tty ? 'ignore' : 'pipe'], detached: true });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    child.stdin!.on('error', () => undefined);
    return new HostProcess(child, tty);
  }

  get pid(): number {
    return this.child.pid!;
  }

  interactive(stdin: boolean): InteractiveProcess {
    return {
      // Without stdin the pipe stays open and unused: a tty program sees no EOF, as under kubelet.
      stdin: stdin ? this.child.stdin! : undefined,
      stdout: this.child.stdout!,
      stderr: this.tty ? undefined : this.child.stderr!,
      resize: (width, height) => this.resize(width, height),
      wait: () => this.exited,
      close: () => this.kill(),
    };
  }

  resize(width: number, height: number): void {
    if (!this.tty) return;
    this.resizing = this.resizing.then(async () => {
      const pty = await this.ptyPath();
      if (pty) await run('stty', ['-F', pty, 'rows', String(height), 'cols', String(width)]).catch(() => undefined);
    });
  }

  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    // The program under `script` leads its own session on the pty: kill it first, so `script`
    // reaps it and exits at once instead of leaving it to PID 1.
    if (this.tty) for (const pid of await this.scriptChildren()) signalGroup(pid);
    signalGroup(this.pid);
    await this.exited;
  }

  /** The pty the program under `script` has as its stdin, once it has it (polls ~2 s). */
  private async ptyPath(): Promise<string | undefined> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const [child] = await this.scriptChildren();
      // Right after fork the child still has script's stdin (a pipe): wait for the pty.
      const stdin = child ? await readlink(`/proc/${child}/fd/0`).catch(() => '') : '';
      if (stdin.startsWith('/dev/pts/')) return stdin;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return undefined;
  }

  private async scriptChildren(): Promise<number[]> {
    const list = await readFile(`/proc/${this.pid}/task/${this.pid}/children`, 'utf8').catch(() => '');
    return list.split(/\s+/).filter(Boolean).map(Number);
  }
}

/** A "container" for attach: one process, its output fanned out to every attached session. */
export class HostContainer {
  private readonly sessions = new Set<PassThrough>();

  constructor(private readonly process: HostProcess) {
    const stdout = process.child.stdout!;
    stdout.on('data', (chunk: Buffer) => {
      for (const session of this.sessions) session.write(chunk);
    });
    stdout.on('end', () => {
      for (const session of this.sessions) session.end();
    });
    process.child.stderr?.resume();
  }

  get pid(): number {
    return this.process.pid;
  }

  kill(): Promise<void> {
    return this.process.kill();
  }

  attach(stdin: boolean): InteractiveProcess {
    const output = new PassThrough();
    this.sessions.add(output);
    const input = this.process.child.stdin!;
    return {
      // A session's stdin EOF detaches it; it does not close the container's stdin.
      stdin: stdin ? new Writable({ write: (chunk: Buffer, _enc, callback) => input.write(chunk, callback) }) : undefined,
      stdout: output,
      resize: (width, height) => this.process.resize(width, height),
      wait: () => this.process.exited,
      close: async () => {
        this.sessions.delete(output);
        output.end();
      },
    };
  }
}

function signalGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is already gone.
  }
}

function shellJoin(args: string[]): string {
  return args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
}
