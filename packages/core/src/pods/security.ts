import type { CoreContext } from '../context.js';
import type { PodRecord, PodSandboxConfig } from '../types.js';

/** Let each security plugin refuse what it cannot honour in the pod's security context. */
export async function validatePodSecurity(ctx: CoreContext, config: PodSandboxConfig): Promise<void> {
  for (const sec of ctx.plugins.security) await sec.validatePod?.(config.linux.securityContext);
}

/** Let each security plugin hold what the pod's containers share (an SELinux level). */
export async function reservePodSecurity(ctx: CoreContext, pod: PodRecord): Promise<void> {
  const selinuxLevel = pod.config.linux.securityContext.selinux?.level ?? '';
  for (const sec of ctx.plugins.security) await sec.reservePod?.(pod.id, { selinuxLevel });
}

export async function releasePodSecurity(ctx: CoreContext, podId: string): Promise<void> {
  for (const sec of ctx.plugins.security) await sec.releasePod?.(podId);
}
