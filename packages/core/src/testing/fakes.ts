/**
 * In-memory fakes of the plugin interfaces, for unit tests of core and of third-party plugins.
 * They keep real state (what is pinned, set up, stored) so tests can assert on it.
 */
import { once } from 'node:events';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { AlreadyExistsError, FailedPreconditionError, InternalError, InvalidArgumentError, NotFoundError, UnimplementedError } from '../errors.js';
import type { PluginSet } from '../context.js';
import type { OciSpec } from '../oci/spec.js';
import type {
  CheckpointRequest,
  CheckpointSupport,
  ContainerStatsSample,
  ExecSyncResult,
  ImagePlugin,
  InteractiveProcess,
  InterfaceStats,
  NetworkStatsSample,
  PullOptions,
  RuntimeContainerRequest,
  RuntimeContainerState,
  RuntimeSandbox,
  NamespaceCreateOptions,
  NamespacePlugin,
  NetworkPlugin,
  PodNetworkRequest,
  PodNetworkStatus,
  QuarantinedRecord,
  RecordsPlugin,
  RecordStore,
  RuntimePlugin,
  SecurityPlugin,
} from '../plugins.js';
import type {
  CgroupDriver,
  ContainerRecord,
  FilesystemUsage,
  ImageRecord,
  LayerUsage,
  LinuxResources,
  NamespaceKind,
  PinnedNamespace,
  PodRecord,
  Readiness,
  RuntimeHandlerInfo,
} from '../types.js';
import { nowNs } from '../types.js';

const ready: Readiness = { ready: true, reason: '', message: '' };

export interface FakeContainer {
  req: RuntimeContainerRequest;
  state: RuntimeContainerState;
  /** Signals the fake received, in order. */
  signals: string[];
  /** The process images it was created from (file name → content), when made from a checkpoint. */
  restoredImages?: Record<string, string>;
}

export interface FakeSandbox {
  sandbox: RuntimeSandbox;
  status: 'ready' | 'stopped';
  /** What updatePodSandboxResources got last. */
  overhead?: LinuxResources;
  resources?: LinuxResources;
}

/**
 * A runtime whose containers are records: start makes them running, stop makes them exit. Its
 * sandboxes are records too, with the infra as a running container; port-forward connects to the
 * host's loopback, which every fake pod shares.
 */
export class FakeRuntime implements RuntimePlugin {
  readonly name = 'fake-runtime';
  readiness: Readiness = { ...ready };
  driver: CgroupDriver = 'cgroupfs';
  handlerList: RuntimeHandlerInfo[] = [{ name: 'runc', recursiveReadOnlyMounts: false, userNamespaces: false }];
  readonly containers = new Map<string, FakeContainer>();
  /** Containers deleted from the runtime, as they were last. */
  readonly deleted = new Map<string, FakeContainer>();
  /** Sandboxes by pod id, from runPodSandbox to removePodSandbox. */
  readonly sandboxes = new Map<string, FakeSandbox>();
  failNextCreate?: Error;
  failNextRunPodSandbox?: Error;
  /** What checkpointSupport answers. */
  checkpoint: CheckpointSupport = { available: true, reason: '' };
  private nextPid = 1000;

  private get(id: string): FakeContainer {
    const c = this.containers.get(id);
    if (!c) throw new NotFoundError(`container ${id} is not known to the runtime`);
    return c;
  }

  async createContainer(req: RuntimeContainerRequest): Promise<RuntimeContainerState> {
    if (this.failNextCreate) {
      const err = this.failNextCreate;
      this.failNextCreate = undefined;
      throw err;
    }
    const state: RuntimeContainerState = { status: 'created', pid: this.nextPid++ };
    const restoredImages = req.restoreFrom ? await this.takeImages(req.restoreFrom) : undefined;
    this.containers.set(req.id, { req, state, signals: [], ...(restoredImages ? { restoredImages } : {}) });
    return { ...state };
  }

  /** Read and remove a checkpoint's images dir, as a runtime taking it over would. */
  private async takeImages(dir: string): Promise<Record<string, string>> {
    const images: Record<string, string> = {};
    for (const name of await readdir(dir)) images[name] = await readFile(join(dir, name), 'utf8');
    await rm(dir, { recursive: true });
    return images;
  }

  async checkpointSupport(): Promise<CheckpointSupport> {
    return { ...this.checkpoint };
  }

  /** Writes one image file naming the container, runs whileFrozen, and answers the spec it was created with. */
  async checkpointContainer(id: string, req: CheckpointRequest): Promise<{ spec: OciSpec }> {
    const c = this.get(id);
    if (c.state.status !== 'running') throw new FailedPreconditionError(`container ${id} is ${c.state.status}, not running`);
    await writeFile(join(req.imagesDir, 'pages-1.img'), `memory of ${id}`);
    await writeFile(join(req.workDir, 'dump.log'), `dumped ${id}\n`);
    await req.whileFrozen();
    return { spec: c.req.spec };
  }

  async startContainer(id: string): Promise<void> {
    const c = this.get(id);
    if (c.state.status !== 'created') throw new FailedPreconditionError(`container ${id} is ${c.state.status}, not created`);
    c.state.status = 'running';
  }

  private readonly exitListeners = new Set<(id: string) => void>();

  /** Make a running container exit by itself, as if its process ended. */
  exit(id: string, exitCode: number, oomKilled = false): void {
    const c = this.get(id);
    c.state = { status: 'stopped', pid: 0, exitCode, finishedAt: BigInt(Date.now()) * 1_000_000n, oomKilled };
    for (const l of this.exitListeners) l(id);
  }

  watchExits(listener: (id: string) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  async stopContainer(id: string, timeoutSeconds: number, stopSignal: string): Promise<void> {
    const c = this.containers.get(id);
    if (!c || c.state.status === 'stopped') return;
    c.signals.push(timeoutSeconds === 0 ? 'SIGKILL' : stopSignal || 'SIGTERM');
    this.exit(id, 137);
  }

  async containerState(id: string): Promise<RuntimeContainerState> {
    const state = this.get(id).state;
    const live = state.status === 'created' || state.status === 'running';
    return { ...state, ...(live ? { pidNamespacePath: `/fake/ns/pid/${id}` } : {}) };
  }

  async deleteContainer(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (c) this.deleted.set(id, c);
    this.containers.delete(id);
  }

  async execSync(id: string, cmd: string[]): Promise<ExecSyncResult> {
    this.get(id);
    return { stdout: Buffer.from(`${cmd.join(' ')}\n`), stderr: Buffer.alloc(0), exitCode: 0 };
  }

  async exec(): Promise<InteractiveProcess> {
    throw new UnimplementedError('the fake runtime has no interactive exec');
  }

  async attach(): Promise<InteractiveProcess> {
    throw new UnimplementedError('the fake runtime has no attach');
  }

  async reopenLog(id: string): Promise<void> {
    this.get(id);
  }

  async updateResources(id: string): Promise<void> {
    this.get(id);
  }

  async stats(id: string): Promise<ContainerStatsSample> {
    const c = this.get(id);
    return {
      timestamp: BigInt(Date.now()) * 1_000_000n,
      cpuUsageCoreNanoSeconds: 0n,
      memoryWorkingSetBytes: 0,
      memoryUsageBytes: 0,
      memoryRssBytes: 0,
      pageFaults: 0,
      majorPageFaults: 0,
      pid: c.state.pid,
    };
  }

  async listContainers(): Promise<string[]> {
    return [...this.containers.keys()];
  }

  async runPodSandbox(sandbox: RuntimeSandbox, infra: RuntimeContainerRequest | undefined): Promise<void> {
    if (this.failNextRunPodSandbox) {
      const err = this.failNextRunPodSandbox;
      this.failNextRunPodSandbox = undefined;
      throw err;
    }
    if (this.sandboxes.has(sandbox.podId)) throw new AlreadyExistsError(`sandbox ${sandbox.podId} already exists in the runtime`);
    if (infra) {
      await this.createContainer(infra);
      await this.startContainer(infra.id);
    }
    this.sandboxes.set(sandbox.podId, { sandbox, status: 'ready' });
  }

  async stopPodSandbox(sandbox: RuntimeSandbox): Promise<void> {
    if (sandbox.infraContainerId) await this.stopContainer(sandbox.infraContainerId, 0, 'SIGKILL');
    const known = this.sandboxes.get(sandbox.podId);
    if (known) known.status = 'stopped';
  }

  async removePodSandbox(sandbox: RuntimeSandbox): Promise<void> {
    if (sandbox.infraContainerId) await this.deleteContainer(sandbox.infraContainerId);
    this.sandboxes.delete(sandbox.podId);
  }

  async updatePodSandboxResources(sandbox: RuntimeSandbox, overhead: LinuxResources | undefined, resources: LinuxResources | undefined): Promise<void> {
    const known = this.sandboxes.get(sandbox.podId);
    if (!known) throw new NotFoundError(`sandbox ${sandbox.podId} is not known to the runtime`);
    if (overhead) known.overhead = overhead;
    if (resources) known.resources = resources;
  }

  async portForward(sandbox: RuntimeSandbox, port: number): Promise<Duplex> {
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new InvalidArgumentError(`port-forward to pod ${sandbox.podId}: port ${port} is not in 1-65535`);
    if (this.sandboxes.get(sandbox.podId)?.status !== 'ready') throw new NotFoundError(`sandbox ${sandbox.podId} is not running in the runtime`);
    const socket = connect({ host: '127.0.0.1', port });
    try {
      await once(socket, 'connect');
    } catch (err) {
      throw new InternalError(`port-forward to pod ${sandbox.podId}: connect to 127.0.0.1:${port}: ${(err as Error).message}`, { cause: err });
    }
    return socket;
  }

  async status(): Promise<Readiness> {
    return this.readiness;
  }

  handlers(): RuntimeHandlerInfo[] {
    return this.handlerList;
  }

  cgroupDriver(): CgroupDriver {
    return this.driver;
  }
}

export class FakeNamespaces implements NamespacePlugin {
  readonly name = 'fake-namespaces';
  readonly open = new Set<string>();
  /** Set to make the next create() throw. */
  failNextCreate?: Error;

  async create(podId: string, kinds: NamespaceKind[], _options?: NamespaceCreateOptions): Promise<PinnedNamespace[]> {
    if (this.failNextCreate) {
      const err = this.failNextCreate;
      this.failNextCreate = undefined;
      throw err;
    }
    const pinned = this.pinsFor(podId).filter((ns) => kinds.includes(ns.kind));
    for (const ns of pinned) this.open.add(ns.path);
    return pinned;
  }

  async state(ns: PinnedNamespace): Promise<'open' | 'closed'> {
    return this.open.has(ns.path) ? 'open' : 'closed';
  }

  async release(ns: PinnedNamespace): Promise<void> {
    this.open.delete(ns.path);
  }

  async list(): Promise<PinnedNamespace[]> {
    return [...this.open].map((path) => ({ kind: path.split('/')[3] as NamespaceKind, path }));
  }

  /** What networkStats() reports for every open network namespace. */
  interfaces: InterfaceStats[] = [{ name: 'eth0', rxBytes: 2048n, rxErrors: 1n, txBytes: 1024n, txErrors: 0n }];

  async networkStats(ns: PinnedNamespace): Promise<NetworkStatsSample> {
    if (ns.kind !== 'net' || !this.open.has(ns.path)) throw new NotFoundError(`no open network namespace at ${ns.path}`);
    return { timestamp: nowNs(), interfaces: this.interfaces };
  }

  pinsFor(podId: string): PinnedNamespace[] {
    return (['net', 'ipc', 'uts'] as const).map((kind) => ({ kind, path: `/fake/ns/${kind}/${podId}` }));
  }
}

export class FakeNetwork implements NetworkPlugin {
  readonly name = 'fake-network';
  readiness: Readiness = { ...ready };
  /** Pod id → its IPs, for pods currently set up. */
  readonly attached = new Map<string, string[]>();
  failNextSetUp?: Error;
  private nextHost = 2;

  async status(): Promise<Readiness> {
    return this.readiness;
  }

  async setUp(req: PodNetworkRequest): Promise<PodNetworkStatus> {
    if (this.failNextSetUp) {
      const err = this.failNextSetUp;
      this.failNextSetUp = undefined;
      throw err;
    }
    const ips = [`10.88.0.${this.nextHost++}`];
    this.attached.set(req.podId, ips);
    return { ips };
  }

  async check(req: PodNetworkRequest): Promise<void> {
    if (!this.attached.has(req.podId)) throw new NotFoundError(`pod ${req.podId} has no network`);
  }

  async tearDown(req: PodNetworkRequest): Promise<void> {
    this.attached.delete(req.podId);
  }
}

export class FakeSecurity implements SecurityPlugin {
  readonly name = 'fake-security';
  async status() {
    return { enabled: false, message: 'fake' };
  }
  async applyToContainer(): Promise<void> {}
}

export class MemoryRecordStore<T extends { id: string }> implements RecordStore<T> {
  readonly records = new Map<string, T>();
  /** What quarantined() reports; tests put records here to act as unreadable ones. */
  readonly quarantine: QuarantinedRecord[] = [];

  async put(record: T): Promise<void> {
    this.records.set(record.id, structuredClone(record));
  }

  async get(id: string): Promise<T | undefined> {
    const r = this.records.get(id);
    return r && structuredClone(r);
  }

  async delete(id: string): Promise<void> {
    this.records.delete(id);
  }

  async list(): Promise<T[]> {
    return [...this.records.values()].map((r) => structuredClone(r));
  }

  async quarantined(): Promise<QuarantinedRecord[]> {
    return this.quarantine.map((q) => ({ ...q }));
  }
}

/** An image store whose "registry" is a map of references to images tests put there. */
export class MemoryImageStore implements ImagePlugin {
  readonly name = 'memory-images';
  readonly images = new Map<string, ImageRecord>();
  /** What pull() can find: reference → image. */
  readonly registry = new Map<string, ImageRecord>();
  /** Container id → rootfs path. */
  readonly rootfs = new Map<string, string>();
  /** Container id → what it changed in its rootfs (path → content) and deleted; tests set it. */
  readonly rootfsChanges = new Map<string, { files: Record<string, string>; deleted: string[] }>();
  /** Containers whose rootfs was unmounted after they exited. */
  readonly unmounted = new Set<string>();

  async pull(ref: string, options: PullOptions): Promise<ImageRecord> {
    const img = this.registry.get(ref);
    if (!img) throw new NotFoundError(`image ${ref} not found in the fake registry`);
    const stored = { ...img, pinned: options.pinned ?? img.pinned };
    this.images.set(img.id, stored);
    return stored;
  }

  async createRootfs(containerId: string, imageId: string): Promise<string> {
    if (!this.images.has(imageId)) throw new NotFoundError(`image ${imageId} not found`);
    const path = `/fake/rootfs/${containerId}`;
    this.rootfs.set(containerId, path);
    return path;
  }

  async mountRootfs(containerId: string): Promise<string> {
    const p = this.rootfs.get(containerId);
    if (!p) throw new NotFoundError(`no rootfs for ${containerId}`);
    return p;
  }

  async unmountRootfs(containerId: string): Promise<void> {
    this.unmounted.add(containerId);
  }

  async removeRootfs(containerId: string): Promise<void> {
    this.rootfs.delete(containerId);
  }

  async listRootfs(): Promise<string[]> {
    return [...this.rootfs.keys()];
  }

  async rootfsUsage(): Promise<LayerUsage> {
    return { bytes: 0, inodes: 0 };
  }

  /** The "tar" is the changed files as JSON: the fake's own format, read back by applyRootfsDiff. */
  async exportRootfsDiff(containerId: string, tarPath: string): Promise<{ written: boolean; deleted: string[] }> {
    if (!this.rootfs.has(containerId)) throw new NotFoundError(`no rootfs for ${containerId}`);
    const changes = this.rootfsChanges.get(containerId) ?? { files: {}, deleted: [] };
    const written = Object.keys(changes.files).length > 0;
    if (written) await writeFile(tarPath, JSON.stringify(changes.files));
    return { written, deleted: [...changes.deleted] };
  }

  async applyRootfsDiff(containerId: string, diff: { tarPath?: string; deleted: string[] }): Promise<void> {
    if (!this.rootfs.has(containerId)) throw new NotFoundError(`no rootfs for ${containerId}`);
    const files = diff.tarPath ? (JSON.parse(await readFile(diff.tarPath, 'utf8')) as Record<string, string>) : {};
    this.rootfsChanges.set(containerId, { files, deleted: [...diff.deleted] });
  }

  async list(): Promise<ImageRecord[]> {
    return [...this.images.values()];
  }

  async resolve(ref: string): Promise<ImageRecord | undefined> {
    for (const img of this.images.values()) {
      if (img.id === ref || img.id.startsWith(ref) || img.repoTags.includes(ref) || img.repoDigests.includes(ref)) return img;
    }
    return undefined;
  }

  async remove(id: string): Promise<void> {
    this.images.delete(id);
  }

  async fsInfo(): Promise<FilesystemUsage> {
    return { mountpoint: '/fake/images', timestamp: 0n, usedBytes: 0, inodesUsed: 0 };
  }
}

export class MemoryRecords implements RecordsPlugin {
  readonly name = 'memory-records';
  readonly pods = new MemoryRecordStore<PodRecord>();
  readonly containers = new MemoryRecordStore<ContainerRecord>();
}

export interface FakePluginSet extends PluginSet {
  runtime: FakeRuntime;
  namespace: FakeNamespaces;
  network: FakeNetwork;
  records: MemoryRecords;
  images: MemoryImageStore;
}

export function fakePluginSet(): FakePluginSet {
  return {
    runtime: new FakeRuntime(),
    namespace: new FakeNamespaces(),
    network: new FakeNetwork(),
    records: new MemoryRecords(),
    images: new MemoryImageStore(),
    security: [new FakeSecurity()],
  };
}
