import { InvalidArgumentError, type PodRecord, type PodSandboxConfig, type PortProtocol } from '@criod/core';
import { PodSandboxState, Protocol, type PodSandbox, type PodSandboxConfig as CriPodSandboxConfig, type PodSandboxStatus } from '../gen/runtime/v1/api.js';
import { namespaceOptionsFromCri, namespaceOptionsToCri, resourcesFromCri, safeNumber, securityProfileFromCri } from './common.js';

const protocols: Record<number, PortProtocol> = { [Protocol.TCP]: 'tcp', [Protocol.UDP]: 'udp', [Protocol.SCTP]: 'sctp' };

export function podConfigFromCri(config: CriPodSandboxConfig | undefined): PodSandboxConfig {
  if (!config) throw new InvalidArgumentError('pod sandbox config is required');
  if (!config.metadata) throw new InvalidArgumentError('pod sandbox config.metadata is required');
  const sc = config.linux?.securityContext;
  return {
    metadata: { ...config.metadata },
    hostname: config.hostname,
    logDirectory: config.logDirectory,
    dnsConfig: config.dnsConfig
      ? { servers: [...config.dnsConfig.servers], searches: [...config.dnsConfig.searches], options: [...config.dnsConfig.options] }
      : undefined,
    portMappings: config.portMappings.map((pm) => {
      const protocol = protocols[pm.protocol];
      if (!protocol) throw new InvalidArgumentError(`port mapping has an unknown protocol ${pm.protocol}`);
      return { protocol, containerPort: pm.containerPort, hostPort: pm.hostPort, hostIp: pm.hostIp };
    }),
    labels: { ...config.labels },
    annotations: { ...config.annotations },
    linux: {
      cgroupParent: config.linux?.cgroupParent ?? '',
      sysctls: { ...(config.linux?.sysctls ?? {}) },
      overhead: resourcesFromCri(config.linux?.overhead),
      resources: resourcesFromCri(config.linux?.resources),
      securityContext: {
        namespaceOptions: namespaceOptionsFromCri(sc?.namespaceOptions),
        privileged: sc?.privileged ?? false,
        readonlyRootfs: sc?.readonlyRootfs ?? false,
        runAsUser: sc?.runAsUser ? safeNumber(sc.runAsUser.value, 'run_as_user') : undefined,
        runAsGroup: sc?.runAsGroup ? safeNumber(sc.runAsGroup.value, 'run_as_group') : undefined,
        supplementalGroups: (sc?.supplementalGroups ?? []).map((g) => safeNumber(g, 'supplemental_groups')),
        seccompProfile: securityProfileFromCri(sc?.seccomp, sc?.seccompProfilePath ?? '', 'seccomp'),
        apparmorProfile: securityProfileFromCri(sc?.apparmor, '', 'apparmor'),
        selinux: sc?.selinuxOptions ? { ...sc.selinuxOptions } : undefined,
      },
    },
  };
}

export function podStateToCri(pod: PodRecord): PodSandboxState {
  return pod.state === 'ready' ? PodSandboxState.SANDBOX_READY : PodSandboxState.SANDBOX_NOTREADY;
}

export function podToCri(pod: PodRecord): PodSandbox {
  return {
    id: pod.id,
    metadata: { ...pod.config.metadata },
    state: podStateToCri(pod),
    createdAt: pod.createdAt,
    labels: pod.config.labels,
    annotations: pod.config.annotations,
    runtimeHandler: pod.runtimeHandler,
  };
}

export function podStatusToCri(pod: PodRecord): PodSandboxStatus {
  const [ip = '', ...more] = pod.ips;
  return {
    ...podToCri(pod),
    network: { ip, additionalIps: more.map((a) => ({ ip: a })) },
    linux: { namespaces: { options: namespaceOptionsToCri(pod.config.linux.securityContext.namespaceOptions) } },
  };
}
