/** Builders of domain configs for tests: a pod and a container as kubelet would ask for them. */
import type { ContainerConfig, ImageRecord, PodSandboxConfig } from '../types.js';

export function testPodConfig(name = 'web', overrides: Partial<PodSandboxConfig> = {}): PodSandboxConfig {
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, attempt: 0 },
    hostname: name,
    logDirectory: '',
    dnsConfig: { servers: ['10.96.0.10'], searches: ['default.svc.cluster.local'], options: ['ndots:5'] },
    portMappings: [],
    labels: { app: name },
    annotations: {},
    linux: {
      cgroupParent: '',
      sysctls: {},
      securityContext: {
        namespaceOptions: { network: 'pod', pid: 'container', ipc: 'pod', targetId: '' },
        privileged: false,
        readonlyRootfs: false,
        supplementalGroups: [],
      },
    },
    ...overrides,
  };
}

export function testContainerConfig(name = 'app', overrides: Partial<ContainerConfig> = {}): ContainerConfig {
  return {
    metadata: { name, attempt: 0 },
    image: 'example.test/busybox:latest',
    command: ['/bin/sh', '-c', 'sleep 3600'],
    args: [],
    workingDir: '',
    envs: [],
    mounts: [],
    devices: [],
    labels: { container: name },
    annotations: {},
    logPath: `${name}.log`,
    stdin: false,
    stdinOnce: false,
    tty: false,
    stopSignal: '',
    linux: {
      securityContext: {
        capabilities: { add: [], drop: [], addAmbient: [] },
        privileged: false,
        namespaceOptions: { network: 'pod', pid: 'container', ipc: 'pod', targetId: '' },
        runAsUsername: '',
        readonlyRootfs: false,
        supplementalGroups: [],
        noNewPrivs: false,
        maskedPaths: [],
        readonlyPaths: [],
      },
    },
    ...overrides,
  };
}

export function testImage(overrides: Partial<ImageRecord> = {}): ImageRecord {
  return {
    id: 'a'.repeat(64),
    repoTags: ['example.test/busybox:latest'],
    repoDigests: [`example.test/busybox@sha256:${'b'.repeat(64)}`],
    size: 1000,
    username: '',
    pinned: false,
    config: { entrypoint: [], cmd: ['sh'], env: ['PATH=/bin'], workingDir: '', user: '', stopSignal: '', volumes: [], labels: {} },
    ...overrides,
  };
}
