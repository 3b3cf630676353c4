import type { CoreContext } from '../context.js';
import type { ContainerRecord } from '../types.js';
import { settleAll } from '../util/settle.js';
import { emitContainerEvent } from './events.js';
import { containerNameKey } from './lookup.js';

/**
 * Everything a container holds, released in order: runtime state and rootfs (independent once
 * the container has exited, so side by side; the runtime's part is skipped when it was released
 * at exit), then record, then name. Idempotent: while the record is there a failed removal can be
 * repeated.
 */
export async function removeContainerResources(ctx: CoreContext, c: ContainerRecord): Promise<void> {
  const runtimeDelete = ctx.state.releasedContainers.has(c.id) ? undefined : ctx.plugins.runtime.deleteContainer(c.id);
  await settleAll([runtimeDelete, ctx.plugins.images.removeRootfs(c.id)]);
  await ctx.plugins.records.containers.delete(c.id);
  ctx.state.containers.delete(c.id);
  ctx.state.releasedContainers.delete(c.id);
  ctx.state.stateChecks.forget(c.id);
  ctx.state.containerNames.release(containerNameKey(c.podId, c.name, c.attempt), c.id);
  emitContainerEvent(ctx, c, 'deleted');
  ctx.logger.info({ containerId: c.id, podId: c.podId }, 'container removed');
}
