import type { CoreContext } from '../context.js';
import { FailedPreconditionError, InvalidArgumentError } from '../errors.js';
import type { ExecSyncResult } from '../plugins.js';
import { findContainer, refreshContainer } from './lookup.js';

/** ExecSync: run a command in a running container; the timeout (seconds, 0 = none) kills it. */
export async function execSync(ctx: CoreContext, ref: string, cmd: string[], timeoutSeconds: number): Promise<ExecSyncResult> {
  if (cmd.length === 0 || cmd[0] === '') throw new InvalidArgumentError('exec command must not be empty');
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 0)
    throw new InvalidArgumentError(`timeout ${timeoutSeconds} must be a non-negative number of seconds`);
  const c = await refreshContainer(ctx, findContainer(ctx, ref));
  if (c.state !== 'running') throw new FailedPreconditionError(`container ${c.id} is ${c.state}, not running: cannot exec in it`);
  return ctx.plugins.runtime.execSync(c.id, cmd, timeoutSeconds);
}

/** The running container an interactive exec or attach goes to. */
export async function runningContainer(ctx: CoreContext, ref: string) {
  const c = await refreshContainer(ctx, findContainer(ctx, ref));
  if (c.state !== 'running') throw new FailedPreconditionError(`container ${c.id} is ${c.state}, not running`);
  return c;
}
