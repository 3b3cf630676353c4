import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import type { CoreContext } from '../context.js';
import { FailedPreconditionError, InvalidArgumentError } from '../errors.js';
import { archiveFiles, packCheckpoint, writeArchiveJson, type CheckpointConfig } from './checkpoint/archive.js';
import { checkpointingRuntime } from './checkpoint/support.js';
import { findContainer, refreshLocked } from './lookup.js';

/** CRI: 0 means the runtime's default. CRIU dumping a big container takes a while. */
const defaultTimeoutSeconds = 600;

function nsToIso(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString();
}

/** The archive path kubelet (or crictl) asks for: absolute, in a dir that exists, not a dir itself. */
async function validateLocation(location: string): Promise<string> {
  if (!location) throw new InvalidArgumentError('location must name the checkpoint archive to write');
  if (location.includes('\0')) throw new InvalidArgumentError('location contains a NUL character');
  if (!isAbsolute(location)) throw new InvalidArgumentError(`location ${JSON.stringify(location)} must be an absolute path`);
  const path = normalize(location);
  const parent = await stat(dirname(path)).catch(() => undefined);
  if (!parent?.isDirectory()) throw new InvalidArgumentError(`location ${JSON.stringify(location)}: its directory ${dirname(path)} does not exist`);
  if ((await stat(path).catch(() => undefined))?.isDirectory())
    throw new InvalidArgumentError(`location ${JSON.stringify(location)} is a directory, not an archive path`);
  return path;
}

/**
 * CheckpointContainer: CRIU images of the running container's processes (which keep running),
 * its OCI spec, its config and its writable layer's changes, in one tar at `location`.
 */
export async function checkpointContainer(ctx: CoreContext, ref: string, location: string, timeoutSeconds: number): Promise<void> {
  if (!ref) throw new InvalidArgumentError('container_id must not be empty');
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 0)
    throw new InvalidArgumentError(`timeout ${timeoutSeconds} must be a non-negative number of seconds`);
  const archive = await validateLocation(location);
  const found = findContainer(ctx, ref);
  const runtime = await checkpointingRuntime(ctx, `checkpoint container ${found.id}`);
  await ctx.state.locks.run(found.id, async () => {
    const c = await refreshLocked(ctx, found);
    if (c.state !== 'running') throw new FailedPreconditionError(`container ${c.id} is ${c.state}, not running: only a running container can be checkpointed`);
    const staging = join(ctx.options.runroot, 'checkpoints');
    await mkdir(staging, { recursive: true, mode: 0o700 });
    const dir = await mkdtemp(join(staging, `${c.id}-`));
    try {
      const imagesDir = join(dir, archiveFiles.checkpointDir);
      await mkdir(imagesDir);
      const { spec } = await runtime.checkpointContainer(c.id, {
        imagesDir,
        workDir: dir,
        timeoutSeconds: timeoutSeconds || defaultTimeoutSeconds,
        whileFrozen: async () => {
          const diff = await ctx.plugins.images.exportRootfsDiff(c.id, join(dir, archiveFiles.rootfsDiff));
          if (diff.deleted.length > 0) await writeArchiveJson(dir, archiveFiles.deletedFiles, diff.deleted);
        },
      });
      const pod = ctx.state.pods.get(c.podId);
      const config: CheckpointConfig = {
        id: c.id,
        name: c.name,
        rootfsImage: c.image,
        rootfsImageRef: c.imageRef,
        rootfsImageName: c.image,
        runtime: pod?.runtimeHandler || (runtime.handlers()[0]?.name ?? ''),
        createdTime: nsToIso(c.createdAt),
        checkpointedTime: new Date().toISOString(),
        criod: { podId: c.podId, imageId: c.imageId, containerConfig: c.config },
      };
      await writeArchiveJson(dir, archiveFiles.specDump, spec);
      await writeArchiveJson(dir, archiveFiles.configDump, config);
      await packCheckpoint(dir, archive);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    ctx.logger.info({ containerId: c.id, location: archive }, 'container checkpointed');
  });
}
