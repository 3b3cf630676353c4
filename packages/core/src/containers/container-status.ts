import type { CoreContext } from '../context.js';
import type { ContainerRecord } from '../types.js';
import { findContainer, refreshContainer } from './lookup.js';

export interface ContainerStatusResult {
  container: ContainerRecord;
  info: Record<string, string>;
}

/** ContainerStatus: the record brought up to date with the runtime; verbose adds the pid and paths. */
export async function containerStatus(ctx: CoreContext, ref: string, verbose: boolean): Promise<ContainerStatusResult> {
  const c = await refreshContainer(ctx, findContainer(ctx, ref));
  const info: Record<string, string> = {};
  if (verbose) {
    const st = await ctx.plugins.runtime.containerState(c.id).catch(() => undefined);
    info.info = JSON.stringify({ pid: st?.pid ?? 0, sandboxId: c.podId, logPath: c.logPath, imageId: c.imageId, user: c.user, stopSignal: c.stopSignal });
  }
  return { container: c, info };
}
