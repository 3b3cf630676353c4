import type { CoreContext } from '../context.js';
import { FailedPreconditionError } from '../errors.js';
import { nowNs } from '../types.js';
import { emitContainerEvent } from './events.js';
import { findContainer, refreshLocked } from './lookup.js';

/** StartContainer: only a created container starts; its process begins running. */
export async function startContainer(ctx: CoreContext, ref: string): Promise<void> {
  const found = findContainer(ctx, ref);
  await ctx.state.locks.run(found.id, async () => {
    const c = await refreshLocked(ctx, found);
    if (c.state !== 'created') throw new FailedPreconditionError(`container ${c.id} is ${c.state}, not created: it cannot be started`);
    // Taken before the start: a short-lived process may have finished by the time the runtime returns.
    const startedAt = nowNs();
    await ctx.plugins.runtime.startContainer(c.id);
    c.state = 'running';
    c.startedAt = startedAt;
    await ctx.plugins.records.containers.put(c);
    emitContainerEvent(ctx, c, 'started');
    ctx.logger.info({ containerId: c.id }, 'container started');
  });
}
