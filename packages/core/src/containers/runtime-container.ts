import type { CoreContext } from '../context.js';
import type { Logger } from '../logger.js';
import type { ContainerSecurityRequest, RuntimeContainerRequest } from '../plugins.js';
import type { ContainerConfig, ImageConfig, PodRecord } from '../types.js';
import type { UndoStack } from '../util/undo.js';
import { buildSpec } from './spec/build.js';
import { daemonBoundingSet } from './spec/capabilities.js';
import type { ProcessUser } from './spec/user.js';

/** What one container under the runtime is made of: an app container's or the pod's infra. */
export interface RuntimeContainerInput {
  id: string;
  pod: PodRecord;
  config: ContainerConfig;
  image: ImageConfig;
  rootfs: string;
  user: ProcessUser;
  logPath: string;
  /** The PID namespace the container joins (its target's, the infra's), as the runtime names it. */
  pidNamespacePath?: string;
  /** A checkpoint's process images startContainer brings back. */
  restoreFrom?: string;
  /** The pod's infra container: confined by the pod's security context. */
  infra?: boolean;
  logger: Logger;
}

/**
 * The confinement the security plugins apply: the container's own security context, or for the
 * infra the pod's (as CRI-O and containerd confine the sandbox container with the pod-level
 * seccomp, AppArmor and SELinux options).
 */
function securityRequest(input: RuntimeContainerInput): ContainerSecurityRequest {
  const sc = input.infra ? input.pod.config.linux.securityContext : input.config.linux.securityContext;
  return {
    podId: input.pod.id,
    containerName: input.config.metadata.name,
    privileged: sc.privileged,
    seccomp: sc.seccompProfile,
    apparmor: sc.apparmorProfile,
    selinux: sc.selinux,
  };
}

/**
 * Build the container's OCI spec and let every security plugin confine it: the request the
 * runtime gets, the one path for app containers and the infra, so both get the same confinement.
 */
export async function runtimeContainerRequest(ctx: CoreContext, input: RuntimeContainerInput): Promise<RuntimeContainerRequest> {
  const { security } = ctx.plugins;
  const { id, pod, config } = input;
  const spec = await buildSpec({
    id,
    pod,
    config,
    image: input.image,
    rootfs: input.rootfs,
    user: input.user,
    boundingSet: await daemonBoundingSet(),
    pidNamespacePath: input.pidNamespacePath,
    logger: input.logger,
  });
  const req = securityRequest(input);
  for (const sec of security) await sec.applyToContainer(spec, req);
  return {
    id,
    podId: pod.id,
    handler: pod.runtimeHandler,
    spec,
    cgroupParent: pod.config.linux.cgroupParent,
    logPath: input.logPath,
    stdin: config.stdin,
    stdinOnce: config.stdinOnce,
    tty: config.tty,
    ...(input.restoreFrom ? { restoreFrom: input.restoreFrom } : {}),
  };
}

/** Build and confine the container (runtimeContainerRequest), create it under the runtime (not started), and register its deletion on `undo`. */
export async function createRuntimeContainer(ctx: CoreContext, input: RuntimeContainerInput, undo: UndoStack): Promise<void> {
  const { runtime } = ctx.plugins;
  await runtime.createContainer(await runtimeContainerRequest(ctx, input));
  undo.push('delete from runtime', () => runtime.deleteContainer(input.id));
}
