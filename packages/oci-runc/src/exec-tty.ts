import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { InternalError, type InteractiveProcess } from '@criod/core';
import { AttachBridge } from './attach-bridge.js';
import { requireMeta } from './bundle.js';
import { commonConmonArgs } from './conmon.js';
import { resizeTerminal } from './control.js';
import { makeSessionDir, writeExecSpec } from './exec-session.js';
import { signalProcess } from './processes.js';
import { runcError, runcErrorMessage } from './runc.js';
import type { RuntimeContext } from './runtime-context.js';
import { SyncPipe } from './sync-pipe.js';

/** conmon ends right after the exec'd process; this long means it is stuck. */
const conmonExitGraceMs = 2_000;

/**
 * An exec with a terminal. runc hands the pty master over a unix socket with SCM_RIGHTS, which
 * Node cannot receive, so conmon's exec mode takes it (`--terminal --exec-attach`) and serves it on
 * an attach socket in the session dir, with the `ctl` fifo for resizes. The handshake:
 * start pipe → conmon opens the attach socket and says so on the attach pipe → we connect →
 * start pipe again → conmon runs `runc exec` → sync pipe: PID, later the exit code.
 */
export async function execWithTerminal(ctx: RuntimeContext, id: string, cmd: string[], forwardStdin: boolean): Promise<InteractiveProcess> {
  const files = ctx.layout.container(id);
  const meta = await requireMeta(id, files);
  const session = await makeSessionDir(files);
  const target = ctx.conmon(meta.handler);
  const spec = await writeExecSpec(id, files, session.dir, cmd, true).catch(async (err: unknown) => {
    await rm(session.dir, { recursive: true, force: true });
    throw err;
  });
  const child = spawn(
    ctx.conmonPath,
    [
      ...commonConmonArgs(target),
      '-c',
      id,
      '-u',
      session.id,
      '-p',
      join(session.dir, 'pid'),
      '-b',
      session.dir,
      '--full-attach',
      '-l',
      'none',
      '--exec',
      '--exec-attach',
      '--exec-process-spec',
      spec,
      '--sync',
      '--terminal',
      ...(forwardStdin ? ['--stdin'] : []),
    ],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe', 'pipe'], env: { ...process.env, _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4', _OCI_ATTACHPIPE: '5' } },
  );
  // Node types only five stdio entries; fds 3-5 are the sync, start and attach pipes.
  const pipes = child.stdio as readonly unknown[];
  const sync = new SyncPipe(pipes[3] as Readable);
  const startPipe = pipes[4] as Writable;
  const attachPipe = new SyncPipe(pipes[5] as Readable);
  const conmonEnded = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    // A conmon that cannot be spawned emits no exit; its closed pipes fail the handshake below.
    child.once('error', () => resolve());
  });
  (child.stdio[2] as Readable).resume();

  let bridge: AttachBridge | undefined;
  /** The exec'd process while it runs (cleared once conmon reports its exit, so a reused PID is safe). */
  let pid: number | undefined;
  let started = false;
  const cleanup = async () => {
    if (pid) {
      signalProcess(-pid, 'SIGKILL');
    } else if (!started && child.exitCode === null && child.signalCode === null) {
      // Handshake broken before runc ran: conmon's runtime child dies with it (PDEATHSIG).
      child.kill('SIGKILL');
    }
    await bridge?.close();
    // conmon reaps the exec'd process and ends by itself; a stuck one is killed.
    const stuck = setTimeout(() => child.kill('SIGKILL'), conmonExitGraceMs);
    await conmonEnded;
    clearTimeout(stuck);
    await rm(session.dir, { recursive: true, force: true });
  };
  try {
    startPipe.write('0');
    const ready = await attachPipe.next();
    if (!ready || ready.data < 0)
      throw new InternalError(`exec in container ${id}: conmon did not open the attach socket${ready?.message ? `: ${ready.message}` : ''}`);
    bridge = await AttachBridge.connect(join(session.dir, 'attach'), forwardStdin);
    // With a tty conmon only relays runc's own messages as stderr: nothing for the user.
    bridge.stderr.resume();
    startPipe.end('0');
    const begun = await sync.next();
    if (!begun || begun.data <= 0) {
      throw runcError(`exec in container ${id}`, runcErrorMessage(begun?.message ?? '') || 'runc exec failed without a message');
    }
    pid = begun.data;
    started = true;
  } catch (err) {
    await cleanup();
    throw err;
  }

  const exit = sync.next().then((m) => {
    if (!m) throw new InternalError(`exec in container ${id}: conmon ended without reporting the exit code`);
    pid = undefined;
    return m.data;
  });
  exit.catch(() => undefined);
  const connected = bridge;
  return {
    stdin: connected.stdin,
    stdout: connected.stdout,
    resize(width, height) {
      resizeTerminal(join(session.dir, 'ctl'), `resize the exec terminal in container ${id}`, width, height).catch((err: unknown) => {
        ctx.logger.debug({ id, err }, 'terminal resize dropped');
      });
    },
    wait: () => exit,
    close: cleanup,
  };
}
