import type { CoreContext } from '../context.js';
import type { PodRecord } from '../types.js';
import { stopLocked } from '../containers/stop-container.js';
import { removePodFiles } from './files.js';
import { findPodIfAny } from './lookup.js';
import { networkRequest, usesHostNetwork } from './network-request.js';
import { settleAll } from '../util/settle.js';
import { runtimeSandbox } from './sandbox.js';

/**
 * StopPodSandbox: stop every container of the pod, then the runtime's sandbox, detach the network,
 * unmount /dev/shm and release the namespaces. Idempotent: kubelet repeats it, also for pods whose namespace is gone
 * and for pods criod no longer knows.
 */
export async function stopPodSandbox(ctx: CoreContext, ref: string): Promise<void> {
  const found = findPodIfAny(ctx, ref);
  if (!found) {
    ctx.logger.info({ podId: ref }, 'StopPodSandbox of an unknown pod: nothing to do');
    return;
  }
  await ctx.state.locks.run(found.id, async () => {
    const pod = ctx.state.pods.get(found.id);
    if (pod) await stopPod(ctx, pod);
  });
}

/** The body of a stop, for callers that already hold the pod's lock. */
export async function stopPod(ctx: CoreContext, pod: PodRecord): Promise<void> {
  const log = ctx.logger.child({ podId: pod.id });
  await stopPodContainers(ctx, pod);
  // The sandbox, the network and the shm unmount do not depend on each other: all at once. The
  // namespaces go last, as CNI DEL needs the netns path (and copes when it is closed).
  const detach = !usesHostNetwork(pod) && pod.namespaces.length > 0 ? ctx.plugins.network.tearDown(networkRequest(pod)) : Promise.resolve();
  await settleAll([ctx.plugins.runtime.stopPodSandbox(runtimeSandbox(pod)), detach, removePodFiles(pod.files, { keepDir: true })]);
  await Promise.all(pod.namespaces.map((ns) => ctx.plugins.namespace.release(ns)));
  if (pod.state !== 'notready' || pod.namespaces.length > 0) {
    pod.state = 'notready';
    pod.namespaces = [];
    await ctx.plugins.records.pods.put(pod);
    log.info('pod sandbox stopped');
  }
}

/** Kill what still runs in the pod: kubelet stopped the containers gracefully before this. */
async function stopPodContainers(ctx: CoreContext, pod: PodRecord): Promise<void> {
  const running = [...ctx.state.containers.values()].filter((c) => c.podId === pod.id && c.state !== 'exited');
  await Promise.all(running.map((c) => ctx.state.locks.run(c.id, () => stopLocked(ctx, c, 0))));
}
