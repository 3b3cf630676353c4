import type { CoreContext } from '../context.js';
import { removeContainerResources } from '../containers/remove-resources.js';
import { removePodFiles } from './files.js';
import { releasePodSecurity } from './security.js';
import { findPodIfAny } from './lookup.js';
import { removeSandbox } from './sandbox.js';
import { stopPod } from './stop-pod-sandbox.js';
import { podFullName } from './validate.js';

/**
 * RemovePodSandbox: stop the pod if needed, remove its containers, the runtime's sandbox, files,
 * record and name.
 * Idempotent: removing a pod criod does not know is a success.
 */
export async function removePodSandbox(ctx: CoreContext, ref: string): Promise<void> {
  const found = findPodIfAny(ctx, ref);
  if (!found) {
    ctx.logger.info({ podId: ref }, 'RemovePodSandbox of an unknown pod: nothing to do');
    return;
  }
  await ctx.state.locks.run(found.id, async () => {
    const pod = ctx.state.pods.get(found.id);
    if (!pod) return;
    await stopPod(ctx, pod);
    const containers = [...ctx.state.containers.values()].filter((c) => c.podId === pod.id);
    await Promise.all(containers.map((c) => ctx.state.locks.run(c.id, () => removeContainerResources(ctx, c))));
    await removeSandbox(ctx, pod);
    await removePodFiles(pod.files, { keepDir: false });
    await releasePodSecurity(ctx, pod.id);
    await ctx.plugins.records.pods.delete(pod.id);
    ctx.state.pods.delete(pod.id);
    ctx.state.podNames.release(podFullName(pod.config), pod.id);
    ctx.logger.info({ podId: pod.id }, 'pod sandbox removed');
  });
}
