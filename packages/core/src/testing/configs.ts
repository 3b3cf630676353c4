/** Builders of domain configs for tests: a pod and a container as kubelet would ask for them. */
import type { ContainerConfig, ContainerRecord, ImageRecord, PodRecord, PodSandboxConfig } from '../types.js';

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

const testResources = {
  cpuPeriod: 100000,
  cpuQuota: 50000,
  cpuShares: 512,
  memoryLimitInBytes: 256 << 20,
  oomScoreAdj: 10,
  cpusetCpus: '0',
  cpusetMems: '0',
  hugepageLimits: [{ pageSize: '2MB', limit: 0 }],
  unified: { 'memory.high': 'max' },
  memorySwapLimitInBytes: 256 << 20,
};
const testProfile = { type: 'localhost' as const, localhostRef: 'profile' };
const testSelinux = { user: 'system_u', role: 'system_r', type: 'container_t', level: 's0:c1,c2' };

/** A pod record with every optional field set, as a store must keep it. */
export function testPodRecord(overrides: Partial<PodRecord> = {}): PodRecord {
  const config = testPodConfig('rec', { portMappings: [{ protocol: 'tcp', containerPort: 80, hostPort: 8080, hostIp: '' }] });
  config.linux = {
    ...config.linux,
    sysctls: { 'net.ipv4.ip_forward': '1' },
    overhead: testResources,
    resources: testResources,
    securityContext: {
      ...config.linux.securityContext,
      runAsUser: 1000,
      runAsGroup: 1000,
      seccompProfile: testProfile,
      apparmorProfile: testProfile,
      selinux: testSelinux,
    },
  };
  const id = 'd'.repeat(64);
  return {
    id,
    config,
    runtimeHandler: 'runc',
    state: 'ready',
    createdAt: 1_764_000_000_123_456_789n,
    namespaces: [{ kind: 'net', path: `/var/run/netns/criod-${id.slice(0, 32)}` }],
    ips: ['10.88.0.2'],
    creating: false,
    files: { dir: `/run/criod/pods/${id}`, resolvConf: 'resolv.conf', hosts: 'hosts', hostname: 'hostname', shm: 'shm' },
    shmSizeBytes: 64 << 20,
    infraContainerId: 'e'.repeat(64),
    securityState: { '@criod/sec-selinux': { level: 's0:c1,c2' } },
    ...overrides,
  };
}

/** A container record with every optional field set. */
export function testContainerRecord(overrides: Partial<ContainerRecord> = {}): ContainerRecord {
  const config = testContainerConfig('rec', {
    mounts: [{ containerPath: '/data', hostPath: '/srv/data', readonly: true, selinuxRelabel: false, propagation: 'rslave' }],
    devices: [{ containerPath: '/dev/fuse', hostPath: '/dev/fuse', permissions: 'rwm' }],
    envs: [{ key: 'A', value: 'b' }],
  });
  config.linux = {
    resources: testResources,
    securityContext: {
      ...config.linux.securityContext,
      runAsUser: 1000,
      runAsGroup: 1000,
      seccompProfile: testProfile,
      apparmorProfile: testProfile,
      selinux: testSelinux,
    },
  };
  return {
    id: 'f'.repeat(64),
    podId: 'd'.repeat(64),
    name: 'rec',
    attempt: 0,
    state: 'exited',
    createdAt: 1_764_000_000_000_000_001n,
    startedAt: 1_764_000_000_000_000_002n,
    finishedAt: 1_764_000_000_000_000_003n,
    exitCode: 7,
    reason: 'Error',
    message: '',
    image: config.image,
    imageRef: `sha256:${'a'.repeat(64)}`,
    imageId: 'a'.repeat(64),
    labels: config.labels,
    annotations: config.annotations,
    logPath: '/var/log/pods/rec.log',
    config,
    stopSignal: 'SIGTERM',
    resources: testResources,
    user: { uid: 1000, gid: 1000, additionalGids: [5] },
    ...overrides,
  };
}
