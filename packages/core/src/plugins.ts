/**
 * The plugin contract. A plugin package exports a definition made with `definePlugin`: its kind,
 * its name, the config section it owns with a zod schema (defaults included), and a factory.
 * apps/criod builds the set from the config by package name; core only sees the interfaces.
 */
import type { Duplex } from 'node:stream';
import type { z } from 'zod';
import type { Logger } from './logger.js';
import type { OciSpec } from './oci/spec.js';
import type { OperationObserver } from './observe.js';
import type {
  CgroupDriver,
  ContainerRecord,
  DnsConfig,
  FilesystemUsage,
  ImageRecord,
  LayerUsage,
  LinuxPodSecurity,
  LinuxResources,
  RegistriesConfig,
  RegistryAuth,
  NamespaceKind,
  PinnedNamespace,
  PodRecord,
  PodSandboxConfig,
  PortMapping,
  Readiness,
  RuntimeHandlerInfo,
  SecurityProfile,
  SelinuxOptions,
} from './types.js';

/** What every plugin may offer beyond its kind's interface. */
export interface PluginBase {
  readonly name: string;
  /** Extra key/values for verbose Status. */
  info?(): Promise<Record<string, unknown>>;
  /** Release what the plugin holds (watchers, sockets) at daemon shutdown. */
  close?(): Promise<void>;
}

/** A container the runtime is asked to create: core has built the whole OCI spec. */
export interface RuntimeContainerRequest {
  id: string;
  podId: string;
  /** RuntimeClass handler; "" = the default one. */
  handler: string;
  /**
   * The complete OCI runtime spec (config.json); `root.path` is the rootfs. `linux.cgroupsPath`
   * is left to the runtime, which places the container under `cgroupParent` its own way.
   */
  spec: OciSpec;
  /** The pod's cgroup parent from its config (kubelet's; "" = the runtime's default). */
  cgroupParent: string;
  /** Absolute path of the CRI log file the container's output goes to. */
  logPath: string;
  stdin: boolean;
  stdinOnce: boolean;
  tty: boolean;
  /**
   * A checkpoint's process images (see checkpointContainer): startContainer brings the processes
   * back from them instead of starting the spec's process. The runtime takes the directory over.
   */
  restoreFrom?: string;
}

/**
 * A pod sandbox as core hands it to the runtime: what a runtime with a sandbox of its own (a VM
 * per pod) needs to make, resize, reach and end it. A runtime without one (runc) only runs the
 * pod's infra container, when there is one.
 */
export interface RuntimeSandbox {
  /** The pod's id. */
  podId: string;
  /** RuntimeClass handler; "" = the default one. */
  handler: string;
  /** The pod's CRI config: metadata, hostname, DNS, port mappings, security context, resources; linux.cgroupParent is the pod's cgroup. */
  config: PodSandboxConfig;
  /** The namespaces core pinned for the pod (a kind not listed is the host's); empty once the pod is stopped. */
  namespaces: PinnedNamespace[];
  /**
   * The pod's infra container, for a pod that shares one PID namespace (namespace_options.pid
   * POD): the container whose PID namespace the pod's containers join. Core made its rootfs and
   * keeps this id in the pod's record; runPodSandbox gets its request.
   */
  infraContainerId?: string;
}

/** Whether this host can checkpoint and restore containers, and why not. */
export interface CheckpointSupport {
  available: boolean;
  /** Why not, in the words of the tool that said so, and what to do. */
  reason: string;
}

export interface CheckpointRequest {
  /** Empty dir the process images go to. */
  imagesDir: string;
  /** Dir for the checkpointer's own logs and statistics. */
  workDir: string;
  /** Give up after this many seconds. */
  timeoutSeconds: number;
  /** Called while the container is still frozen after the checkpoint, so what it captures matches it. */
  whileFrozen(): Promise<void>;
}

export type RuntimeContainerStatus = 'created' | 'running' | 'stopped' | 'unknown';

export interface RuntimeContainerState {
  status: RuntimeContainerStatus;
  /** Host PID of the container's init process, 0 when none. */
  pid: number;
  /** Set once stopped. */
  exitCode?: number;
  /** Nanoseconds since the epoch, set once stopped. */
  finishedAt?: bigint;
  /** The container was killed by the OOM killer. */
  oomKilled?: boolean;
  /**
   * While its process exists (created or running): the path of its PID namespace, which containers
   * with pid TARGET (this one) or POD (the infra) join through their spec. Core never builds it.
   */
  pidNamespacePath?: string;
}

export interface ExecSyncResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

export interface ContainerStatsSample {
  timestamp: bigint;
  /** CPU use since the previous sample, in nanoseconds of CPU per second. */
  cpuUsageNanoCores?: number;
  /** Cumulative CPU time in nanoseconds. */
  cpuUsageCoreNanoSeconds: bigint;
  memoryWorkingSetBytes: number;
  memoryUsageBytes: number;
  memoryRssBytes: number;
  pageFaults: number;
  majorPageFaults: number;
  /** Host PID of the container's init, when known: its /proc entry shows the pod's network counters. */
  pid?: number;
}

/** Counters of one network interface, as in /proc/net/dev. */
export interface InterfaceStats {
  name: string;
  rxBytes: bigint;
  rxErrors: bigint;
  txBytes: bigint;
  txErrors: bigint;
}

export interface NetworkStatsSample {
  timestamp: bigint;
  /** Every interface of the namespace but loopback. */
  interfaces: InterfaceStats[];
}

/** An interactive process (exec or attach) for the streaming server. */
export interface InteractiveProcess {
  stdin?: NodeJS.WritableStream;
  stdout: NodeJS.ReadableStream;
  /** Absent with a tty: stderr is merged into stdout. */
  stderr?: NodeJS.ReadableStream;
  resize(width: number, height: number): void;
  /** Resolves with the exit code of the process (attach: of the container). */
  wait(): Promise<number>;
  /** End the process (exec) or detach (attach), freeing everything it held. */
  close(): Promise<void>;
}

export interface InteractiveOptions {
  tty: boolean;
  stdin: boolean;
}

export interface RuntimePlugin extends PluginBase {
  status(): Promise<Readiness>;
  handlers(): RuntimeHandlerInfo[];
  cgroupDriver(): CgroupDriver;
  /** Create the container, ready to start but not started; undo with deleteContainer. */
  createContainer(req: RuntimeContainerRequest): Promise<RuntimeContainerState>;
  startContainer(id: string): Promise<void>;
  /** Send stopSignal, wait timeoutSeconds, then SIGKILL; 0 = SIGKILL now. Idempotent. */
  stopContainer(id: string, timeoutSeconds: number, stopSignal: string): Promise<void>;
  /** Current state as the runtime knows it now: a container whose process ended is 'stopped', with its exit code and time. */
  containerState(id: string): Promise<RuntimeContainerState>;
  /** Tell `listener` (best effort) when a container may have exited; returns the unsubscribe. */
  watchExits?(listener: (containerId: string) => void): () => void;
  /** Remove from the runtime (killing it if needed) and delete its bundle; idempotent. */
  deleteContainer(id: string): Promise<void>;
  /** Run a command in the container; kills it (and its children) at the timeout (0 = none). */
  execSync(id: string, cmd: string[], timeoutSeconds: number): Promise<ExecSyncResult>;
  exec(id: string, cmd: string[], options: InteractiveOptions): Promise<InteractiveProcess>;
  attach(id: string, options: InteractiveOptions): Promise<InteractiveProcess>;
  /** Reopen the container's log file at its path (kubelet rotated it): further output goes to the new file. */
  reopenLog(id: string): Promise<void>;
  updateResources(id: string, resources: LinuxResources): Promise<void>;
  stats(id: string): Promise<ContainerStatsSample>;
  /** Ids of containers the runtime still knows (for restore and cleanup). */
  listContainers(): Promise<string[]>;
  /** Whether checkpoint/restore works here; a runtime without it leaves this and checkpointContainer out. */
  checkpointSupport?(): Promise<CheckpointSupport>;
  /** Checkpoint a running container's processes, which keep running; returns the OCI spec it runs with. */
  checkpointContainer?(id: string, req: CheckpointRequest): Promise<{ spec: OciSpec }>;

  /**
   * RunPodSandbox, at the same time as the network's setUp: make the pod's sandbox. `infra`, for
   * a pod with sandbox.infraContainerId, is that container's complete request, confined by the
   * security plugins with the pod's security context: run it at once (core never starts it).
   * From then until removePodSandbox it is a container of the runtime for containerState (its
   * pidNamespacePath is what the pod's containers join) and listContainers. A runtime without a
   * sandbox of its own only runs the infra. On failure nothing stays.
   */
  runPodSandbox(sandbox: RuntimeSandbox, infra: RuntimeContainerRequest | undefined): Promise<void>;
  /**
   * StopPodSandbox, at the same time as the network's tearDown and after the pod's containers were
   * stopped: end what runs of the sandbox (the infra); its resources stay until removePodSandbox.
   * Idempotent: kubelet repeats it, also after a restart and for a sandbox never run.
   */
  stopPodSandbox(sandbox: RuntimeSandbox): Promise<void>;
  /**
   * RemovePodSandbox (and the cleanup of a pod a crash left half-made): stop if needed and free
   * everything of the sandbox, the infra container included. Idempotent: an unknown sandbox is
   * not an error.
   */
  removePodSandbox(sandbox: RuntimeSandbox): Promise<void>;
  /**
   * UpdatePodSandboxResources (in-place pod resize) of a ready pod, before core records the new
   * values: a VM runtime resizes its VM; a runtime whose pods are host cgroups has nothing to do,
   * as kubelet resizes the pod cgroup itself. Undefined = unchanged.
   */
  updatePodSandboxResources(sandbox: RuntimeSandbox, overhead: LinuxResources | undefined, resources: LinuxResources | undefined): Promise<void>;
  /**
   * PortForward: a connection to 127.0.0.1:<port> as the pod sees it (the host's loopback for a
   * host-network pod); destroy() closes it. A port outside 1-65535 is an InvalidArgumentError; a
   * port nobody listens on rejects with a CriodError or ends the stream with an error.
   */
  portForward(sandbox: RuntimeSandbox, port: number): Promise<Duplex>;
}

export interface NamespaceCreateOptions {
  /** Hostname set in the new UTS namespace. */
  hostname?: string;
  /** Namespaced sysctls (net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*) set inside. */
  sysctls?: Record<string, string>;
}

export interface NamespacePlugin extends PluginBase {
  /**
   * Create and pin one namespace of each kind for the pod (the network one with `lo` up);
   * on failure nothing stays pinned.
   */
  create(podId: string, kinds: NamespaceKind[], options?: NamespaceCreateOptions): Promise<PinnedNamespace[]>;
  /** 'closed' when the pin is gone or no longer a namespace; other failures throw. */
  state(ns: PinnedNamespace): Promise<'open' | 'closed'>;
  /** Unpin and delete; releasing a closed namespace is not an error. */
  release(ns: PinnedNamespace): Promise<void>;
  /**
   * Every namespace this plugin pinned for this criod and still holds, for cleanup at restore;
   * never another criod's, even in a shared dir: restore releases whatever no record owns.
   */
  list(): Promise<PinnedNamespace[]>;
  /**
   * Interface counters read inside a pinned network namespace (pod network stats). `pids` are
   * processes that may live in it (the pod's containers): a plugin may read through one of them
   * once it has made sure it is in this namespace, instead of entering the namespace.
   */
  networkStats?(ns: PinnedNamespace, hint?: { pids: number[] }): Promise<NetworkStatsSample>;
  /**
   * Where create() pins a pod's namespaces, one per kind, pinned or not: restore spares these for a
   * pod whose record it cannot read. Throws for an id that cannot name a pin.
   */
  pinsFor(podId: string): PinnedNamespace[];
}

export interface PodNetworkRequest {
  podId: string;
  name: string;
  namespace: string;
  uid: string;
  netnsPath: string;
  portMappings: PortMapping[];
  dns?: DnsConfig;
  cgroupParent: string;
  annotations: Record<string, string>;
}

export interface PodNetworkStatus {
  /** Pod IPs, primary first. */
  ips: string[];
}

export interface NetworkPlugin extends PluginBase {
  status(): Promise<Readiness>;
  setUp(req: PodNetworkRequest): Promise<PodNetworkStatus>;
  check(req: PodNetworkRequest): Promise<void>;
  /** Idempotent: tearing down a pod that has no network left is not an error. */
  tearDown(req: PodNetworkRequest): Promise<void>;
  /** The interface it creates in the pod's network namespace: the default one of the pod's stats. */
  readonly podInterface?: string;
  /** The node's pod CIDRs arrived (UpdateRuntimeConfig), e.g. to write a network config for them. */
  updatePodCidrs?(cidrs: string[]): Promise<void>;
}

export interface ContainerSecurityRequest {
  /** The pod the container belongs to (SELinux: containers share their pod's level). */
  podId: string;
  containerName: string;
  privileged: boolean;
  seccomp?: SecurityProfile;
  apparmor?: SecurityProfile;
  selinux?: SelinuxOptions;
}

/** A security plugin's durable state for one pod: small string key/values (an SELinux level). */
export type PodSecurityState = Record<string, string>;

export interface PodSecurityReservation {
  /** The level the pod's SELinuxOption asks for; "" = none. */
  selinuxLevel: string;
  /** What this plugin's reservePod returned for the pod before a restart; absent for a new pod. */
  state?: PodSecurityState;
}

export interface SecurityPlugin extends PluginBase {
  status(): Promise<{ enabled: boolean; message: string }>;
  /** Confine the container: edit its spec in place (process labels, linux.seccomp, linux.mountLabel). */
  applyToContainer(spec: OciSpec, req: ContainerSecurityRequest): Promise<void>;
  /** RunPodSandbox: refuse a pod-level setting this plugin cannot honour (InvalidArgument), before anything is made. */
  validatePod?(security: LinuxPodSecurity): Promise<void>;
  /**
   * A pod is being made (or restored): hold what its containers will share, e.g. an SELinux level.
   * What it returns core keeps in the pod's record and hands back as `state` when it restores the
   * pod after a restart, so the plugin holds the same thing again.
   */
  reservePod?(podId: string, options: PodSecurityReservation): Promise<PodSecurityState | undefined>;
  /** The pod is gone: release what reservePod held. Idempotent. */
  releasePod?(podId: string): Promise<void>;
}

/** A record set aside because it could not be read; what it owns is left alone until an operator acts. */
export interface QuarantinedRecord {
  /** The record's id, from its file name (its content cannot be trusted). */
  id: string;
  /** Where it lies now. */
  path: string;
  /** Why it could not be read. */
  error: string;
}

/** Durable records keyed by id; writes are atomic, reads validated (see records.ts). */
export interface RecordStore<T extends { id: string }> {
  put(record: T): Promise<void>;
  get(id: string): Promise<T | undefined>;
  delete(id: string): Promise<void>;
  /**
   * Every readable record. One that cannot be read is quarantined (moved aside, logged) and left
   * out; one of a newer schema version throws NewerRecordError before anything is moved.
   */
  list(): Promise<T[]>;
  /** The records quarantined so far, this start or an earlier one. */
  quarantined(): Promise<QuarantinedRecord[]>;
}

export interface PullOptions {
  auth?: RegistryAuth;
  registries: RegistriesConfig;
  /** Keep the image from RemoveImage (the pause image). */
  pinned?: boolean;
}

export interface ImageStore {
  list(): Promise<ImageRecord[]>;
  /**
   * An image by id, unique id prefix, tag, digest or short reference ("busybox" is
   * docker.io/library/busybox:latest); undefined when absent.
   */
  resolve(ref: string): Promise<ImageRecord | undefined>;
  /** Pull a reference from its registry (mirrors, remaps, auth) and store it; two pulls of one image share the work. */
  pull(ref: string, options: PullOptions): Promise<ImageRecord>;
  /** Remove an image record and the blobs and layers only it used; absent is not an error. */
  remove(id: string): Promise<void>;
  fsInfo(): Promise<FilesystemUsage>;
  /** Make the container's root filesystem from an image (overlay of its layers, own upper dir); returns its path. */
  createRootfs(containerId: string, imageId: string): Promise<string>;
  /** Mount the rootfs again after a restart if it is not mounted; returns its path. */
  mountRootfs(containerId: string): Promise<string>;
  /** The container has exited: unmount its rootfs but keep the writable layer (usage stats) until removeRootfs; idempotent. */
  unmountRootfs(containerId: string): Promise<void>;
  /** Unmount and delete the container's rootfs; idempotent. */
  removeRootfs(containerId: string): Promise<void>;
  /** Ids of the containers that have a rootfs, for cleaning up after a crash. */
  listRootfs(): Promise<string[]>;
  /** Bytes and inodes of the container's writable layer. */
  rootfsUsage(containerId: string): Promise<LayerUsage>;
  /**
   * Write what the container changed in its rootfs as a tar of added and modified paths at `tarPath`
   * (none written when nothing was added) and return the paths it deleted, relative to the root.
   */
  exportRootfsDiff(containerId: string, tarPath: string): Promise<{ written: boolean; deleted: string[] }>;
  /**
   * Apply such a diff to a fresh rootfs: delete `deleted`, then unpack the tar (if any). The
   * input may come from anywhere: nothing in it may reach outside the rootfs (InvalidArgument).
   */
  applyRootfsDiff(containerId: string, diff: { tarPath?: string; deleted: string[] }): Promise<void>;
}

/** Durable pod and container records: what restore rebuilds criod's state from. */
export interface RecordsPlugin extends PluginBase {
  pods: RecordStore<PodRecord>;
  containers: RecordStore<ContainerRecord>;
}

/** The images and the container root filesystems made from them. */
export interface ImagePlugin extends PluginBase, ImageStore {}

export interface PluginInstances {
  runtime: RuntimePlugin;
  namespace: NamespacePlugin;
  network: NetworkPlugin;
  security: SecurityPlugin;
  records: RecordsPlugin;
  images: ImagePlugin;
}

export type PluginKind = keyof PluginInstances;

export const pluginKinds: readonly PluginKind[] = ['records', 'images', 'namespace', 'network', 'runtime', 'security'];

/** What a factory receives: its own parsed config, the daemon's dirs, and its dependencies. */
export interface PluginContext<C> {
  config: C;
  /** Persistent state dir of criod (--root). */
  root: string;
  /** Volatile state dir of criod (--runroot). */
  runroot: string;
  logger: Logger;
  /** Where the plugin reports timed operations (CNI commands, registry bytes) for metrics. */
  observe?: OperationObserver;
  /** An already-created plugin of a kind this one `requires`. */
  get<K extends PluginKind>(kind: K): PluginInstances[K];
}

export interface PluginDefinition<K extends PluginKind = PluginKind, C = unknown> {
  kind: K;
  /** Package-like name, reported in logs and errors. */
  name: string;
  /** Top-level config section the plugin owns, e.g. "network" for [network]. */
  configSection: string;
  /** Strict schema with defaults: `{}` must parse to the plugin's full default config. */
  configSchema: z.ZodType<C>;
  requires?: PluginKind[];
  create(ctx: PluginContext<C>): Promise<PluginInstances[K]>;
}

/** Identity helper that types a plugin definition; third parties use it the same way. */
export function definePlugin<K extends PluginKind, C>(def: PluginDefinition<K, C>): PluginDefinition<K, C> {
  return def;
}

/** True when a module export looks like a plugin definition. */
export function isPluginDefinition(value: unknown): value is PluginDefinition {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.kind === 'string' &&
    (pluginKinds as readonly string[]).includes(v.kind) &&
    typeof v.name === 'string' &&
    typeof v.configSection === 'string' &&
    typeof v.create === 'function' &&
    typeof v.configSchema === 'object'
  );
}
