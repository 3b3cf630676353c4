import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { errorMessage, InternalError, syscallHelper, type DaemonStart } from '@criod/core';
import { runcError, runcErrorMessage, type Runc } from './runc.js';
import type { ContainerFiles } from './layout.js';
import { processArgs, signalProcess } from './processes.js';
import { parseSyncMessage, SyncPipe, type SyncMessage } from './sync-pipe.js';

/** What every conmon invocation shares: the binary, the runtime it drives, and how conmon logs. */
export interface ConmonTarget {
  conmonPath: string;
  runc: Runc;
  /** Pass --systemd-cgroup to runc create. */
  systemdCgroup: boolean;
}

export interface MonitorRequest {
  id: string;
  files: ContainerFiles;
  exitsDir: string;
  logPath: string;
  tty: boolean;
  stdin: boolean;
  stdinOnce: boolean;
  /** Restore from these checkpoint images (runc restore, running at once) instead of runc create. */
  restorePath?: string;
}

/** runc create can be slow on a loaded node, but not this slow. */
const createTimeoutMs = 240_000;

/** conmon's own diagnostics go to syslog; the container's output goes to its CRI log. */
export function commonConmonArgs(target: ConmonTarget): string[] {
  return [
    '--api-version',
    '1',
    '-r',
    target.runc.handler.path,
    ...target.runc.globalArgs().flatMap((a) => ['--runtime-arg', a]),
    '--log-level',
    'error',
    '--syslog',
  ];
}

export function monitorArgs(target: ConmonTarget, req: MonitorRequest): string[] {
  const { files } = req;
  return [
    ...commonConmonArgs(target),
    '-c',
    req.id,
    '-n',
    req.id,
    '-u',
    req.id,
    '-b',
    files.bundle,
    '-p',
    files.pidFile,
    '-P',
    files.conmonPidFile,
    '-l',
    `k8s-file:${req.logPath}`,
    '--exit-dir',
    req.exitsDir,
    '--persist-dir',
    files.bundle,
    // The attach socket lives in the bundle, so no symlink dir is needed to stay under 108 bytes.
    '--full-attach',
    ...(target.systemdCgroup ? ['--systemd-cgroup'] : []),
    ...(req.tty ? ['--terminal'] : []),
    ...(req.stdin ? ['--stdin'] : []),
    ...(req.stdin && !req.stdinOnce ? ['--leave-stdin-open'] : []),
    ...(req.restorePath ? ['--restore', req.restorePath] : []),
  ];
}

/**
 * Start conmon for a new container and wait until runc create has finished under it. conmon runs
 * in its own session and double-forks, so it outlives criod. The resident helper starts it where
 * it can (no fork of criod's large process); else criod spawns it. Resolves with the init PID;
 * rejects with runc's own message.
 */
export async function startMonitor(target: ConmonTarget, req: MonitorRequest): Promise<number> {
  const args = monitorArgs(target, req);
  const options = { cwd: req.files.bundle, env: { ...process.env, _OCI_SYNCPIPE: '3' } };
  const helper = await syscallHelper();
  if (!helper?.canRun(target.conmonPath, args, options)) return spawnMonitor(target, req, args, options);
  let started: DaemonStart;
  try {
    started = await helper.startDaemon(target.conmonPath, args, { ...options, timeoutMs: createTimeoutMs });
  } catch (err) {
    throw new InternalError(`create container ${req.id}: start conmon (${target.conmonPath}): ${errorMessage(err)}`);
  }
  if (started.timedOut) await killMonitor(req.files, req.id);
  const message = started.firstLine === undefined ? undefined : parseSyncMessage(started.firstLine);
  if (message && message.data > 0) return message.data;
  throw await createFailure(req.id, target, message, async () => started);
}

async function spawnMonitor(target: ConmonTarget, req: MonitorRequest, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<number> {
  const child = spawn(target.conmonPath, args, { ...options, detached: true, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  const sync = new SyncPipe(child.stdio[3] as Readable);
  const stderr = collect(child);
  const timer = setTimeout(() => {
    void killMonitor(req.files, req.id);
    sync.close();
  }, createTimeoutMs);
  try {
    const message = await sync.next();
    if (message && message.data > 0) return message.data;
    throw await createFailure(req.id, target, message, async () => {
      const code = child.exitCode ?? (await new Promise<number | null>((r) => child.once('exit', (c) => r(c))));
      return { exitCode: code ?? undefined, stderr: await stderr };
    });
  } finally {
    clearTimeout(timer);
    sync.close();
    child.stdio[2]?.destroy();
    child.unref();
  }
}

/** runc's own message when conmon passed one on, else how conmon ended (`exited`, asked only then). */
async function createFailure(
  id: string,
  target: ConmonTarget,
  message: SyncMessage | undefined,
  exited: () => Promise<{ exitCode?: number | undefined; stderr: string }>,
): Promise<Error> {
  if (message?.message) return runcError(`create container ${id} with ${target.runc.handler.path}`, runcErrorMessage(message.message));
  const { exitCode, stderr } = await exited();
  const output = stderr.trim();
  return new InternalError(
    `create container ${id}: conmon (${target.conmonPath}) exited with ${exitCode ?? 'a signal'} before runc create finished${output ? `: ${output}` : ''}`,
  );
}

function collect(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    child.stdio[2]?.on('data', (d: Buffer) => (text += d.toString()));
    child.stdio[2]?.on('close', () => resolve(text));
    child.on('error', (err) => resolve(`${text}${err.message}`));
  });
}

/** conmon's PID from its pidfile, if that process is still this container's conmon. */
export async function monitorPid(files: ContainerFiles, id: string): Promise<number | undefined> {
  let pid: number;
  try {
    pid = Number.parseInt(await readFile(files.conmonPidFile, 'utf8'), 10);
  } catch {
    return undefined;
  }
  if (!(pid > 1)) return undefined;
  // A PID can be reused after conmon is gone: only a conmon for this id counts.
  const args = await processArgs(pid);
  if (!args || !args[0]?.endsWith('conmon')) return undefined;
  const cid = args.indexOf('-c');
  return cid >= 0 && args[cid + 1] === id ? pid : undefined;
}

/** Kill this container's conmon (only it, by its PID) if it is still there. */
export async function killMonitor(files: ContainerFiles, id: string): Promise<void> {
  const pid = await monitorPid(files, id);
  if (pid) signalProcess(pid, 'SIGKILL');
}
