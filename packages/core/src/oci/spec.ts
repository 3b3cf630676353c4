/**
 * The OCI runtime spec (config.json) as runc reads it on Linux: the runtime-spec 1.1 fields, with
 * their JSON names and the optionality config.md and config-linux.md give them. Core builds one per
 * container, security plugins edit it, the runtime plugin runs it. Integers are JSON numbers; the
 * Go types are noted where the range matters (uint32 ids, int64 byte counts).
 */

/** The whole config.json. Only `ociVersion` is REQUIRED; `process` is needed to start the container. */
export interface OciSpec {
  /** SemVer of the runtime-spec the bundle complies with, e.g. "1.0.2". */
  ociVersion: string;
  process?: OciProcess;
  root?: OciRoot;
  hostname?: string;
  domainname?: string;
  /** Mounted in order, on top of `root`. */
  mounts?: OciMount[];
  hooks?: OciHooks;
  annotations?: Record<string, string>;
  linux?: OciLinux;
}

export interface OciRoot {
  /** The rootfs, absolute or relative to the bundle. */
  path: string;
  readonly?: boolean;
}

/** Console size in characters. */
export interface OciBox {
  height: number;
  width: number;
}

export interface OciProcess {
  terminal?: boolean;
  consoleSize?: OciBox;
  user: OciUser;
  /** argv; args[0] is looked up in the container's PATH. */
  args?: string[];
  /** KEY=value entries. */
  env?: string[];
  /** Absolute, inside the container. */
  cwd: string;
  capabilities?: OciLinuxCapabilities;
  rlimits?: OciPOSIXRlimit[];
  noNewPrivileges?: boolean;
  apparmorProfile?: string;
  /** -1000..1000, written to /proc/<pid>/oom_score_adj. */
  oomScoreAdj?: number;
  scheduler?: OciScheduler;
  selinuxLabel?: string;
  ioPriority?: OciLinuxIOPriority;
}

export interface OciUser {
  /** uint32, in the container's user namespace. */
  uid: number;
  gid: number;
  umask?: number;
  additionalGids?: number[];
}

/** Capability names with their CAP_ prefix, per set. */
export interface OciLinuxCapabilities {
  bounding?: string[];
  effective?: string[];
  inheritable?: string[];
  permitted?: string[];
  ambient?: string[];
}

export interface OciPOSIXRlimit {
  /** RLIMIT_NOFILE, RLIMIT_NPROC … */
  type: string;
  hard: number;
  soft: number;
}

export type OciSchedulerPolicy = 'SCHED_OTHER' | 'SCHED_FIFO' | 'SCHED_RR' | 'SCHED_BATCH' | 'SCHED_ISO' | 'SCHED_IDLE' | 'SCHED_DEADLINE';

export type OciSchedulerFlag =
  | 'SCHED_FLAG_RESET_ON_FORK'
  | 'SCHED_FLAG_RECLAIM'
  | 'SCHED_FLAG_DL_OVERRUN'
  | 'SCHED_FLAG_KEEP_POLICY'
  | 'SCHED_FLAG_KEEP_PARAMS'
  | 'SCHED_FLAG_UTIL_CLAMP_MIN'
  | 'SCHED_FLAG_UTIL_CLAMP_MAX';

/** sched_setattr(2) of the process. Times are nanoseconds. */
export interface OciScheduler {
  policy: OciSchedulerPolicy;
  nice?: number;
  priority?: number;
  flags?: OciSchedulerFlag[];
  runtime?: number;
  deadline?: number;
  period?: number;
}

export interface OciLinuxIOPriority {
  class: 'IOPRIO_CLASS_RT' | 'IOPRIO_CLASS_BE' | 'IOPRIO_CLASS_IDLE';
  /** 0 (highest) to 7. */
  priority: number;
}

export interface OciMount {
  /** Absolute path inside the container. */
  destination: string;
  /** Filesystem type ("proc", "tmpfs", "bind" …). */
  type?: string;
  source?: string;
  /** fstab-style options ("rbind", "ro", "nosuid" …). */
  options?: string[];
  /** An id-mapped mount. */
  uidMappings?: OciLinuxIDMapping[];
  gidMappings?: OciLinuxIDMapping[];
}

/** A command the runtime runs at a point of the container's lifecycle. */
export interface OciHook {
  /** Absolute path on the host (createRuntime, poststop …) or in the container (createContainer, startContainer). */
  path: string;
  args?: string[];
  env?: string[];
  /** Seconds; > 0. */
  timeout?: number;
}

export interface OciHooks {
  /** @deprecated by the runtime-spec in favour of createRuntime, createContainer and startContainer. */
  prestart?: OciHook[];
  createRuntime?: OciHook[];
  createContainer?: OciHook[];
  startContainer?: OciHook[];
  poststart?: OciHook[];
  poststop?: OciHook[];
}

export interface OciLinux {
  uidMappings?: OciLinuxIDMapping[];
  gidMappings?: OciLinuxIDMapping[];
  /** Namespaced sysctls set in the container ("net.ipv4.ip_forward": "1"). */
  sysctl?: Record<string, string>;
  resources?: OciLinuxResources;
  /**
   * The container's cgroup. Its form is the runtime's business (runc: a path relative to the
   * cgroup root, or "slice:prefix:name" with the systemd driver), so core never sets it.
   */
  cgroupsPath?: string;
  namespaces?: OciNamespace[];
  /** Device nodes created in the container's /dev. */
  devices?: OciLinuxDevice[];
  seccomp?: OciSeccomp;
  rootfsPropagation?: OciRootfsPropagation;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  /** SELinux context of the container's mounts. */
  mountLabel?: string;
  intelRdt?: OciLinuxIntelRdt;
  personality?: OciLinuxPersonality;
  /** Offsets of the time namespace, per clock ("monotonic", "boottime"). */
  timeOffsets?: Record<string, OciLinuxTimeOffset>;
}

export type OciNamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup' | 'time';

export interface OciNamespace {
  type: OciNamespaceType;
  /** Join this namespace (e.g. /proc/<pid>/ns/net, a pinned bind mount); absent: a new one. */
  path?: string;
}

export interface OciLinuxIDMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface OciLinuxTimeOffset {
  secs?: number;
  nanosecs?: number;
}

/**
 * The spec names shared, slave, private and unbindable; runc also takes their recursive forms,
 * which is what a container with rshared / rslave bind mounts needs.
 */
export type OciRootfsPropagation = 'shared' | 'slave' | 'private' | 'unbindable' | 'rshared' | 'rslave' | 'rprivate' | 'runbindable';

/** A device node in the container. */
export interface OciLinuxDevice {
  /** Absolute path inside the container. */
  path: string;
  /** c (char), b (block), u (unbuffered char) or p (FIFO). */
  type: 'c' | 'b' | 'u' | 'p';
  /** Required unless type is p. */
  major?: number;
  minor?: number;
  /** Permission bits, e.g. 0o666. */
  fileMode?: number;
  uid?: number;
  gid?: number;
}

/** One rule of the device cgroup (v1 devices.allow/deny, a BPF program on v2), in order. */
export interface OciDeviceCgroup {
  allow: boolean;
  /** a (all), c or b; absent means all. */
  type?: 'a' | 'c' | 'b';
  /** Absent: any. */
  major?: number;
  minor?: number;
  /** Some of r, w, m. */
  access?: string;
}

/** The cgroup settings of the container; also what a resources update sends. */
export interface OciLinuxResources {
  devices?: OciDeviceCgroup[];
  memory?: OciLinuxMemory;
  cpu?: OciLinuxCPU;
  pids?: OciLinuxPids;
  blockIO?: OciLinuxBlockIO;
  hugepageLimits?: OciLinuxHugepageLimit[];
  network?: OciLinuxNetwork;
  /** Per RDMA device name. */
  rdma?: Record<string, OciLinuxRdma>;
  /** cgroup v2 files and their values ("memory.high": "1G"). */
  unified?: Record<string, string>;
}

/** Bytes (int64). */
export interface OciLinuxMemory {
  limit?: number;
  reservation?: number;
  /** memory + swap. */
  swap?: number;
  /** NOT RECOMMENDED by the spec (kernel memory accounting is gone from recent kernels). */
  kernel?: number;
  /** NOT RECOMMENDED, as `kernel`. */
  kernelTCP?: number;
  swappiness?: number;
  disableOOMKiller?: boolean;
  useHierarchy?: boolean;
  checkBeforeUpdate?: boolean;
}

/** Times are microseconds. */
export interface OciLinuxCPU {
  shares?: number;
  /** -1 means no limit. */
  quota?: number;
  burst?: number;
  period?: number;
  realtimeRuntime?: number;
  realtimePeriod?: number;
  /** cpuset list, e.g. "0-2,4". */
  cpus?: string;
  mems?: string;
  /** 1: SCHED_IDLE weight. */
  idle?: number;
}

export interface OciLinuxPids {
  /** Maximum number of tasks in the cgroup. */
  limit: number;
}

export interface OciLinuxBlockIODevice {
  major: number;
  minor: number;
}

export interface OciLinuxWeightDevice extends OciLinuxBlockIODevice {
  weight?: number;
  leafWeight?: number;
}

export interface OciLinuxThrottleDevice extends OciLinuxBlockIODevice {
  /** Bytes or IOs per second. */
  rate: number;
}

export interface OciLinuxBlockIO {
  weight?: number;
  leafWeight?: number;
  weightDevice?: OciLinuxWeightDevice[];
  throttleReadBpsDevice?: OciLinuxThrottleDevice[];
  throttleWriteBpsDevice?: OciLinuxThrottleDevice[];
  throttleReadIOPSDevice?: OciLinuxThrottleDevice[];
  throttleWriteIOPSDevice?: OciLinuxThrottleDevice[];
}

export interface OciLinuxHugepageLimit {
  /** "2MB", "1GB" … */
  pageSize: string;
  /** Bytes. */
  limit: number;
}

export interface OciLinuxInterfacePriority {
  name: string;
  priority: number;
}

export interface OciLinuxNetwork {
  classID?: number;
  priorities?: OciLinuxInterfacePriority[];
}

export interface OciLinuxRdma {
  hcaHandles?: number;
  hcaObjects?: number;
}

export interface OciLinuxIntelRdt {
  closID?: string;
  /** "L3:<cache_id0>=<cbm0>;…" */
  l3CacheSchema?: string;
  /** "MB:<cache_id0>=<bandwidth0>;…" */
  memBwSchema?: string;
  enableCMT?: boolean;
  enableMBM?: boolean;
}

export interface OciLinuxPersonality {
  domain: 'LINUX' | 'LINUX32';
  flags?: string[];
}

export type OciSeccompAction =
  | 'SCMP_ACT_KILL'
  | 'SCMP_ACT_KILL_PROCESS'
  | 'SCMP_ACT_KILL_THREAD'
  | 'SCMP_ACT_TRAP'
  | 'SCMP_ACT_ERRNO'
  | 'SCMP_ACT_TRACE'
  | 'SCMP_ACT_ALLOW'
  | 'SCMP_ACT_LOG'
  | 'SCMP_ACT_NOTIFY';

/** libseccomp's names; the spec lists them up to RISCV64, runc (libseccomp) also knows LOONGARCH64. */
export type OciSeccompArch =
  | 'SCMP_ARCH_X86'
  | 'SCMP_ARCH_X86_64'
  | 'SCMP_ARCH_X32'
  | 'SCMP_ARCH_ARM'
  | 'SCMP_ARCH_AARCH64'
  | 'SCMP_ARCH_MIPS'
  | 'SCMP_ARCH_MIPS64'
  | 'SCMP_ARCH_MIPS64N32'
  | 'SCMP_ARCH_MIPSEL'
  | 'SCMP_ARCH_MIPSEL64'
  | 'SCMP_ARCH_MIPSEL64N32'
  | 'SCMP_ARCH_PPC'
  | 'SCMP_ARCH_PPC64'
  | 'SCMP_ARCH_PPC64LE'
  | 'SCMP_ARCH_S390'
  | 'SCMP_ARCH_S390X'
  | 'SCMP_ARCH_PARISC'
  | 'SCMP_ARCH_PARISC64'
  | 'SCMP_ARCH_RISCV64'
  | 'SCMP_ARCH_LOONGARCH64';

export type OciSeccompFlag =
  'SECCOMP_FILTER_FLAG_TSYNC' | 'SECCOMP_FILTER_FLAG_LOG' | 'SECCOMP_FILTER_FLAG_SPEC_ALLOW' | 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV';

export type OciSeccompOperator = 'SCMP_CMP_NE' | 'SCMP_CMP_LT' | 'SCMP_CMP_LE' | 'SCMP_CMP_EQ' | 'SCMP_CMP_GE' | 'SCMP_CMP_GT' | 'SCMP_CMP_MASKED_EQ';

/** The seccomp filter of the container. */
export interface OciSeccomp {
  defaultAction: OciSeccompAction;
  defaultErrnoRet?: number;
  architectures?: OciSeccompArch[];
  flags?: OciSeccompFlag[];
  /** Unix socket the runtime hands the notify fd to (SCMP_ACT_NOTIFY). */
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: OciSyscall[];
}

export interface OciSyscall {
  names: string[];
  action: OciSeccompAction;
  errnoRet?: number;
  args?: OciSeccompArg[];
}

export interface OciSeccompArg {
  /** Argument position, 0..5. */
  index: number;
  /** uint64: JSON numbers above 2^53-1 lose precision. */
  value: number;
  valueTwo?: number;
  op: OciSeccompOperator;
}
