/**
 * The plugin contract. A plugin package exports a definition made with `definePlugin`: its kind,
 * its name, the config section it owns with a zod schema (defaults included), and a factory.
 * apps/criod builds the set from the config by package name; core only sees the interfaces.
 */
import type { z } from 'zod';
import type { Logger } from './logger.js';
import type {
  CgroupDriver,
  ContainerRecord,
  DnsConfig,
  FilesystemUsage,
  ImageRecord,
  NamespaceKind,
  PinnedNamespace,
  PodRecord,
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

export interface RuntimePlugin extends PluginBase {
  status(): Promise<Readiness>;
  handlers(): RuntimeHandlerInfo[];
  cgroupDriver(): CgroupDriver;
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
  /** Every namespace this plugin pinned and still holds, for cleanup at restore. */
  list(): Promise<PinnedNamespace[]>;
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
}

/** The minimal shape of an OCI runtime spec that security plugins edit. */
export interface OciSpecLike {
  process?: { noNewPrivileges?: boolean; apparmorProfile?: string; selinuxLabel?: string; [k: string]: unknown };
  linux?: { seccomp?: unknown; mountLabel?: string; [k: string]: unknown };
  [k: string]: unknown;
}

export interface ContainerSecurityRequest {
  containerName: string;
  privileged: boolean;
  seccomp?: SecurityProfile;
  apparmor?: SecurityProfile;
  selinux?: SelinuxOptions;
}

export interface SecurityPlugin extends PluginBase {
  status(): Promise<{ enabled: boolean; message: string }>;
  applyToContainer(spec: OciSpecLike, req: ContainerSecurityRequest): Promise<void>;
}

/** Durable records keyed by id; writes are atomic. */
export interface RecordStore<T extends { id: string }> {
  put(record: T): Promise<void>;
  get(id: string): Promise<T | undefined>;
  delete(id: string): Promise<void>;
  list(): Promise<T[]>;
}

export interface ImageStore {
  list(): Promise<ImageRecord[]>;
  /** An image by id, id prefix, tag or digest reference; undefined when absent. */
  resolve(ref: string): Promise<ImageRecord | undefined>;
  remove(id: string): Promise<void>;
  fsInfo(): Promise<FilesystemUsage>;
}

export interface StorePlugin extends PluginBase {
  pods: RecordStore<PodRecord>;
  containers: RecordStore<ContainerRecord>;
  images: ImageStore;
}

export interface PluginInstances {
  runtime: RuntimePlugin;
  namespace: NamespacePlugin;
  network: NetworkPlugin;
  security: SecurityPlugin;
  store: StorePlugin;
}

export type PluginKind = keyof PluginInstances;

export const pluginKinds: readonly PluginKind[] = ['store', 'namespace', 'network', 'runtime', 'security'];

/** What a factory receives: its own parsed config, the daemon's dirs, and its dependencies. */
export interface PluginContext<C> {
  config: C;
  /** Persistent state dir of criod (--root). */
  root: string;
  /** Volatile state dir of criod (--runroot). */
  runroot: string;
  logger: Logger;
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
