import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { InternalError, InvalidArgumentError } from '@criod/core';
import { readProcessSpec, requireMeta } from './bundle.js';
import { commonConmonArgs, type ConmonTarget } from './conmon.js';
import { writeFileAtomic } from '@criod/core';
import type { ContainerFiles } from './layout.js';
import { signalProcess } from './processes.js';
import { runcError, runcErrorMessage } from './runc.js';
import type { RuntimeContext } from './runtime-context.js';
import { SyncPipe } from './sync-pipe.js';

/** How much of stderr is kept to explain a failed runc exec. */
const errorHeadBytes = 8192;

export interface ExecOptions {
  stdin: boolean;
  /** conmon's own kill timer, a backstop should criod die while the exec runs; 0 = none. */
  backstopSeconds: number;
}

/** A directory per exec session in the bundle, for its process spec and PID file. */
export async function makeSessionDir(files: ContainerFiles): Promise<{ id: string; dir: string }> {
  const id = randomBytes(8).toString('hex');
  const dir = join(files.execDir, id);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return { id, dir };
}

/** The container's process spec with another command: same user, env, cwd, capabilities, profiles. */
export async function writeExecSpec(id: string, files: ContainerFiles, dir: string, cmd: string[], terminal: boolean): Promise<string> {
  if (cmd.length === 0 || cmd[0] === '') throw new InvalidArgumentError(`exec in container ${id}: the command is empty`);
  const base = await readProcessSpec(id, files);
  const path = join(dir, 'process.json');
  await writeFileAtomic(path, JSON.stringify({ ...base, args: cmd, terminal }), { durable: false });
  return path;
}

/**
 * A command run in a running container by conmon's exec mode without a tty: conmon (our child,
 * --sync) runs `runc exec --detach`, so the process is reaped by conmon as subreaper and never
 * left as a host zombie. Its stdio are our pipes (`-l passthrough`), stdout and stderr apart.
 */
export class ExecSession {
  readonly stdin: Writable | undefined;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Host PID of the exec'd process (its own process group); rejects with runc's error. */
  readonly pid: Promise<number>;
  /** Its exit code; rejects like pid when it never started. */
  readonly exitCode: Promise<number>;
  private killRequested = false;
  private ended = false;

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    containerId: string,
  ) {
    this.stdin = child.stdin ?? undefined;
    this.stdout = child.stdout as Readable;
    // runc's own errors arrive on this stderr too (passthrough): keep its head for the error message.
    const stderrHead: Buffer[] = [];
    let headBytes = 0;
    const source = child.stderr as Readable;
    source.on('data', (chunk: Buffer) => {
      if (headBytes < errorHeadBytes) stderrHead.push(chunk);
      headBytes += chunk.length;
    });
    this.stderr = source.pipe(new PassThrough());
    const stderrEnded = new Promise((resolve) => source.once('close', resolve));
    let spawnError: Error | undefined;
    child.once('error', (err) => (spawnError = err));
    const sync = new SyncPipe(child.stdio[3] as Readable);
    this.pid = sync.next().then(async (first) => {
      if (first && first.data > 0) return first.data;
      if (spawnError) throw new InternalError(`exec in container ${containerId}: cannot run conmon: ${spawnError.message}`);
      // runc's error went to our stderr (passthrough); conmon sends no message then.
      const text = first?.message ?? (await stderrEnded, Buffer.concat(stderrHead).toString());
      throw runcError(`exec in container ${containerId}`, runcErrorMessage(text) || 'runc exec failed without a message');
    });
    this.exitCode = this.pid.then(async (pid) => {
      if (this.killRequested) signalProcess(-pid, 'SIGKILL');
      const exit = await sync.next();
      this.ended = true;
      sync.close();
      if (!exit) throw new InternalError(`exec in container ${containerId}: conmon ended without reporting the exit code`);
      return exit.data;
    });
    this.exitCode.catch(() => undefined);
  }

  static async start(ctx: RuntimeContext, id: string, cmd: string[], options: ExecOptions): Promise<ExecSession> {
    const files = ctx.layout.container(id);
    const meta = await requireMeta(id, files);
    const session = await makeSessionDir(files);
    try {
      const spec = await writeExecSpec(id, files, session.dir, cmd, false);
      const args = execArgs(ctx.conmon(meta.handler), id, session.id, spec, join(session.dir, 'pid'), options.backstopSeconds);
      const child = spawn(ctx.conmonPath, args, {
        stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe', 'pipe'],
        env: { ...process.env, _OCI_SYNCPIPE: '3' },
      });
      return new ExecSession(child, session.dir, id);
    } catch (err) {
      await rm(session.dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** SIGKILL the exec'd process group (now, or as soon as its PID is known). */
  kill(): void {
    if (this.ended) return;
    this.killRequested = true;
    void this.pid.then((pid) => !this.ended && signalProcess(-pid, 'SIGKILL')).catch(() => undefined);
  }

  /** Wait for conmon to end, then remove the session dir. */
  async cleanup(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined) {
      await new Promise((resolve) => this.child.once('exit', resolve));
    }
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Stop reading and writing the process's stdio (what is still buffered is dropped). */
  destroyStreams(): void {
    this.stdin?.destroy();
    this.stdout.destroy();
    this.stderr.destroy();
  }
}

function execArgs(target: ConmonTarget, containerId: string, sessionId: string, specPath: string, pidFile: string, backstopSeconds: number): string[] {
  return [
    ...commonConmonArgs(target),
    '-c',
    containerId,
    '-u',
    sessionId,
    '-p',
    pidFile,
    '-l',
    'passthrough',
    '--exec',
    '--exec-process-spec',
    specPath,
    // Stay our child: we reap conmon, conmon reaps the exec'd process.
    '--sync',
    ...(backstopSeconds > 0 ? ['-T', String(backstopSeconds)] : []),
  ];
}
