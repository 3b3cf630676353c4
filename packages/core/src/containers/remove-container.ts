import type { CoreContext } from '../context.js';
import { NotFoundError } from '../errors.js';
import { findContainer } from './lookup.js';
import { removeContainerResources } from './remove-resources.js';
import { stopLocked } from './stop-container.js';

/** RemoveContainer: kill it if it still runs, then release everything. Idempotent. */
export async function removeContainer(ctx: CoreContext, ref: string): Promise<void> {
  let found;
  try {
    found = findContainer(ctx, ref);
  } catch (err) {
    if (err instanceof NotFoundError) return;
    throw err;
  }
  const c = found;
  await ctx.state.locks.run(c.id, async () => {
    if (!ctx.state.containers.has(c.id)) return;
    await stopLocked(ctx, c, 0);
    await removeContainerResources(ctx, c);
  });
}
