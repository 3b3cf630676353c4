/**
 * The image store under <root>/images: pulls through @criod/image-registry into content-addressed
 * blobs and layers shared by chain id, image records written last, refcounted removal, and
 * container rootfs made from the layers. See image-layout.ts for the layout.
 */
import { createHash } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  NotFoundError,
  nowNs,
  type FilesystemUsage,
  type ImageRecord,
  type ImagePlugin,
  type LayerUsage,
  type Logger,
  type OperationObserver,
  type PullOptions,
  type RegistryAuth,
} from '@criod/core';
import {
  parseReference,
  RegistryClient,
  RegistryHttp,
  throttledProgress,
  tryParseReference,
  type ImageReference,
  type Platform,
  type RegistryHttpOptions,
  type ResolvedImage,
} from '@criod/image-registry';
import { BlobStore } from './blob-store.js';
import { AsyncLock, InUse, mapLimit, Singleflight } from './concurrency.js';
import { diskUsage } from './disk-usage.js';
import { chainIds, imageConfig, imageUser } from './image-config.js';
import { ImageLayout } from './image-layout.js';
import { ImageRecords, type StoredImage } from './image-records.js';
import { chainHex, LayerStore } from './layer-store.js';
import { RootfsManager, type RootfsMode } from './rootfs.js';
import { Trash } from './trash.js';

export { diskUsage } from './disk-usage.js';
export type { RootfsMode } from './rootfs.js';

export interface FsImageStoreOptions {
  /** Registry HTTP: no-progress timeout, connect timeout, retries. */
  http?: RegistryHttpOptions;
  /** Layers downloaded and unpacked at once by one pull. */
  maxConcurrentDownloads?: number;
  /** How container rootfs are made; 'auto' = overlay, copying where overlay fails. */
  rootfsMode?: RootfsMode;
  /** Platform picked from image indexes; the host's by default. */
  platform?: Platform;
  /** Told the bytes of each layer fetched from a registry. */
  observe?: OperationObserver;
}

const hexId = /^[a-f0-9]{64}$/;
const hexPrefix = /^[a-f0-9]{3,63}$/;

function union(a: readonly string[] = [], b: readonly string[] = []): string[] {
  return [...new Set([...a, ...b])];
}

function authKey(auth: RegistryAuth | undefined): string {
  return auth ? createHash('sha256').update(JSON.stringify(auth)).digest('hex') : '';
}

export class FsImageStore implements ImagePlugin {
  readonly name = '@criod/store-fs:images';
  readonly layout: ImageLayout;
  private readonly records: ImageRecords;
  private readonly layers: LayerStore;
  private readonly blobs: BlobStore;
  private readonly rootfs: RootfsManager;
  /** Dirs taken away at once and deleted in the background, in tmp/ (emptied at start). */
  private readonly trash: Trash;
  private readonly http: RegistryHttp;
  /** Serialises record commits and removals. */
  private readonly lock = new AsyncLock();
  /** Layers and blobs of pulls in flight: removal leaves them alone. */
  private readonly inUse = new InUse();
  private readonly pulls = new Singleflight<StoredImage>();
  private ready: Promise<void> | undefined;

  constructor(
    readonly dir: string,
    private readonly logger: Logger,
    private readonly options: FsImageStoreOptions = {},
  ) {
    this.layout = new ImageLayout(dir);
    this.records = new ImageRecords(this.layout, logger);
    this.trash = new Trash(this.layout.tmp, logger);
    this.layers = new LayerStore(this.layout, logger, this.trash);
    this.blobs = new BlobStore(this.layout);
    this.rootfs = new RootfsManager(this.layout, this.layers, logger, options.rootfsMode ?? 'auto', this.trash);
    this.http = new RegistryHttp(options.http, logger);
  }

  /** Once per process: dirs, leftovers of a crash (temp dirs, layers and blobs no image uses), the record cache. */
  private init(): Promise<void> {
    this.ready ??= (async () => {
      for (const d of [this.layout.records, join(this.layout.blobs, 'sha256'), this.layout.layers, this.layout.links, this.layout.containers])
        await mkdir(d, { recursive: true });
      await rm(this.layout.tmp, { recursive: true, force: true });
      await mkdir(this.layout.tmp, { recursive: true });
      await this.records.load();
      await this.collectGarbage(new Set(), new Set());
    })().catch((err: unknown) => {
      this.ready = undefined; // try again on the next call
      throw err;
    });
    return this.ready;
  }

  /** Delete layers and blobs no record, rootfs or pull in flight uses; `candidates*` limit it (empty = all). */
  private async collectGarbage(candidateLayers: Set<string>, candidateBlobs: Set<string>): Promise<void> {
    if (this.records.quarantined) {
      this.logger.warn({ quarantine: this.layout.quarantine }, 'keeping unused layers and blobs: quarantined image records may use them');
      return;
    }
    const images = this.records.all();
    const keepLayers = new Set([...images.flatMap((i) => i.layers), ...(await this.rootfs.list()).flatMap((r) => r.layers)]);
    const keepBlobs = new Set(images.flatMap((i) => i.blobs));
    const layers = candidateLayers.size > 0 ? [...candidateLayers] : await this.layers.list();
    const blobs = candidateBlobs.size > 0 ? [...candidateBlobs] : await this.blobs.list();
    for (const chainId of layers) {
      if (keepLayers.has(chainId) || this.inUse.has(chainId)) continue;
      this.logger.debug({ layer: chainId }, 'deleting unused layer');
      await this.layers.delete(chainId);
    }
    for (const digest of blobs) if (!keepBlobs.has(digest) && !this.inUse.has(digest)) await this.blobs.delete(digest);
    if (candidateLayers.size === 0) await this.layers.pruneLinks();
  }

  async list(): Promise<ImageRecord[]> {
    await this.init();
    return this.records.all().map((r) => r.image);
  }

  private find(ref: string): StoredImage | undefined {
    const bare = ref.startsWith('sha256:') ? ref.slice('sha256:'.length) : ref;
    if (hexId.test(bare)) return this.records.get(bare);
    const images = this.records.all();
    const parsed = tryParseReference(ref);
    if (parsed) {
      const byName = parsed.digest
        ? images.find((i) => i.image.repoDigests.includes(parsed.withDigest(parsed.digest!)))
        : images.find((i) => i.image.repoTags.includes(parsed.taggedName!));
      if (byName) return byName;
    }
    if (hexPrefix.test(bare)) {
      // A unique id prefix, as crictl accepts; an ambiguous one resolves to nothing.
      const matches = images.filter((i) => i.id.startsWith(bare));
      return matches.length === 1 ? matches[0] : undefined;
    }
    if (!parsed) parseReference(ref); // throws the InvalidArgumentError saying what is wrong
    return undefined;
  }

  async resolve(ref: string): Promise<ImageRecord | undefined> {
    if (ref === '') return undefined;
    await this.init();
    return this.find(ref)?.image;
  }

  async pull(ref: string, options: PullOptions): Promise<ImageRecord> {
    const reference = parseReference(ref);
    await this.init();
    const key = `${reference.toString()} ${authKey(options.auth)} ${JSON.stringify(options.registries)}`;
    const stored = await this.pulls.run(key, () => this.pullOnce(reference, options));
    if (options.pinned && !stored.image.pinned) return this.lock.run(() => this.pin(stored.id));
    return stored.image;
  }

  private async pin(id: string): Promise<ImageRecord> {
    const current = this.records.get(id);
    if (!current) throw new NotFoundError(`image ${id} was removed while it was being pulled`);
    current.image.pinned = true;
    await this.records.put(current);
    return current.image;
  }

  private async pullOnce(reference: ImageReference, options: PullOptions): Promise<StoredImage> {
    const logger = this.logger.child({ image: reference.toString() });
    const started = Date.now();
    const client = new RegistryClient({
      http: this.http,
      registries: options.registries,
      ...(options.auth ? { auth: options.auth } : {}),
      ...(this.options.platform ? { platform: this.options.platform } : {}),
      logger,
    });
    const resolved = await client.resolve(reference);
    const chains = chainIds(resolved.config.rootfs.diff_ids);
    // Taken under the lock so a removal running now finishes before this pull looks at the layers.
    const release = await this.lock.run(async () => this.inUse.hold([...chains, ...resolved.documents.keys()]));
    try {
      await mapLimit(resolved.manifest.layers, this.options.maxConcurrentDownloads ?? 3, (layer, i) =>
        this.layers.ensure(
          chains[i]!,
          resolved.config.rootfs.diff_ids[i]!,
          layer.digest,
          async (path) => {
            await client.downloadBlob(resolved, layer, path, throttledProgress(logger, { layer: layer.digest }));
            this.options.observe?.({ type: 'image_bytes', bytes: layer.size });
          },
          `layer ${layer.digest} of ${reference.toString()}`,
        ),
      );
      for (const [digest, bytes] of resolved.documents) await this.blobs.put(digest, bytes);
      const stored = await this.lock.run(() => this.commit(reference, resolved, chains));
      logger.info({ id: stored.id, layers: chains.length, ms: Date.now() - started }, 'image pulled');
      return stored;
    } finally {
      release();
    }
  }

  /** Write the image record (last step of a pull), moving its tag away from any other image. */
  private async commit(reference: ImageReference, resolved: ResolvedImage, chains: string[]): Promise<StoredImage> {
    const id = chainHex(resolved.configDigest);
    const existing = this.records.get(id);
    // With a digest the tag is not what was pulled, so it is not recorded.
    const tag = reference.digest === undefined ? reference.taggedName : undefined;
    if (tag) {
      for (const other of this.records.all()) {
        if (other.id === id || !other.image.repoTags.includes(tag)) continue;
        other.image.repoTags = other.image.repoTags.filter((t) => t !== tag);
        await this.records.put(other);
      }
    }
    const size = resolved.manifest.config.size + resolved.manifest.layers.reduce((sum, l) => sum + l.size, 0);
    const stored: StoredImage = {
      id,
      image: {
        id,
        repoTags: union(existing?.image.repoTags, tag ? [tag] : []),
        repoDigests: union(existing?.image.repoDigests, [reference.withDigest(resolved.digest)]),
        size,
        ...imageUser(resolved.config.config.User),
        pinned: existing?.image.pinned ?? false,
        config: imageConfig(resolved.config),
      },
      layers: chains,
      blobs: union(existing?.blobs, [...resolved.documents.keys()]),
    };
    await this.records.put(stored);
    return stored;
  }

  async remove(id: string): Promise<void> {
    await this.init();
    await this.lock.run(async () => {
      const target = this.find(id);
      if (!target) return;
      // The record goes first: a crash after it leaves unused layers, which the next start deletes.
      await this.records.delete(target.id);
      await this.collectGarbage(new Set(target.layers), new Set(target.blobs));
      this.logger.info({ id: target.id, tags: target.image.repoTags }, 'image removed');
    });
  }

  async fsInfo(): Promise<FilesystemUsage> {
    await this.init();
    const { bytes, inodes } = await diskUsage(this.dir);
    return { mountpoint: this.dir, timestamp: nowNs(), usedBytes: bytes, inodesUsed: inodes };
  }

  async createRootfs(containerId: string, imageId: string): Promise<string> {
    await this.init();
    const image = this.find(imageId);
    if (!image) throw new NotFoundError(`image ${imageId} not found`);
    // Under the lock, so a removal sees the rootfs keeping the layers alive.
    const release = await this.lock.run(async () => this.inUse.hold(image.layers));
    try {
      return await this.rootfs.create(containerId, image.id, image.layers);
    } finally {
      release();
    }
  }

  async mountRootfs(containerId: string): Promise<string> {
    await this.init();
    return this.rootfs.mount(containerId);
  }

  async unmountRootfs(containerId: string): Promise<void> {
    await this.init();
    await this.rootfs.unmount(containerId);
  }

  async listRootfs(): Promise<string[]> {
    return (await this.rootfs.list()).map((r) => r.containerId);
  }

  async removeRootfs(containerId: string): Promise<void> {
    await this.init();
    await this.rootfs.remove(containerId);
  }

  async rootfsUsage(containerId: string): Promise<LayerUsage> {
    await this.init();
    return this.rootfs.usage(containerId);
  }

  async exportRootfsDiff(containerId: string, tarPath: string): Promise<{ written: boolean; deleted: string[] }> {
    await this.init();
    return this.rootfs.exportDiff(containerId, tarPath);
  }

  async applyRootfsDiff(containerId: string, diff: { tarPath?: string; deleted: string[] }): Promise<void> {
    await this.init();
    await this.rootfs.applyDiff(containerId, diff);
  }

  async info(): Promise<Record<string, unknown>> {
    return { dir: this.dir, rootfsMode: this.options.rootfsMode ?? 'auto' };
  }

  /** Close the registry connection pools; let the deletions in the background finish. */
  async close(): Promise<void> {
    await Promise.all([this.http.close(), this.trash.settled()]);
  }
}
