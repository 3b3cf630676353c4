import { FailedPreconditionError, InvalidArgumentError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { OciLinux, OciNamespace, OciSpec } from '../../oci/spec.js';
import type { ContainerConfig, ImageConfig, PodRecord } from '../../types.js';
import { resolveCapabilities } from './capabilities.js';
import { criDevices, defaultDeviceRules, hostDevices } from './devices.js';
import { criMounts, podMounts, rootfsPropagation, standardMounts } from './mounts.js';
import { effectiveOomScoreAdj, ociResources } from './resources.js';
import type { ProcessUser } from './user.js';

/** Paths hidden from unprivileged containers unless the request names its own. */
export const defaultMaskedPaths = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];
export const defaultReadonlyPaths = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

const defaultPath = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Kubernetes' rules: command replaces ENTRYPOINT (and drops CMD); args alone replace CMD. */
export function processArgs(config: ContainerConfig, image: ImageConfig): string[] {
  const args = config.command.length > 0 ? [...config.command, ...config.args] : [...image.entrypoint, ...(config.args.length > 0 ? config.args : image.cmd)];
  if (args.length === 0) throw new InvalidArgumentError(`container ${config.metadata.name}: no command given and the image has neither ENTRYPOINT nor CMD`);
  return args;
}

/** The image's env, then the request's (same key: the request wins), with PATH and HOSTNAME filled in. */
export function processEnv(config: ContainerConfig, image: ImageConfig, hostname: string): string[] {
  const env = new Map<string, string>();
  for (const e of image.env) {
    const i = e.indexOf('=');
    env.set(i < 0 ? e : e.slice(0, i), e);
  }
  for (const { key, value } of config.envs) {
    if (key === '' || key.includes('=')) throw new InvalidArgumentError(`environment variable name ${JSON.stringify(key)} is not valid`);
    env.set(key, `${key}=${value}`);
  }
  if (!env.has('PATH')) env.set('PATH', defaultPath);
  if (!env.has('HOSTNAME') && hostname) env.set('HOSTNAME', `HOSTNAME=${hostname}`);
  return [...env.values()];
}

export interface SpecInput {
  id: string;
  pod: PodRecord;
  config: ContainerConfig;
  image: ImageConfig;
  rootfs: string;
  user: ProcessUser;
  boundingSet: string[];
  /** The PID namespace a 'target' or 'pod' container joins, as the runtime named it (RuntimeContainerState.pidNamespacePath). */
  pidNamespacePath?: string;
  logger: Logger;
}

/**
 * The OCI runtime spec of a container, from the CRI config, its pod and its image. Its cgroup
 * (linux.cgroupsPath) is the runtime's to place under the pod's cgroup parent.
 */
export async function buildSpec(input: SpecInput): Promise<OciSpec> {
  const { id, pod, config, image } = input;
  const sc = config.linux.securityContext;
  const podNs = pod.config.linux.securityContext.namespaceOptions;
  const hostNetwork = podNs.network === 'node';
  const hostname = hostNetwork ? '' : pod.config.hostname;

  const namespaces: OciNamespace[] = [{ type: 'mount' }];
  const pinned = (kind: string) => pod.namespaces.find((n) => n.kind === kind)?.path;
  if (!hostNetwork) {
    const net = pinned('net');
    const uts = pinned('uts');
    if (!net || !uts) throw new InvalidArgumentError(`pod ${pod.id} is not ready: its namespaces are released`);
    namespaces.push({ type: 'network', path: net }, { type: 'uts', path: uts });
  }
  if (podNs.ipc !== 'node') {
    const ipc = pinned('ipc');
    if (!ipc) throw new InvalidArgumentError(`pod ${pod.id} is not ready: its IPC namespace is released`);
    namespaces.push({ type: 'ipc', path: ipc });
  }
  switch (sc.namespaceOptions.pid) {
    case 'container':
      namespaces.push({ type: 'pid' });
      break;
    case 'target':
    case 'pod':
      if (!input.pidNamespacePath)
        throw new FailedPreconditionError(`no running process holds the PID namespace this container joins (${sc.namespaceOptions.pid})`);
      namespaces.push({ type: 'pid', path: input.pidNamespacePath });
      break;
    case 'node':
      break;
  }

  const privileged = sc.privileged;
  const caps = resolveCapabilities({ ...sc.capabilities, privileged }, input.boundingSet);
  const devices = await criDevices(config.devices);
  const mounts = [...standardMounts(privileged), ...podMounts(pod, config.mounts, sc.readonlyRootfs), ...(await criMounts(config.mounts))];
  const resources = ociResources(config.linux.resources);
  const oomScoreAdj = config.linux.resources ? await effectiveOomScoreAdj(config.linux.resources.oomScoreAdj, input.logger, id) : undefined;

  const linux: OciLinux = {
    namespaces,
    resources: { ...resources, devices: privileged ? [{ allow: true, access: 'rwm' }] : [...defaultDeviceRules, ...devices.rules] },
    devices: privileged ? await hostDevices() : devices.nodes,
    maskedPaths: privileged ? [] : sc.maskedPaths.length > 0 ? sc.maskedPaths : defaultMaskedPaths,
    readonlyPaths: privileged ? [] : sc.readonlyPaths.length > 0 ? sc.readonlyPaths : defaultReadonlyPaths,
  };
  const propagation = rootfsPropagation(config.mounts);
  if (propagation) linux.rootfsPropagation = propagation;

  return {
    ociVersion: '1.0.2',
    process: {
      terminal: config.tty,
      user: { uid: input.user.uid, gid: input.user.gid, additionalGids: input.user.additionalGids },
      args: processArgs(config, image),
      env: processEnv(config, image, hostname),
      cwd: config.workingDir || image.workingDir || '/',
      capabilities: caps,
      noNewPrivileges: sc.noNewPrivs,
      ...(oomScoreAdj !== undefined ? { oomScoreAdj } : {}),
    },
    root: { path: input.rootfs, readonly: sc.readonlyRootfs },
    ...(hostname ? { hostname } : {}),
    mounts,
    linux,
    annotations: {
      ...config.annotations,
      'io.kubernetes.cri.container-name': config.metadata.name,
      'io.kubernetes.cri.sandbox-id': pod.id,
      'io.kubernetes.cri.sandbox-name': pod.config.metadata.name,
      'io.kubernetes.cri.sandbox-namespace': pod.config.metadata.namespace,
    },
  };
}
