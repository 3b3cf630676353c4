import type { PodNetworkRequest } from '../plugins.js';
import type { PodRecord } from '../types.js';

/** What the network plugin needs to set up, check or tear down a pod's network. */
export function networkRequest(pod: PodRecord): PodNetworkRequest {
  const m = pod.config.metadata;
  return {
    podId: pod.id,
    name: m.name,
    namespace: m.namespace,
    uid: m.uid,
    netnsPath: pod.namespaces.find((ns) => ns.kind === 'net')?.path ?? '',
    portMappings: pod.config.portMappings,
    dns: pod.config.dnsConfig,
    cgroupParent: pod.config.linux.cgroupParent,
    annotations: pod.config.annotations,
  };
}

export function usesHostNetwork(pod: Pick<PodRecord, 'config'>): boolean {
  return pod.config.linux.securityContext.namespaceOptions.network === 'node';
}
