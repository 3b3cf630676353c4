import { isDeepStrictEqual } from 'node:util';
import type { CoreContext } from '../context.js';
import type { PodRecord, PodSandboxConfig } from '../types.js';

/** Let each security plugin refuse what it cannot honour in the pod's security context. */
export async function validatePodSecurity(ctx: CoreContext, config: PodSandboxConfig): Promise<void> {
  for (const sec of ctx.plugins.security) await sec.validatePod?.(config.linux.securityContext);
}

/**
 * Let each security plugin hold what the pod's containers share (an SELinux level), handing it
 * the state it returned before a restart, and keep what it returns in `pod.securityState`.
 * True when that state changed, so the record needs writing.
 */
export async function reservePodSecurity(ctx: CoreContext, pod: PodRecord): Promise<boolean> {
  const selinuxLevel = pod.config.linux.securityContext.selinux?.level ?? '';
  const before = pod.securityState ?? {};
  const after: Record<string, Record<string, string>> = {};
  for (const sec of ctx.plugins.security) {
    const state = await sec.reservePod?.(pod.id, { selinuxLevel, ...(before[sec.name] ? { state: before[sec.name] } : {}) });
    if (state && Object.keys(state).length > 0) after[sec.name] = state;
  }
  if (Object.keys(after).length > 0) pod.securityState = after;
  else delete pod.securityState;
  return !isDeepStrictEqual(before, after);
}

export async function releasePodSecurity(ctx: CoreContext, podId: string): Promise<void> {
  for (const sec of ctx.plugins.security) await sec.releasePod?.(podId);
}
