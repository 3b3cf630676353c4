import type { CoreContext } from '../context.js';
import { InvalidArgumentError } from '../errors.js';
import type { ContainerRecord } from '../types.js';
import { findContainer, refreshLocked } from './lookup.js';

/**
 * StopContainer: the stop signal, `timeout` seconds of grace, then SIGKILL (0 = kill now).
 * Idempotent: stopping an exited container is a success.
 */
export async function stopContainer(ctx: CoreContext, ref: string, timeoutSeconds: number): Promise<void> {
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 0)
    throw new InvalidArgumentError(`timeout ${timeoutSeconds} must be a non-negative number of seconds`);
  const found = findContainer(ctx, ref);
  await ctx.state.locks.run(found.id, () => stopLocked(ctx, found, timeoutSeconds));
}

/** The body of a stop, for callers holding the container's lock. */
export async function stopLocked(ctx: CoreContext, found: ContainerRecord, timeoutSeconds: number): Promise<void> {
  const c = await refreshLocked(ctx, found);
  if (c.state === 'exited') return;
  await ctx.plugins.runtime.stopContainer(c.id, timeoutSeconds, c.stopSignal);
  await refreshLocked(ctx, c);
  ctx.logger.info({ containerId: c.id, exitCode: c.exitCode }, 'container stopped');
}
