import type { CheckpointRequest, OciSpec } from '@criod/core';
import { readSpec, requireMeta } from './bundle.js';
import type { RuntimeContext } from './runtime-context.js';

/**
 * `runc checkpoint --leave-running` on the frozen container: it is paused first and resumed
 * only after `whileFrozen`, so what the caller captures then (its rootfs changes) matches the
 * process images, as CRI-O does it.
 */
export async function checkpointContainer(ctx: RuntimeContext, id: string, req: CheckpointRequest): Promise<{ spec: OciSpec }> {
  const files = ctx.layout.container(id);
  const meta = await requireMeta(id, files);
  const runc = ctx.runc(meta.handler);
  const spec = await readSpec(id, files);
  await runc.pause(id);
  try {
    await runc.checkpoint(id, req.imagesDir, req.workDir, req.timeoutSeconds * 1000);
    await req.whileFrozen();
  } finally {
    await runc.resume(id).catch((err: unknown) => ctx.logger.error({ id, err }, 'could not resume the container after its checkpoint'));
  }
  ctx.logger.info({ id, images: req.imagesDir }, 'container checkpointed');
  return { spec };
}
