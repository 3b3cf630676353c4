import type { CoreContext } from '../context.js';
import type { Logger } from '../logger.js';
import type { ContainerSecurityRequest } from '../plugins.js';
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
  /** The PID whose namespace the container joins (a target container, the infra). */
  pidNamespaceOf?: number;
  /** A checkpoint's process images startContainer brings back. */
  restoreFrom?: string;
  /** The pod's infra container: confined by the pod's security context, run without a monitor. */
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
 * Build the container's OCI spec, let every security plugin confine it, and create it under the
 * runtime (not started). The one path for app containers and the infra, so both get the same
 * confinement. Registers the runtime deletion on `undo`.
 */
export async function createRuntimeContainer(ctx: CoreContext, input: RuntimeContainerInput, undo: UndoStack): Promise<void> {
  const { runtime, security } = ctx.plugins;
  const { id, pod, config } = input;
  const spec = await buildSpec({
    id,
    pod,
    config,
    image: input.image,
    rootfs: input.rootfs,
    user: input.user,
    boundingSet: await daemonBoundingSet(),
    pidNamespaceOf: input.pidNamespaceOf,
    logger: input.logger,
  });
  const req = securityRequest(input);
  for (const sec of security) await sec.applyToContainer(spec, req);
  await runtime.createContainer({
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
    ...(input.infra ? { infra: true } : {}),
  });
  undo.push('delete from runtime', () => runtime.deleteContainer(id));
}
