import type { CoreContext } from '../context.js';
import { FailedPreconditionError } from '../errors.js';
import type { LinuxResources } from '../types.js';
import { validateResources } from '../containers/spec/resources.js';
import { findPod } from './lookup.js';
import { runtimeSandbox } from './sandbox.js';

/**
 * UpdatePodSandboxResources (in-place pod resize): kubelet itself resizes the pod cgroup and each
 * container's; the runtime plugin resizes a sandbox of its own (a VM) and core records the new
 * pod-level values.
 */
export async function updatePodSandboxResources(
  ctx: CoreContext,
  ref: string,
  overhead: LinuxResources | undefined,
  resources: LinuxResources | undefined,
): Promise<void> {
  validateResources(overhead);
  validateResources(resources);
  const found = findPod(ctx, ref);
  await ctx.state.locks.run(found.id, async () => {
    const pod = ctx.state.pods.get(found.id);
    if (!pod || pod.state !== 'ready') throw new FailedPreconditionError(`pod sandbox ${found.id} is not ready`);
    await ctx.plugins.runtime.updatePodSandboxResources(runtimeSandbox(pod), overhead, resources);
    if (overhead) pod.config.linux.overhead = overhead;
    if (resources) pod.config.linux.resources = resources;
    await ctx.plugins.records.pods.put(pod);
  });
}
