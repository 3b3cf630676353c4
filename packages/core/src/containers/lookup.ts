import type { CoreContext } from '../context.js';
import { NotFoundError } from '../errors.js';
import type { ContainerRecord } from '../types.js';
import { nowNs } from '../types.js';
import { resolveIdPrefix } from '../util/ids.js';
import { emitContainerEvent } from './events.js';

/** The container an id (or unique id prefix) names; NotFound otherwise. */
export function findContainer(ctx: CoreContext, ref: string): ContainerRecord {
  const id = resolveIdPrefix(ref, ctx.state.containers.keys(), 'container');
  const c = ctx.state.containers.get(id);
  if (!c) throw new NotFoundError(`container ${ref} not found`);
  return c;
}

export function containerNameKey(podId: string, name: string, attempt: number): string {
  return `${podId}/${name}_${attempt}`;
}

/** Why a container ended, as kubelet expects it in ContainerStatus.reason. */
export function exitReason(exitCode: number, oomKilled: boolean): string {
  if (oomKilled) return 'OOMKilled';
  return exitCode === 0 ? 'Completed' : 'Error';
}

/**
 * Bring a record up to date with the runtime (a container may have exited since we last looked,
 * also while criod was down). Persists only when something changed.
 */
export async function refreshContainer(ctx: CoreContext, c: ContainerRecord): Promise<ContainerRecord> {
  if (c.state === 'exited') return c;
  let changed = false;
  try {
    const st = await ctx.plugins.runtime.containerState(c.id);
    if (st.status === 'stopped') {
      c.state = 'exited';
      c.exitCode = st.exitCode ?? 255;
      // The exit file's mtime and our clock may disagree by a hair: never finish before starting.
      const finishedAt = st.finishedAt ?? nowNs();
      c.finishedAt = finishedAt < c.startedAt ? c.startedAt : finishedAt;
      c.reason = exitReason(c.exitCode, st.oomKilled ?? false);
      changed = true;
    } else if (st.status === 'running' && c.state !== 'running') {
      c.state = 'running';
      changed = true;
    }
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    if (c.state !== 'unknown') {
      ctx.logger.warn({ containerId: c.id }, 'the runtime no longer knows this container');
      c.state = 'unknown';
      changed = true;
    }
  }
  if (changed) {
    await ctx.plugins.store.containers.put(c);
    if (c.state === 'exited') emitContainerEvent(ctx, c, 'stopped');
  }
  return c;
}
