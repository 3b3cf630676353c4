/**
 * One short-lived command, its output collected, with the input, exit code and signal as plain
 * values. The resident syscall helper forks it where it can: a fork of criod itself costs
 * 10-25 ms on a loaded node and blocks the event loop meanwhile. Otherwise node's execFile runs
 * it; on request paths that stands in for execa, whose extra layers cost a few milliseconds per
 * spawn (measured: 10.4 vs 6.8 ms for `true`).
 */
import { execFile } from 'node:child_process';
import { syscallHelper } from '../linux/syscall-helper.js';

export interface ExecOptions {
  /** Written to stdin, which is then closed; without it stdin is closed at once. */
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kill with killSignal after this long (0 = never). */
  timeoutMs?: number;
  killSignal?: NodeJS.Signals;
  /** Per stream; more is an error. */
  maxBuffer?: number;
}

export interface ExecResult {
  /** undefined when the process did not exit by itself (signal, timeout, spawn failure). */
  exitCode: number | undefined;
  signal: NodeJS.Signals | undefined;
  timedOut: boolean;
  /** Why it could not run at all (ENOENT, EACCES…) or why its output was cut (maxBuffer). */
  error?: string;
  stdout: string;
  stderr: string;
}

export async function execCommand(file: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const helper = await syscallHelper();
  return helper?.canRun(file, args, options) ? helper.run(file, args, options) : execFileCommand(file, args, options);
}

function execFileCommand(file: string, args: readonly string[], options: ExecOptions): Promise<ExecResult> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = execFile(
      file,
      args,
      {
        env: options.env,
        cwd: options.cwd,
        timeout: options.timeoutMs ?? 0,
        killSignal: options.killSignal ?? 'SIGTERM',
        maxBuffer: options.maxBuffer ?? 16 * 1024 * 1024,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string; killed?: boolean; signal?: NodeJS.Signals }) | null;
        const exitCode = e === null ? 0 : typeof e.code === 'number' ? e.code : undefined;
        const signal = e?.signal ?? undefined;
        const timedOut = Boolean(e?.killed && options.timeoutMs && Date.now() - started >= options.timeoutMs);
        const error = e && exitCode === undefined && !signal ? e.message : undefined;
        resolve({ exitCode, signal, timedOut, error, stdout, stderr });
      },
    );
    if (options.input === undefined) child.stdin?.end();
    else {
      child.stdin?.on('error', () => undefined); // a plugin that exits without reading: its exit says why
      child.stdin?.end(options.input);
    }
  });
}
