import { InvalidArgumentError, type ContainerConfig, type ContainerRecord, type ContainerState, type MountPropagation } from '@criod/core';
import {
  ContainerState as CriContainerState,
  MountPropagation as CriMountPropagation,
  Signal,
  type Container,
  type ContainerConfig as CriContainerConfig,
  type ContainerStatus,
} from '../gen/runtime/v1/api.js';
import { namespaceOptionsFromCri, resourcesFromCri, resourcesToCri, safeNumber, securityProfileFromCri } from './common.js';

const propagations: Record<number, MountPropagation> = {
  [CriMountPropagation.PROPAGATION_PRIVATE]: 'private',
  [CriMountPropagation.PROPAGATION_HOST_TO_CONTAINER]: 'rslave',
  [CriMountPropagation.PROPAGATION_BIDIRECTIONAL]: 'rshared',
};
const propagationToCri: Record<MountPropagation, CriMountPropagation> = {
  private: CriMountPropagation.PROPAGATION_PRIVATE,
  rslave: CriMountPropagation.PROPAGATION_HOST_TO_CONTAINER,
  rshared: CriMountPropagation.PROPAGATION_BIDIRECTIONAL,
};

/** "SIGRTMINPLUS1" is "SIGRTMIN+1"; RUNTIME_DEFAULT is "" (the image's or SIGTERM). */
export function signalName(s: Signal): string {
  if (s === Signal.RUNTIME_DEFAULT) return '';
  const name = Signal[s];
  if (name === undefined || s === Signal.UNRECOGNIZED) throw new InvalidArgumentError(`unknown stop signal ${s}`);
  return name.replace(/PLUS(\d+)$/, '+$1').replace(/MINUS(\d+)$/, '-$1');
}

export function signalFromName(name: string): Signal {
  const key = name.replace(/\+(\d+)$/, 'PLUS$1').replace(/-(\d+)$/, 'MINUS$1') as keyof typeof Signal;
  return (Signal[key] as Signal | undefined) ?? Signal.RUNTIME_DEFAULT;
}

export function containerConfigFromCri(config: CriContainerConfig | undefined): ContainerConfig {
  if (!config) throw new InvalidArgumentError('container config is required');
  if (!config.metadata) throw new InvalidArgumentError('container config.metadata is required');
  const sc = config.linux?.securityContext;
  return {
    metadata: { name: config.metadata.name, attempt: config.metadata.attempt },
    image: config.image?.image ?? '',
    command: [...config.command],
    args: [...config.args],
    workingDir: config.workingDir,
    envs: config.envs.map((e) => ({ key: e.key, value: e.value })),
    mounts: config.mounts.map((m) => {
      const propagation = propagations[m.propagation];
      if (!propagation) throw new InvalidArgumentError(`mount ${m.containerPath}: unknown propagation ${m.propagation}`);
      if (m.image?.image) throw new InvalidArgumentError(`mount ${m.containerPath}: image volumes are not supported`);
      return { containerPath: m.containerPath, hostPath: m.hostPath, readonly: m.readonly, selinuxRelabel: m.selinuxRelabel, propagation };
    }),
    devices: config.devices.map((d) => ({ containerPath: d.containerPath, hostPath: d.hostPath, permissions: d.permissions })),
    labels: { ...config.labels },
    annotations: { ...config.annotations },
    logPath: config.logPath,
    stdin: config.stdin,
    stdinOnce: config.stdinOnce,
    tty: config.tty,
    stopSignal: signalName(config.stopSignal),
    linux: {
      resources: resourcesFromCri(config.linux?.resources),
      securityContext: {
        capabilities: {
          add: [...(sc?.capabilities?.addCapabilities ?? [])],
          drop: [...(sc?.capabilities?.dropCapabilities ?? [])],
          addAmbient: [...(sc?.capabilities?.addAmbientCapabilities ?? [])],
        },
        privileged: sc?.privileged ?? false,
        namespaceOptions: namespaceOptionsFromCri(sc?.namespaceOptions),
        selinux: sc?.selinuxOptions ? { ...sc.selinuxOptions } : undefined,
        runAsUser: sc?.runAsUser ? safeNumber(sc.runAsUser.value, 'run_as_user') : undefined,
        runAsGroup: sc?.runAsGroup ? safeNumber(sc.runAsGroup.value, 'run_as_group') : undefined,
        runAsUsername: sc?.runAsUsername ?? '',
        readonlyRootfs: sc?.readonlyRootfs ?? false,
        supplementalGroups: (sc?.supplementalGroups ?? []).map((g) => safeNumber(g, 'supplemental_groups')),
        noNewPrivs: sc?.noNewPrivs ?? false,
        maskedPaths: [...(sc?.maskedPaths ?? [])],
        readonlyPaths: [...(sc?.readonlyPaths ?? [])],
        seccompProfile: securityProfileFromCri(sc?.seccomp, sc?.seccompProfilePath ?? '', 'seccomp'),
        apparmorProfile: securityProfileFromCri(sc?.apparmor, sc?.apparmorProfile ?? '', 'apparmor'),
      },
    },
  };
}

const states: Record<ContainerState, CriContainerState> = {
  created: CriContainerState.CONTAINER_CREATED,
  running: CriContainerState.CONTAINER_RUNNING,
  exited: CriContainerState.CONTAINER_EXITED,
  unknown: CriContainerState.CONTAINER_UNKNOWN,
};

export function containerStateFromCri(s: CriContainerState): ContainerState {
  const found = (Object.entries(states) as [ContainerState, CriContainerState][]).find(([, v]) => v === s);
  if (!found) throw new InvalidArgumentError(`unknown container state ${s}`);
  return found[0];
}

function imageSpec(image: string) {
  return { image, annotations: {}, userSpecifiedImage: image, runtimeHandler: '', imageRef: '' };
}

export function containerToCri(c: ContainerRecord): Container {
  return {
    id: c.id,
    podSandboxId: c.podId,
    metadata: { name: c.name, attempt: c.attempt },
    image: imageSpec(c.image),
    imageRef: c.imageRef,
    state: states[c.state],
    createdAt: c.createdAt,
    labels: c.labels,
    annotations: c.annotations,
    imageId: `sha256:${c.imageId}`,
  };
}

export function containerStatusToCri(c: ContainerRecord): ContainerStatus {
  return {
    id: c.id,
    metadata: { name: c.name, attempt: c.attempt },
    state: states[c.state],
    createdAt: c.createdAt,
    startedAt: c.startedAt,
    finishedAt: c.finishedAt,
    exitCode: c.exitCode,
    image: imageSpec(c.image),
    imageRef: c.imageRef,
    reason: c.reason,
    message: c.message,
    labels: c.labels,
    annotations: c.annotations,
    mounts: c.config.mounts.map((m) => ({
      containerPath: m.containerPath,
      hostPath: m.hostPath,
      readonly: m.readonly,
      selinuxRelabel: m.selinuxRelabel,
      propagation: propagationToCri[m.propagation],
      uidMappings: [],
      gidMappings: [],
      recursiveReadOnly: false,
      image: undefined,
      imageSubPath: '',
    })),
    logPath: c.logPath,
    resources: c.resources ? { linux: resourcesToCri(c.resources), windows: undefined } : undefined,
    imageId: `sha256:${c.imageId}`,
    user: { linux: { uid: BigInt(c.user.uid), gid: BigInt(c.user.gid), supplementalGroups: c.user.additionalGids.map(BigInt) } },
    stopSignal: signalFromName(c.stopSignal),
  };
}
