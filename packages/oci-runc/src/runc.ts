import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { startThroughExecFifo } from './exec-fifo.js';
import { mayExist } from './files.js';
import { execCommand, FailedPreconditionError, InternalError, NotFoundError, type CriodError, type OciLinuxResources } from '@criod/core';
import type { ResolvedHandler } from './handlers.js';

export type RuncStatus = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

/** `runc state` output, the fields this plugin reads. */
export interface RuncState {
  id: string;
  pid: number;
  status: RuncStatus;
  bundle: string;
}

/** runc calls are short; one that hangs this long is stuck (e.g. on a frozen cgroup). */
const runcTimeoutMs = 60_000;

/**
 * The text runc printed as its error. With --log-format json every stderr line is a JSON log
 * record; anything else (a panic, a missing binary) is returned as it came.
 */
export function runcErrorMessage(stderr: string): string {
  const messages: string[] = [];
  for (const line of stderr.split('\n')) {
    const text = line.trim();
    if (!text) continue;
    try {
      const record = JSON.parse(text) as { level?: string; msg?: string };
      if (record.msg && (record.level === 'error' || record.level === 'fatal')) messages.push(record.msg);
    } catch {
      messages.push(text);
    }
  }
  return messages.join('; ') || stderr.trim();
}

/** Maps runc's own message to the typed error the CRI caller should see. */
export function runcError(what: string, message: string): CriodError {
  const text = `${what}: ${message}`;
  if (/container does not exist/i.test(message)) return new NotFoundError(text);
  if (/not running|has stopped|already running|cannot start|cannot exec|is paused|container is stopped/i.test(message)) {
    return new FailedPreconditionError(text);
  }
  return new InternalError(text);
}

/** One runc-compatible binary with its --root: the state dir of every container of a handler. */
export class Runc {
  constructor(readonly handler: ResolvedHandler) {}

  /** Options every invocation carries; conmon passes the same ones through --runtime-arg. */
  globalArgs(): string[] {
    return [`--root=${this.handler.root}`, '--log-format=json'];
  }

  async run(args: string[], input?: string, timeoutMs = runcTimeoutMs): Promise<string> {
    const result = await execCommand(this.handler.path, [...this.globalArgs(), ...args], { input, timeoutMs, killSignal: 'SIGKILL' });
    if (result.exitCode !== 0) {
      const why = result.timedOut
        ? `timed out after ${timeoutMs / 1000}s`
        : (result.error ?? (result.signal ? `killed by ${result.signal}` : `exit code ${result.exitCode}`));
      throw runcError(`${this.handler.path} ${args[0] ?? ''} (handler "${this.handler.name}")`, runcErrorMessage(result.stderr) || why);
    }
    return result.stdout;
  }

  /** The container's runc state, undefined when runc does not know it. */
  async state(id: string): Promise<RuncState | undefined> {
    try {
      return JSON.parse(await this.run(['state', id])) as RuncState;
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /**
   * `runc run --detach` with no monitor: the container's stdio is /dev/null (runc passes its own
   * through) and runc's messages go to `logFile`, since no pipe may outlive runc in the container.
   */
  async runDetached(id: string, bundle: string, pidFile: string, logFile: string, systemdCgroup: boolean): Promise<void> {
    const args = [
      ...this.globalArgs(),
      '--log',
      logFile,
      ...(systemdCgroup ? ['--systemd-cgroup'] : []),
      'run',
      '--detach',
      '--bundle',
      bundle,
      '--pid-file',
      pidFile,
      id,
    ];
    const result = await execa(this.handler.path, args, { reject: false, timeout: runcTimeoutMs, stdio: 'ignore', cwd: bundle });
    if (result.exitCode === 0 && !result.failed) return;
    const log = await readFile(logFile, 'utf8').catch(() => '');
    throw runcError(
      `${this.handler.path} run (handler "${this.handler.name}")`,
      runcErrorMessage(log) || result.shortMessage || `exit code ${result.exitCode}`,
    );
  }

  /**
   * Start a created container. runc 1.x is started through its exec fifo (exec-fifo.ts), which
   * saves a spawn; other binaries, and anything not a created runc container, get `start`.
   */
  async start(id: string, initAlive: () => Promise<boolean>): Promise<void> {
    if (this.startsThroughExecFifo && (await startThroughExecFifo(join(this.handler.root, id, 'exec.fifo'), initAlive, runcTimeoutMs))) return;
    await this.run(['start', id]);
  }

  /** runc 1.x's created/start handshake is its exec fifo; other runc-compatible CLIs keep their own. */
  private get startsThroughExecFifo(): boolean {
    return /^runc version 1\./.test(this.handler.version);
  }

  /** Send a signal; `all` reaches every process of the container's cgroup, not only its init. */
  async kill(id: string, signal: number, all = false): Promise<void> {
    await this.run(['kill', ...(all ? ['--all'] : []), id, String(signal)]);
  }

  /**
   * Remove the container, killing it first; a container runc no longer knows is fine. runc (and
   * the runtimes that copy its CLI) keep a container's state in <root>/<id>: without that dir
   * there is nothing to delete, and no spawn is needed to learn it.
   */
  async forceDelete(id: string): Promise<void> {
    if (!(await mayExist(join(this.handler.root, id)))) return;
    try {
      await this.run(['delete', '--force', id]);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }

  /** Apply an OCI LinuxResources object to a running container. */
  async update(id: string, resources: OciLinuxResources): Promise<void> {
    await this.run(['update', '--resources', '-', id], JSON.stringify(resources));
  }

  async pause(id: string): Promise<void> {
    await this.run(['pause', id]);
  }

  async resume(id: string): Promise<void> {
    await this.run(['resume', id]);
  }

  /** CRIU images of the container's processes into imagesDir (its log into workDir); they keep running. */
  async checkpoint(id: string, imagesDir: string, workDir: string, timeoutMs: number): Promise<void> {
    await this.run(['checkpoint', '--image-path', imagesDir, '--work-path', workDir, '--leave-running', id], undefined, timeoutMs);
  }

  async list(): Promise<string[]> {
    const entries = JSON.parse(await this.run(['list', '--format', 'json'])) as { id: string }[] | null;
    return (entries ?? []).map((e) => e.id);
  }
}
