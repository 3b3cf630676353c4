import { cp, rename, rm } from 'node:fs/promises';
import { requireMeta, writeMeta } from './bundle.js';
import { readProcCgroups } from './cgroups.js';
import { processStartTime } from './processes.js';
import { startMonitor } from './conmon.js';
import type { ContainerFiles } from './layout.js';
import type { RuntimeContext } from './runtime-context.js';

/** Take a checkpoint's images into the bundle (moved when on the same filesystem), for start to restore from. */
export async function keepCheckpointImages(from: string, files: ContainerFiles): Promise<void> {
  try {
    await rename(from, files.checkpoint);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await cp(from, files.checkpoint, { recursive: true, preserveTimestamps: true });
    await rm(from, { recursive: true, force: true });
  }
}

/**
 * Start a container made from a checkpoint: conmon runs `runc restore --detach` on the bundle's
 * images instead of `runc create`, so the processes run again as they were when checkpointed.
 * On failure the images stay, and CRIU's restore.log in the bundle says why.
 */
export async function restoreContainer(ctx: RuntimeContext, id: string): Promise<void> {
  const files = ctx.layout.container(id);
  const meta = await requireMeta(id, files);
  const pid = await startMonitor(ctx.conmon(meta.handler), {
    id,
    files,
    exitsDir: ctx.layout.exitsDir,
    logPath: meta.logPath,
    tty: meta.tty,
    stdin: meta.stdin,
    stdinOnce: meta.stdinOnce,
    restorePath: files.checkpoint,
  });
  const [cgroups, startTime] = await Promise.all([readProcCgroups(pid), processStartTime(pid)]);
  await writeMeta(files, { ...meta, pid, cgroups, startTime, started: true, restore: false });
  await rm(files.checkpoint, { recursive: true, force: true });
  ctx.logger.info({ id, pid }, 'container restored from its checkpoint');
}
