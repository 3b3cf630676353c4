import { readMeta, removeBundle } from './bundle.js';
import { monitorPid } from './conmon.js';
import { removeIfExists } from './files.js';
import type { ContainerFiles } from './layout.js';
import { signalProcess, waitGone } from './processes.js';
import type { Runc } from './runc.js';
import type { RuntimeContext } from './runtime-context.js';

/** conmon ends by itself right after the container; this long is a stuck one. */
const monitorExitGraceMs = 2_000;

/** Remove the container from runc, its conmon and its files; idempotent. */
export async function deleteContainer(ctx: RuntimeContext, id: string): Promise<void> {
  const files = ctx.layout.container(id);
  const meta = await readMeta(files);
  // Without a bundle we do not know the handler: make sure no handler root keeps the id.
  await removeContainer(ctx, id, files, meta ? [ctx.runc(meta.handler)] : ctx.allRuncs());
}

export async function removeContainer(ctx: RuntimeContext, id: string, files: ContainerFiles, runcs: Runc[]): Promise<void> {
  await Promise.all(runcs.map((runc) => runc.forceDelete(id)));
  await endMonitor(files, id);
  // After conmon is gone, so it cannot write the exit file again.
  await Promise.all([removeBundle(files), removeIfExists(files.exitFile)]);
  ctx.logger.debug({ id }, 'container deleted');
}

/** With the container gone conmon writes the exit file and ends; kill it (only it) if it does not. */
async function endMonitor(files: ContainerFiles, id: string): Promise<void> {
  const pid = await monitorPid(files, id);
  if (!pid || (await waitGone(pid, monitorExitGraceMs))) return;
  signalProcess(pid, 'SIGKILL');
  await waitGone(pid, monitorExitGraceMs);
}
