import type { CoreContext } from '../context.js';
import type { ContainerRecord } from '../types.js';
import { emitContainerEvent } from './events.js';
import { containerNameKey } from './lookup.js';

/** Everything a container holds, released in order: runtime state, rootfs, record, name. Idempotent. */
export async function removeContainerResources(ctx: CoreContext, c: ContainerRecord): Promise<void> {
  await ctx.plugins.runtime.deleteContainer(c.id);
  await ctx.plugins.images.removeRootfs(c.id);
  await ctx.plugins.records.containers.delete(c.id);
  ctx.state.containers.delete(c.id);
  ctx.state.stateChecks.forget(c.id);
  ctx.state.containerNames.release(containerNameKey(c.podId, c.name, c.attempt), c.id);
  emitContainerEvent(ctx, c, 'deleted');
  ctx.logger.info({ containerId: c.id, podId: c.podId }, 'container removed');
}
