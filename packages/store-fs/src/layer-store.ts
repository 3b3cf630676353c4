/**
 * Unpacked layers, one dir per chain id, shared by every image that has that chain. A layer is
 * unpacked in tmp/ and renamed into place with its layer.json, so a crash never leaves half of one.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { isNotFound, type Logger } from '@criod/core';
import { Singleflight } from './concurrency.js';
import type { ImageLayout } from './image-layout.js';
import { unpackLayer } from './layer-unpack.js';
import type { Trash } from './trash.js';

export interface LayerInfo {
  /** "sha256:<hex>" */
  chainId: string;
  diffId: string;
  /** Digest of the blob it was unpacked from. */
  blobDigest: string;
  /** Its short symlink's name under l/. */
  link: string;
  /** Overlay whiteouts (char devices) the layer holds. */
  whiteouts: string[];
  opaqueDirs: string[];
}

const linkAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function newLinkName(): string {
  return [...randomBytes(16)].map((b) => linkAlphabet[b % linkAlphabet.length]).join('');
}

export function chainHex(chainId: string): string {
  return chainId.slice(chainId.indexOf(':') + 1);
}

export class LayerStore {
  private readonly unpacking = new Singleflight<LayerInfo>();

  constructor(
    private readonly layout: ImageLayout,
    private readonly logger: Logger,
    private readonly trash: Trash,
  ) {}

  diffPath(chainId: string): string {
    return join(this.layout.layer(chainHex(chainId)), 'diff');
  }

  /** The layer's diff as overlay's lowerdir wants it: relative to the store root, through its short link. */
  lowerDir(info: LayerInfo): string {
    return relative(this.layout.root, join(this.layout.links, info.link));
  }

  async get(chainId: string): Promise<LayerInfo | undefined> {
    try {
      return JSON.parse(await readFile(join(this.layout.layer(chainHex(chainId)), 'layer.json'), 'utf8')) as LayerInfo;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Chain ids of every stored layer. */
  async list(): Promise<string[]> {
    const names = await readdir(this.layout.layers).catch(() => [] as string[]);
    return names.filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }

  /** Make sure the layer's short link exists (it is made after the layer, so a crash can lose it). */
  async ensureLink(info: LayerInfo): Promise<void> {
    const target = relative(this.layout.links, this.diffPath(info.chainId));
    const link = join(this.layout.links, info.link);
    try {
      await symlink(target, link);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return;
      if (!isNotFound(err)) throw err;
      // The links dir itself is missing (it is made at start): make it, then the link.
      await mkdir(this.layout.links, { recursive: true });
      await symlink(target, link).catch((again: NodeJS.ErrnoException) => {
        if (again.code !== 'EEXIST') throw again;
      });
    }
  }

  /**
   * The layer, unpacked from the blob `download` writes to the path it is given when it is not
   * stored yet. Concurrent calls for one chain id share the work.
   */
  ensure(chainId: string, diffId: string, blobDigest: string, download: (path: string) => Promise<void>, what: string): Promise<LayerInfo> {
    return this.unpacking.run(chainId, async () => {
      const existing = await this.get(chainId);
      if (existing) {
        await this.ensureLink(existing);
        return existing;
      }
      await mkdir(this.layout.tmp, { recursive: true });
      const work = await mkdtemp(join(this.layout.tmp, 'layer-'));
      try {
        const blob = join(work, 'blob');
        await download(blob);
        const staged = join(work, 'layer');
        await mkdir(join(staged, 'diff'), { recursive: true });
        const started = Date.now();
        const unpacked = await unpackLayer(blob, join(staged, 'diff'), diffId, what);
        const info: LayerInfo = { chainId, diffId, blobDigest, link: newLinkName(), whiteouts: unpacked.whiteouts, opaqueDirs: unpacked.opaqueDirs };
        // No fsync: the layer's files are not synced either; the rename below is what makes it appear whole.
        await writeFile(join(staged, 'layer.json'), JSON.stringify(info));
        await mkdir(this.layout.layers, { recursive: true });
        await rename(staged, this.layout.layer(chainHex(chainId)));
        await this.ensureLink(info);
        this.logger.debug({ layer: chainId, ms: Date.now() - started }, 'layer unpacked');
        return info;
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    });
  }

  /** Delete a layer: out of sight first (rename), then its files. */
  async delete(chainId: string): Promise<void> {
    const info = await this.get(chainId);
    const trash = await this.trash.move(this.layout.layer(chainHex(chainId)), 'layer');
    if (!trash) return;
    if (info) await unlink(join(this.layout.links, info.link)).catch(() => {});
    await rm(trash, { recursive: true, force: true });
  }

  /** Drop short links whose layer is gone (after a crash between the two deletions). */
  async pruneLinks(): Promise<void> {
    const names = await readdir(this.layout.links).catch(() => [] as string[]);
    const live = new Set((await Promise.all((await this.list()).map((c) => this.get(c)))).flatMap((i) => (i ? [i.link] : [])));
    for (const n of names) if (!live.has(n)) await unlink(join(this.layout.links, n)).catch(() => {});
  }
}
