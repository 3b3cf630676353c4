/**
 * Container root filesystems: an overlay of the image's layers with the container's own upper
 * and work dirs under containers/<id>, or a copy of the layers where overlay is unavailable.
 * rootfs.json is written before anything is mounted, so a crash leaves something removeRootfs
 * and restore understand.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { AlreadyExistsError, FailedPreconditionError, NotFoundError, type LayerUsage, type Logger } from '@criod/core';
import { writeFileAtomic } from '@criod/core';
import { copyLayers } from './copy-rootfs.js';
import { applyDiff, exportDiff } from './rootfs-diff.js';
import { diskUsage } from './disk-usage.js';
import type { ImageLayout } from './image-layout.js';
import type { LayerInfo, LayerStore } from './layer-store.js';
import type { Trash } from './trash.js';
import { isMountPoint, mountOverlay, overlaySupported, unmount } from './mounts.js';

/** 'auto' uses overlay when the kernel has it and falls back to copying when a mount fails. */
export type RootfsMode = 'auto' | 'overlay' | 'copy';

export interface RootfsRecord {
  containerId: string;
  imageId: string;
  /** Chain ids of the layers, bottom first. */
  layers: string[];
  mode: 'overlay' | 'copy';
}

export class RootfsManager {
  private overlayAvailable: Promise<boolean> | undefined;
  /**
   * Rootfs this process unmounted (at their container's exit) and has not mounted since: removal
   * skips a second umount(2), which only fails with EINVAL (1–2 ms of RemoveContainer's 7).
   */
  private readonly unmounted = new Set<string>();

  constructor(
    private readonly layout: ImageLayout,
    private readonly layers: LayerStore,
    private readonly logger: Logger,
    private readonly mode: RootfsMode,
    private readonly trash: Trash,
  ) {}

  private paths(containerId: string) {
    const dir = this.layout.container(containerId);
    return { dir, upper: join(dir, 'upper'), work: join(dir, 'work'), merged: join(dir, 'merged'), record: join(dir, 'rootfs.json') };
  }

  async read(containerId: string): Promise<RootfsRecord | undefined> {
    try {
      return JSON.parse(await readFile(this.paths(containerId).record, 'utf8')) as RootfsRecord;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Every container rootfs on disk, for the layers they keep alive. */
  async list(): Promise<RootfsRecord[]> {
    const ids = await readdir(this.layout.containers).catch(() => [] as string[]);
    const out: RootfsRecord[] = [];
    for (const id of ids) {
      const r = await this.read(id).catch(() => undefined);
      if (r) out.push(r);
    }
    return out;
  }

  private async layerInfos(record: RootfsRecord): Promise<LayerInfo[]> {
    return Promise.all(
      record.layers.map(async (chainId) => {
        const info = await this.layers.get(chainId);
        if (!info) throw new NotFoundError(`layer ${chainId} of image ${record.imageId} (rootfs of container ${record.containerId}) is missing from the store`);
        return info;
      }),
    );
  }

  private async useOverlay(): Promise<boolean> {
    if (this.mode !== 'auto') return this.mode === 'overlay';
    this.overlayAvailable ??= overlaySupported();
    return this.overlayAvailable;
  }

  private async mountOverlayFor(record: RootfsRecord): Promise<void> {
    const p = this.paths(record.containerId);
    const infos = await this.layerInfos(record);
    await Promise.all(infos.map((info) => this.layers.ensureLink(info)));
    // An image without layers still needs one lower dir: the container's own empty one.
    const lowers = infos.length > 0 ? infos.map((i) => this.layers.lowerDir(i)).reverse() : [relative(this.layout.root, join(p.dir, 'empty'))];
    if (infos.length === 0) await mkdir(join(p.dir, 'empty'), { recursive: true });
    await mountOverlay(this.layout.root, lowers, relative(this.layout.root, p.upper), relative(this.layout.root, p.work), p.merged);
  }

  /** Make the rootfs of a container from an image's layers; returns its path (OCI root.path). */
  async create(containerId: string, imageId: string, layers: string[]): Promise<string> {
    const p = this.paths(containerId);
    if (await this.read(containerId)) throw new AlreadyExistsError(`container ${containerId} already has a rootfs at ${p.merged}`);
    const record: RootfsRecord = { containerId, imageId, layers, mode: (await this.useOverlay()) ? 'overlay' : 'copy' };
    await mkdir(p.merged, { recursive: true });
    try {
      if (record.mode === 'overlay') {
        await Promise.all([mkdir(p.upper, { recursive: true }), mkdir(p.work, { recursive: true })]);
        await writeFileAtomic(p.record, JSON.stringify(record));
        try {
          await this.mountOverlayFor(record);
          return p.merged;
        } catch (err) {
          if (this.mode !== 'auto') throw err;
          this.logger.warn({ containerId, err: (err as Error).message }, 'overlay mount failed, copying the layers instead');
          record.mode = 'copy';
          await rm(p.upper, { recursive: true, force: true });
          await rm(p.work, { recursive: true, force: true });
        }
      }
      await writeFileAtomic(p.record, JSON.stringify(record));
      await copyLayers(
        (await this.layerInfos(record)).map((info) => ({ info, diff: this.layers.diffPath(info.chainId) })),
        p.merged,
      );
      return p.merged;
    } catch (err) {
      await this.remove(containerId);
      throw err;
    }
  }

  /** Mount the rootfs again if it is not (after a restart); returns its path. */
  async mount(containerId: string): Promise<string> {
    this.unmounted.delete(containerId);
    const record = await this.read(containerId);
    const p = this.paths(containerId);
    if (!record) throw new NotFoundError(`container ${containerId} has no rootfs (no ${p.record})`);
    if (record.mode === 'overlay' && !(await isMountPoint(p.merged))) {
      await mkdir(p.merged, { recursive: true });
      await this.mountOverlayFor(record);
      this.logger.info({ containerId }, 'rootfs mounted again');
    }
    return p.merged;
  }

  /** Unmount, keeping the upper dir; a copied rootfs stays as it is. Idempotent. */
  async unmount(containerId: string): Promise<void> {
    await unmount(this.paths(containerId).merged);
    this.unmounted.add(containerId);
  }

  /**
   * Unmount and delete; idempotent. Gone when this resolves (unmounted, and its dir moved to the
   * trash in one rename); the writable layer's files are deleted in the background.
   */
  async remove(containerId: string): Promise<void> {
    const p = this.paths(containerId);
    if (!this.unmounted.delete(containerId)) await unmount(p.merged);
    await this.trash.discard(p.dir, 'rootfs');
  }

  /** What the container changed: only an overlay rootfs knows it apart from the image. */
  async exportDiff(containerId: string, tarPath: string): Promise<{ written: boolean; deleted: string[] }> {
    const record = await this.read(containerId);
    const p = this.paths(containerId);
    if (!record) throw new NotFoundError(`container ${containerId} has no rootfs (no ${p.record})`);
    if (record.mode !== 'overlay')
      throw new FailedPreconditionError(`container ${containerId}'s rootfs is a copy of its image (overlay was unavailable): its changes cannot be told apart`);
    const lowers = (await this.layerInfos(record)).map((i) => join(this.layout.root, this.layers.lowerDir(i))).reverse();
    return exportDiff({ upper: p.upper, merged: await this.mount(containerId), lowers }, tarPath);
  }

  async applyDiff(containerId: string, diff: { tarPath?: string; deleted: string[] }): Promise<void> {
    await mkdir(this.layout.tmp, { recursive: true });
    await applyDiff(await this.mount(containerId), this.layout.tmp, diff);
  }

  async usage(containerId: string): Promise<LayerUsage> {
    const record = await this.read(containerId);
    const p = this.paths(containerId);
    if (!record) throw new NotFoundError(`container ${containerId} has no rootfs (no ${p.record})`);
    return diskUsage(record.mode === 'overlay' ? p.upper : p.merged);
  }
}
