import { access } from 'node:fs/promises';
import { nowNs, type RuntimeContainerState } from '@criod/core';
import { requireMeta, type ContainerMeta } from './bundle.js';
import type { ExitRecord } from './exit-watcher.js';
import type { ContainerFiles } from './layout.js';
import type { RuntimeContext } from './runtime-context.js';
import { isRunning, processStartTime } from './processes.js';
import { oomKillCount } from './stats.js';

/** conmon writes the exit file right after reaping the container; runc may say "stopped" first. */
const exitFileWaitMs = 2_000;
/** Reported when the exit status is lost (conmon was killed before it could write it). */
const unknownExitCode = 255;
const sigkillExitCode = 137;

/** The container's state: conmon's exit file first (no process spawned), `runc state` otherwise. */
export async function containerState(ctx: RuntimeContext, id: string): Promise<RuntimeContainerState> {
  const files = ctx.layout.container(id);
  const meta = await requireMeta(id, files);
  const exit = meta.unmonitored ? undefined : await ctx.exits.read(id);
  if (exit) return stopped(exit, files, meta);
  // Waiting for start to restore it: nothing runs yet, runc does not know it.
  if (meta.restore) return { status: 'created', pid: 0 };
  // No exit file and the init still alive: its state is known without spawning runc.
  if (await initAlive(meta)) return live(meta.started ? 'running' : 'created', meta.pid);

  const state = await ctx.runc(meta.handler).state(id);
  switch (state?.status) {
    case 'creating':
    case 'created':
      return live('created', state.pid);
    case 'running':
    case 'paused':
      return live('running', state.pid);
    case 'stopped': {
      // Run without a monitor: no exit file will come, and nobody reads its status.
      if (meta.unmonitored) return { status: 'stopped', pid: 0, exitCode: unknownExitCode, finishedAt: nowNs() };
      const late = await ctx.exits.wait(id, exitFileWaitMs);
      if (late) return stopped(late, files, meta);
      ctx.logger.warn({ id }, 'container stopped without an exit file from conmon');
      return stopped({ exitCode: unknownExitCode, finishedAt: nowNs() }, files, meta);
    }
    default:
      return { status: 'unknown', pid: 0 };
  }
}

/** The init recorded at create still runs: its PID and start time (when known) name it, not a process that took its PID. */
export async function initAlive(meta: ContainerMeta): Promise<boolean> {
  if (meta.pid <= 0) return false;
  return meta.startTime === undefined ? isRunning(meta.pid) : (await processStartTime(meta.pid)) === meta.startTime;
}

/** A container whose init exists: containers with pid TARGET or POD join its PID namespace through /proc. */
export function live(status: 'created' | 'running', pid: number): RuntimeContainerState {
  return { status, pid, pidNamespacePath: `/proc/${pid}/ns/pid` };
}

async function stopped(exit: ExitRecord, files: ContainerFiles, meta: ContainerMeta): Promise<RuntimeContainerState> {
  return { status: 'stopped', pid: 0, exitCode: exit.exitCode, finishedAt: exit.finishedAt, oomKilled: await wasOomKilled(exit, files, meta) };
}

/** conmon's `oom` file, or a SIGKILL exit while the kernel counted an OOM kill in the cgroup. */
async function wasOomKilled(exit: ExitRecord, files: ContainerFiles, meta: ContainerMeta): Promise<boolean> {
  try {
    await access(files.oom);
    return true;
  } catch {
    return exit.exitCode === sigkillExitCode && (await oomKillCount(meta.cgroups)) > 0;
  }
}
