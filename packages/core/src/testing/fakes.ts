/**
 * In-memory fakes of the plugin interfaces, for unit tests of core and of third-party plugins.
 * They keep real state (what is pinned, set up, stored) so tests can assert on it.
 */
import { NotFoundError } from '../errors.js';
import type { PluginSet } from '../context.js';
import type {
  ImageStore,
  NamespaceCreateOptions,
  NamespacePlugin,
  NetworkPlugin,
  PodNetworkRequest,
  PodNetworkStatus,
  RecordStore,
  RuntimePlugin,
  SecurityPlugin,
  StorePlugin,
} from '../plugins.js';
import type {
  CgroupDriver,
  ContainerRecord,
  FilesystemUsage,
  ImageRecord,
  NamespaceKind,
  PinnedNamespace,
  PodRecord,
  Readiness,
  RuntimeHandlerInfo,
} from '../types.js';

const ready: Readiness = { ready: true, reason: '', message: '' };

export class FakeRuntime implements RuntimePlugin {
  readonly name = 'fake-runtime';
  readiness: Readiness = { ...ready };
  driver: CgroupDriver = 'cgroupfs';
  handlerList: RuntimeHandlerInfo[] = [{ name: 'runc', recursiveReadOnlyMounts: false, userNamespaces: false }];

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
    const pinned = kinds.map((kind) => ({ kind, path: `/fake/ns/${kind}/${podId}` }));
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
}

export class MemoryImageStore implements ImageStore {
  readonly images = new Map<string, ImageRecord>();

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

export class MemoryStore implements StorePlugin {
  readonly name = 'memory-store';
  readonly pods = new MemoryRecordStore<PodRecord>();
  readonly containers = new MemoryRecordStore<ContainerRecord>();
  readonly images = new MemoryImageStore();
}

export interface FakePluginSet extends PluginSet {
  runtime: FakeRuntime;
  namespace: FakeNamespaces;
  network: FakeNetwork;
  store: MemoryStore;
}

export function fakePluginSet(): FakePluginSet {
  return {
    runtime: new FakeRuntime(),
    namespace: new FakeNamespaces(),
    network: new FakeNetwork(),
    store: new MemoryStore(),
    security: [new FakeSecurity()],
  };
}
