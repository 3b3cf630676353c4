import { mkdir, readFile } from 'node:fs/promises';
import { dirname, isAbsolute } from 'node:path';
import { InternalError, InvalidArgumentError, type OciSpec, type RuntimeContainerRequest, type RuntimeContainerState } from '@criod/core';
import { createBundle, writeMeta, type ContainerMeta } from './bundle.js';
import { cgroupsPath } from './cgroup-path.js';
import { readProcCgroups } from './cgroups.js';
import { startMonitor } from './conmon.js';
import { removeContainer } from './container-delete.js';
import { live } from './container-state.js';
import { keepCheckpointImages } from './container-restore.js';
import { processStartTime } from './processes.js';
import type { ContainerFiles } from './layout.js';
import type { RuntimeContext } from './runtime-context.js';

/** A `pid` namespace entry without a path: runc makes a new one for the container. */
function hasOwnPidNamespace(spec: OciSpec): boolean {
  return (spec.linux?.namespaces ?? []).some((ns) => ns.type === 'pid' && !ns.path);
}

export interface CreateOptions {
  /**
   * Run it at once with `runc run --detach`, without conmon (the pod's infra, see sandbox.ts): a
   * pause process has no output, no stdin and no exit status anyone reads, so a monitor, a log
   * and an exit file would only cost a spawn and a process per pod. Its end is seen in /proc.
   */
  unmonitored?: boolean;
}

/**
 * Write the bundle and run `runc create` under a new conmon (or run it unmonitored). On any
 * failure everything made so far is undone (runc state, conmon, bundle) and the error carries
 * runc's message.
 */
export async function createContainer(ctx: RuntimeContext, req: RuntimeContainerRequest, options: CreateOptions = {}): Promise<RuntimeContainerState> {
  const files = ctx.layout.container(req.id);
  const handler = ctx.handler(req.handler);
  if (!isAbsolute(req.logPath)) throw new InvalidArgumentError(`container ${req.id}: log path ${JSON.stringify(req.logPath)} is not absolute`);

  const meta: ContainerMeta = {
    handler: handler.name,
    logPath: req.logPath,
    tty: req.tty,
    stdin: req.stdin,
    stdinOnce: req.stdinOnce,
    cgroups: {},
    pid: 0,
    restore: false,
    ownPidNamespace: hasOwnPidNamespace(req.spec),
    unmonitored: options.unmonitored === true,
    started: options.unmonitored === true,
  };
  // The container's cgroup, in the form of the driver runc is run with (--systemd-cgroup or not).
  const spec: OciSpec = { ...req.spec, linux: { ...req.spec.linux, cgroupsPath: cgroupsPath(ctx.config.cgroup_manager, req.cgroupParent, req.id) } };
  await createBundle(req.id, files, spec, meta);
  try {
    if (req.restoreFrom) {
      await mkdir(dirname(req.logPath), { recursive: true });
      // Nothing runs until start restores the checkpoint: runc restore makes and starts it at once.
      await keepCheckpointImages(req.restoreFrom, files);
      await writeMeta(files, { ...meta, restore: true });
      return { status: 'created', pid: 0 };
    }
    const pid = meta.unmonitored ? await runUnmonitored(ctx, req.id, files, handler.name) : await createMonitored(ctx, req, files, handler.name);
    // runc init already sits in the container's cgroups: remember them for stats and OOM checks.
    [meta.cgroups, meta.startTime] = await Promise.all([readProcCgroups(pid), processStartTime(pid)]);
    meta.pid = pid;
    await writeMeta(files, meta);
    ctx.logger.debug({ id: req.id, pid, handler: handler.name, unmonitored: meta.unmonitored }, 'container created');
    return live(meta.started ? 'running' : 'created', pid);
  } catch (err) {
    await removeContainer(ctx, req.id, files, [ctx.runc(handler.name)]).catch((cleanupErr: unknown) => {
      ctx.logger.warn({ id: req.id, err: cleanupErr }, 'cleanup after a failed create failed');
    });
    throw err;
  }
}

/** An app container: `runc create` under a new conmon, which keeps its stdio, log and exit status. */
async function createMonitored(ctx: RuntimeContext, req: RuntimeContainerRequest, files: ContainerFiles, handler: string): Promise<number> {
  await mkdir(dirname(req.logPath), { recursive: true });
  return startMonitor(ctx.conmon(handler), {
    id: req.id,
    files,
    exitsDir: ctx.layout.exitsDir,
    logPath: req.logPath,
    tty: req.tty,
    stdin: req.stdin,
    stdinOnce: req.stdinOnce,
  });
}

/** One `runc run --detach`, no conmon: the container runs at once; runc writes its pid. */
async function runUnmonitored(ctx: RuntimeContext, id: string, files: ContainerFiles, handler: string): Promise<number> {
  const target = ctx.conmon(handler);
  await target.runc.runDetached(id, files.bundle, files.pidFile, files.runcLog, target.systemdCgroup);
  const pid = Number.parseInt(await readFile(files.pidFile, 'utf8'), 10);
  if (!(pid > 1)) throw new InternalError(`run container ${id}: runc wrote no pid to ${files.pidFile}`);
  return pid;
}
