import { cri } from '@criod/cri-grpc';
import { uniqueName } from './harness.js';

/** A pod sandbox config as kubelet sends one, with a unique name. */
export function podConfig(overrides: Partial<cri.PodSandboxConfig> = {}): cri.PodSandboxConfig {
  const name = uniqueName('pod-');
  return cri.PodSandboxConfig.fromPartial({
    metadata: { name, namespace: 'e2e', uid: `uid-${name}`, attempt: 0 },
    hostname: name,
    logDirectory: `/tmp/${name}`,
    labels: { suite: 'e2e', name },
    linux: { securityContext: { namespaceOptions: { network: cri.NamespaceMode.POD, pid: cri.NamespaceMode.CONTAINER, ipc: cri.NamespaceMode.POD } } },
    ...overrides,
  });
}

export function netnsPathOf(info: Record<string, string>): string {
  return (JSON.parse(info.info ?? '{}') as { netnsPath: string }).netnsPath;
}
