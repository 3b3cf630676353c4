/**
 * Domain types of criod. They mirror the CRI's meaning but not its wire form: cri-grpc maps
 * runtime.v1 messages to these, so plugins and core never depend on generated code.
 * Timestamps are nanoseconds since the epoch as bigint, as the CRI counts them.
 */

/** Ready/not-ready answer of a plugin, surfaced as a CRI RuntimeCondition. */
export interface Readiness {
  ready: boolean;
  /** CamelCase machine reason when not ready, e.g. "NetworkPluginNotReady". */
  reason: string;
  message: string;
}

export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}

/** Where a namespace of a pod or container comes from (CRI NamespaceMode). */
export type NamespaceMode = 'pod' | 'container' | 'node' | 'target';

export interface NamespaceOptions {
  network: NamespaceMode;
  pid: NamespaceMode;
  ipc: NamespaceMode;
  /** Container id whose PID namespace is joined when pid is 'target'. */
  targetId: string;
}

export type PortProtocol = 'tcp' | 'udp' | 'sctp';

export interface PortMapping {
  protocol: PortProtocol;
  containerPort: number;
  hostPort: number;
  hostIp: string;
}

export interface DnsConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

export interface LinuxPodSecurity {
  namespaceOptions: NamespaceOptions;
  privileged: boolean;
  readonlyRootfs: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  supplementalGroups: number[];
  seccompProfile?: SecurityProfile;
  apparmorProfile?: SecurityProfile;
  selinux?: SelinuxOptions;
}

export interface LinuxResources {
  cpuPeriod: number;
  cpuQuota: number;
  cpuShares: number;
  memoryLimitInBytes: number;
  oomScoreAdj: number;
  cpusetCpus: string;
  cpusetMems: string;
  hugepageLimits: { pageSize: string; limit: number }[];
  unified: Record<string, string>;
  memorySwapLimitInBytes: number;
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  hostname: string;
  logDirectory: string;
  dnsConfig?: DnsConfig;
  portMappings: PortMapping[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  linux: {
    cgroupParent: string;
    securityContext: LinuxPodSecurity;
    sysctls: Record<string, string>;
    overhead?: LinuxResources;
    resources?: LinuxResources;
  };
}

export type ProfileType = 'runtimeDefault' | 'unconfined' | 'localhost';

export interface SecurityProfile {
  type: ProfileType;
  /** Path (seccomp) or profile name (AppArmor) for 'localhost'. */
  localhostRef: string;
}

export interface SelinuxOptions {
  user: string;
  role: string;
  type: string;
  level: string;
}

export type PodState = 'ready' | 'notready';

/** A pinned namespace, by its bind-mount path. */
export type NamespaceKind = 'net' | 'ipc' | 'uts';

export interface PinnedNamespace {
  kind: NamespaceKind;
  path: string;
}

/** The durable record of a pod sandbox. */
export interface PodRecord {
  id: string;
  config: PodSandboxConfig;
  runtimeHandler: string;
  state: PodState;
  createdAt: bigint;
  /** Pinned namespaces criod created for the pod; empty for host namespaces. */
  namespaces: PinnedNamespace[];
  /** Pod IPs, primary first; empty for host-network pods. */
  ips: string[];
  /** Set while RunPodSandbox is still working, so restore can clean up a half-made pod. */
  creating: boolean;
  /** Host paths criod generated for the pod: resolv.conf, hosts, hostname, shm. */
  files: { dir: string; resolvConf: string; hosts: string; hostname: string; shm: string };
  /** Size of the pod's private /dev/shm in bytes. */
  shmSizeBytes: number;
  /** The infra container holding the pod's shared PID namespace (pods with pid POD only). */
  infraContainerId?: string;
  /** What security plugins hold for the pod (an SELinux level), by plugin name, handed back at restore. */
  securityState?: Record<string, Record<string, string>>;
}

export type MountPropagation = 'private' | 'rslave' | 'rshared';

export interface ContainerMount {
  containerPath: string;
  hostPath: string;
  readonly: boolean;
  selinuxRelabel: boolean;
  propagation: MountPropagation;
}

export interface ContainerDevice {
  containerPath: string;
  hostPath: string;
  /** Any of r, w, m. */
  permissions: string;
}

export interface LinuxContainerSecurity {
  capabilities: { add: string[]; drop: string[]; addAmbient: string[] };
  privileged: boolean;
  namespaceOptions: NamespaceOptions;
  selinux?: SelinuxOptions;
  runAsUser?: number;
  runAsGroup?: number;
  runAsUsername: string;
  readonlyRootfs: boolean;
  supplementalGroups: number[];
  noNewPrivs: boolean;
  maskedPaths: string[];
  readonlyPaths: string[];
  seccompProfile?: SecurityProfile;
  apparmorProfile?: SecurityProfile;
}

/** What CreateContainer asks for (CRI ContainerConfig). */
export interface ContainerConfig {
  metadata: { name: string; attempt: number };
  /** The image reference as the caller gave it. */
  image: string;
  command: string[];
  args: string[];
  workingDir: string;
  envs: { key: string; value: string }[];
  mounts: ContainerMount[];
  devices: ContainerDevice[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Relative to the pod's log directory. */
  logPath: string;
  stdin: boolean;
  stdinOnce: boolean;
  tty: boolean;
  /** Signal name from the CRI config ("" = the image's or SIGTERM). */
  stopSignal: string;
  linux: {
    resources?: LinuxResources;
    securityContext: LinuxContainerSecurity;
  };
}

export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

/** The durable record of a container. */
export interface ContainerRecord {
  id: string;
  podId: string;
  name: string;
  attempt: number;
  state: ContainerState;
  createdAt: bigint;
  startedAt: bigint;
  finishedAt: bigint;
  exitCode: number;
  reason: string;
  message: string;
  /** The image as requested. */
  image: string;
  /** The resolved image: "sha256:<id>" or its repo digest. */
  imageRef: string;
  /** Hex id of the image. */
  imageId: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Absolute path of the CRI log file ("" when the pod has no log directory). */
  logPath: string;
  config: ContainerConfig;
  /** The effective stop signal (CRI config, else the image's STOPSIGNAL, else SIGTERM). */
  stopSignal: string;
  /** Resources as last applied (CreateContainer, then UpdateContainerResources). */
  resources?: LinuxResources;
  /** The user the process runs as. */
  user: { uid: number; gid: number; additionalGids: number[] };
}

/** What CreateContainer takes from an image's config (OCI image config `config` object). */
export interface ImageConfig {
  entrypoint: string[];
  cmd: string[];
  /** KEY=value entries. */
  env: string[];
  workingDir: string;
  /** "uid", "uid:gid", "name" or "name:group"; empty = root. */
  user: string;
  stopSignal: string;
  volumes: string[];
  labels: Record<string, string>;
}

export interface ImageRecord {
  /** Hex of the config digest (without "sha256:"). */
  id: string;
  repoTags: string[];
  repoDigests: string[];
  /** Bytes of the image (compressed layers + config), as registries report it. */
  size: number;
  /** Numeric user of the image config, when it is numeric. */
  uid?: number;
  /** Named user of the image config, when it is a name. */
  username: string;
  pinned: boolean;
  config: ImageConfig;
}

/** Credentials of a pull, as the CRI AuthConfig carries them. */
export interface RegistryAuth {
  username: string;
  password: string;
  /** base64 "user:password". */
  auth: string;
  serverAddress: string;
  identityToken: string;
  registryToken: string;
}

/** Per registry prefix settings ([image.registries."<prefix>"]). */
export interface RegistrySettings {
  location: string;
  insecure: boolean;
  mirrors: string[];
}

export type RegistriesConfig = Record<string, RegistrySettings>;

/** Usage of one container's writable layer. */
export interface LayerUsage {
  bytes: number;
  inodes: number;
}

export interface FilesystemUsage {
  mountpoint: string;
  timestamp: bigint;
  usedBytes: number;
  inodesUsed: number;
}

export type CgroupDriver = 'cgroupfs' | 'systemd';

export interface RuntimeHandlerInfo {
  name: string;
  recursiveReadOnlyMounts: boolean;
  userNamespaces: boolean;
}

/** Wall-clock anchor of the monotonic clock, taken once. */
const epochOffsetNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

/** Nanoseconds since the epoch: monotonic (never goes back between two calls), nanosecond steps. */
export function nowNs(): bigint {
  return epochOffsetNs + process.hrtime.bigint();
}
