import type { CoreContext } from '../context.js';
import { NotFoundError } from '../errors.js';
import type { ContainerRecord } from '../types.js';
import { nowNs } from '../types.js';
import { resolveIdPrefix } from '../util/ids.js';
import { emitContainerEvent } from './events.js';

/** The container an id (or unique id prefix) names; NotFound otherwise. */
export function findContainer(ctx: CoreContext, ref: string): ContainerRecord {
  // A full id (what kubelet sends) without a walk over every container's id.
  const exact = ctx.state.containers.get(ref);
  if (exact) return exact;
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

/** What the runtime says the record should become; undefined when it is up to date. */
async function runtimeChange(ctx: CoreContext, c: ContainerRecord): Promise<Partial<ContainerRecord> | undefined> {
  try {
    const st = await ctx.plugins.runtime.containerState(c.id);
    if (st.status === 'stopped') {
      const exitCode = st.exitCode ?? 255;
      // The runtime's exit time and our clock may disagree by a hair: never finish before starting.
      const finishedAt = st.finishedAt ?? nowNs();
      return {
        state: 'exited',
        exitCode,
        finishedAt: finishedAt < c.startedAt ? c.startedAt : finishedAt,
        reason: exitReason(exitCode, st.oomKilled ?? false),
      };
    }
    if (st.status === 'running' && c.state !== 'running') return { state: 'running' };
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    if (c.state !== 'unknown') return { state: 'unknown' };
  }
  return undefined;
}

/**
 * Whether a read must ask the runtime before answering with this record. While the runtime's
 * exits are watched, a record checked since its last exit is answered from memory (the recheck
 * sweep is the safety net for an exit nobody announced); otherwise the runtime is asked.
 */
export function needsCheck(ctx: CoreContext, c: ContainerRecord): boolean {
  return c.state !== 'exited' && ctx.state.stateChecks.verdict(c.id) !== 'current';
}

/** The record as current as reads need it (list, status, stats, exec). */
export async function refreshContainer(ctx: CoreContext, c: ContainerRecord): Promise<ContainerRecord> {
  return needsCheck(ctx, c) ? checkContainer(ctx, c) : c;
}

/**
 * Ask the runtime, for callers without the container's lock: the runtime is asked without it,
 * and only a change takes the lock and is checked again there, so a concurrent check does not
 * announce the same exit twice and a removed container is not written back.
 */
export async function checkContainer(ctx: CoreContext, c: ContainerRecord): Promise<ContainerRecord> {
  const ticket = ctx.state.stateChecks.ticket();
  if (await runtimeChange(ctx, c)) return ctx.state.locks.run(c.id, () => refreshLocked(ctx, c));
  if (ctx.state.containers.get(c.id) === c) ctx.state.stateChecks.confirm(c.id, ticket);
  return c;
}

/** Bring the record up to date with the runtime, for callers holding the container's lock (always asks). Persists only when something changed. */
export async function refreshLocked(ctx: CoreContext, c: ContainerRecord): Promise<ContainerRecord> {
  // Removed (or replaced by a restore) while we waited: the record is no longer ours to write.
  if (c.state === 'exited' || ctx.state.containers.get(c.id) !== c) return c;
  const ticket = ctx.state.stateChecks.ticket();
  const change = await runtimeChange(ctx, c);
  if (change) {
    if (change.state === 'unknown') ctx.logger.warn({ containerId: c.id }, 'the runtime no longer knows this container');
    Object.assign(c, change);
    await ctx.plugins.records.containers.put(c);
    if (change.state === 'exited') {
      emitContainerEvent(ctx, c, 'stopped');
      await releaseExited(ctx, c);
    }
  }
  ctx.state.stateChecks.confirm(c.id, ticket);
  return c;
}

/**
 * An exited container needs nothing of the runtime any more (its exit is in the record) nor a
 * mounted rootfs: release both now, as containerd's shim does at task exit, so RemoveContainer
 * is left with files to delete. A failure here is retried by RemoveContainer, which does the same.
 */
async function releaseExited(ctx: CoreContext, c: ContainerRecord): Promise<void> {
  try {
    await ctx.plugins.runtime.deleteContainer(c.id);
    ctx.state.releasedContainers.add(c.id);
    await ctx.plugins.images.unmountRootfs(c.id);
  } catch (err) {
    ctx.logger.warn({ err, containerId: c.id }, 'releasing an exited container failed; RemoveContainer retries');
  }
}
