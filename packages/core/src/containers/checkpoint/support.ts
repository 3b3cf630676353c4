import type { CoreContext } from '../../context.js';
import { FailedPreconditionError } from '../../errors.js';
import type { RuntimePlugin } from '../../plugins.js';

type CheckpointingRuntime = RuntimePlugin & Required<Pick<RuntimePlugin, 'checkpointSupport' | 'checkpointContainer'>>;

/** The runtime, once it says it can checkpoint and restore here; FailedPrecondition with its reason otherwise. */
export async function checkpointingRuntime(ctx: CoreContext, what: string): Promise<CheckpointingRuntime> {
  const runtime = ctx.plugins.runtime;
  if (!runtime.checkpointSupport || !runtime.checkpointContainer) {
    throw new FailedPreconditionError(`${what}: the runtime plugin ${runtime.name} cannot checkpoint or restore containers`);
  }
  const support = await runtime.checkpointSupport();
  if (!support.available) throw new FailedPreconditionError(`${what}: checkpoint/restore is unavailable on this host: ${support.reason}`);
  return runtime as CheckpointingRuntime;
}
