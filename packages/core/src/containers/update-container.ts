import type { CoreContext } from '../context.js';
import { FailedPreconditionError } from '../errors.js';
import type { LinuxResources } from '../types.js';
import { findContainer, refreshContainer, refreshLocked } from './lookup.js';
import { validateResources } from './spec/resources.js';

/** UpdateContainerResources: new cgroup limits for a created or running container. */
export async function updateContainerResources(ctx: CoreContext, ref: string, resources: LinuxResources | undefined): Promise<void> {
  if (!resources) return;
  validateResources(resources);
  const found = findContainer(ctx, ref);
  await ctx.state.locks.run(found.id, async () => {
    const c = await refreshLocked(ctx, found);
    if (c.state !== 'running' && c.state !== 'created') throw new FailedPreconditionError(`container ${c.id} is ${c.state}: its resources cannot change`);
    await ctx.plugins.runtime.updateResources(c.id, resources);
    c.resources = resources;
    await ctx.plugins.records.containers.put(c);
  });
}

/** ReopenContainerLog: the runtime reopens the log file kubelet just rotated. */
export async function reopenContainerLog(ctx: CoreContext, ref: string): Promise<void> {
  const c = await refreshContainer(ctx, findContainer(ctx, ref));
  if (c.state !== 'running') throw new FailedPreconditionError(`container ${c.id} is ${c.state}, not running: its log is closed`);
  await ctx.plugins.runtime.reopenLog(c.id);
}
