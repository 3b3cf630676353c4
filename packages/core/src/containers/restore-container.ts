import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CoreContext } from '../context.js';
import { InvalidArgumentError, NotFoundError } from '../errors.js';
import type { ContainerConfig } from '../types.js';
import { unpackCheckpoint, type UnpackedCheckpoint } from './checkpoint/archive.js';
import { checkpointingRuntime } from './checkpoint/support.js';
import { createContainer } from './create-container.js';

/** CreateContainer's image names a checkpoint archive, as with CRI-O, when it is an absolute path: no image reference starts with "/". */
export function isCheckpointArchive(image: string): boolean {
  return image.startsWith('/');
}

/**
 * The config of the restored container: the process, image and bind mounts as checkpointed (CRIU
 * brings back that process over that filesystem), the rest from the request, as with CRI-O. Every
 * bind mount of the checkpoint must be asked for again, so an archive cannot mount host paths on
 * its own.
 */
function restoredConfig(checkpoint: UnpackedCheckpoint, request: ContainerConfig, archive: string): ContainerConfig {
  const saved = checkpoint.config.criod.containerConfig;
  const missing = saved.mounts.filter((m) => !request.mounts.some((r) => r.containerPath === m.containerPath)).map((m) => m.containerPath);
  if (missing.length > 0) throw new InvalidArgumentError(`restoring ${archive} needs these bind mounts in the container config: ${missing.join(', ')}`);
  return {
    ...saved,
    metadata: request.metadata,
    // The image exactly as checkpointed (digest or id), not a tag that may have moved since.
    image: checkpoint.config.rootfsImageRef,
    mounts: request.mounts.filter((r) => saved.mounts.some((m) => m.containerPath === r.containerPath)),
    devices: request.devices,
    labels: request.labels,
    annotations: { ...saved.annotations, ...request.annotations },
    logPath: request.logPath,
    linux: {
      ...(request.linux.resources ? { resources: request.linux.resources } : {}),
      securityContext: {
        ...request.linux.securityContext,
        maskedPaths: saved.linux.securityContext.maskedPaths,
        readonlyPaths: saved.linux.securityContext.readonlyPaths,
      },
    },
  };
}

/**
 * CreateContainer from a checkpoint archive: a container of the checkpointed image with the
 * checkpoint's rootfs changes applied, whose processes the runtime restores at StartContainer.
 */
export async function restoreContainer(ctx: CoreContext, podRef: string, request: ContainerConfig): Promise<string> {
  const archive = request.image;
  if (!request.metadata.name) throw new InvalidArgumentError('container metadata.name must not be empty');
  const st = await stat(archive).catch(() => undefined);
  if (!st) throw new NotFoundError(`checkpoint archive ${archive} not found`);
  if (!st.isFile()) throw new InvalidArgumentError(`${archive} is not a checkpoint archive: not a regular file`);
  const staging = join(ctx.options.runroot, 'checkpoints');
  await mkdir(staging, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(join(staging, 'restore-'));
  try {
    const checkpoint = await unpackCheckpoint(archive, dir);
    await checkpointingRuntime(ctx, `restore from ${archive}`);
    const config = restoredConfig(checkpoint, request, archive);
    const id = await createContainer(ctx, podRef, config, {
      imagesDir: checkpoint.imagesDir,
      applyRootfs: (containerId) =>
        ctx.plugins.images.applyRootfsDiff(containerId, {
          ...(checkpoint.rootfsDiff ? { tarPath: checkpoint.rootfsDiff } : {}),
          deleted: checkpoint.deleted,
        }),
    });
    ctx.logger.info({ containerId: id, archive, checkpointed: checkpoint.config.id }, 'container created from a checkpoint');
    return id;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
