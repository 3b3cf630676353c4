import type { CoreContext } from '../context.js';
import type { RuntimeSandbox } from '../plugins.js';
import type { PodRecord } from '../types.js';
import type { UndoStack } from '../util/undo.js';
import { infraRequest } from './infra.js';

/** The pod as the runtime plugin sees it. */
export function runtimeSandbox(pod: PodRecord): RuntimeSandbox {
  return {
    podId: pod.id,
    handler: pod.runtimeHandler,
    config: pod.config,
    namespaces: pod.namespaces,
    ...(pod.infraContainerId ? { infraContainerId: pod.infraContainerId } : {}),
  };
}

/**
 * Have the runtime make the pod's sandbox, with the infra container for a pod that shares one
 * PID namespace (namespace_options.pid POD); without one the runtime has nothing to run for runc,
 * as the other namespaces are pinned without a process.
 */
export async function runSandbox(ctx: CoreContext, pod: PodRecord, undo: UndoStack): Promise<void> {
  const sharesPid = pod.config.linux.securityContext.namespaceOptions.pid === 'pod';
  const infra = sharesPid ? await infraRequest(ctx, pod, undo) : undefined;
  if (infra) pod.infraContainerId = infra.id;
  const { runtime } = ctx.plugins;
  await runtime.runPodSandbox(runtimeSandbox(pod), infra);
  undo.push('remove sandbox', () => runtime.removePodSandbox(runtimeSandbox(pod)));
}

/** Remove the sandbox from the runtime, then the infra's rootfs core made; idempotent. */
export async function removeSandbox(ctx: CoreContext, pod: PodRecord): Promise<void> {
  await ctx.plugins.runtime.removePodSandbox(runtimeSandbox(pod));
  if (pod.infraContainerId) await ctx.plugins.images.removeRootfs(pod.infraContainerId);
}
