import { lstat, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { nowNs, UnimplementedError, type FilesystemUsage, type ImageRecord, type ImageStore, type LayerUsage, type Logger, type PullOptions } from '@criod/core';
import { DirRecordStore } from './records.js';

/** Bytes and inodes used below a directory, walked without blocking the event loop. */
export async function diskUsage(dir: string): Promise<{ bytes: number; inodes: number }> {
  let bytes = 0;
  let inodes = 0;
  const seen = new Set<string>();
  const walk = async (path: string): Promise<void> => {
    let st;
    try {
      st = await lstat(path);
    } catch {
      return;
    }
    const key = `${st.dev}:${st.ino}`;
    if (seen.has(key)) return; // hardlinks count once
    seen.add(key);
    inodes += 1;
    bytes += st.blocks * 512;
    if (st.isDirectory()) {
      const names = await readdir(path).catch(() => [] as string[]);
      for (const n of names) await walk(join(path, n));
    }
  };
  await walk(dir);
  return { bytes, inodes };
}

/** Image records under <root>/images; pulling and unpacking add to it. */
export class FsImageStore implements ImageStore {
  readonly records: DirRecordStore<ImageRecord>;

  constructor(
    readonly dir: string,
    logger: Logger,
  ) {
    this.records = new DirRecordStore<ImageRecord>(join(dir, 'records'), logger);
  }

  async list(): Promise<ImageRecord[]> {
    return this.records.list();
  }

  async resolve(ref: string): Promise<ImageRecord | undefined> {
    if (ref === '') return undefined;
    const bare = ref.startsWith('sha256:') ? ref.slice('sha256:'.length) : ref;
    const images = await this.list();
    const exact = images.find((i) => i.id === bare || i.repoTags.includes(ref) || i.repoDigests.includes(ref));
    if (exact) return exact;
    // A unique id prefix, as crictl accepts; an ambiguous one resolves to nothing.
    const byPrefix = /^[0-9a-f]{3,}$/.test(bare) ? images.filter((i) => i.id.startsWith(bare)) : [];
    return byPrefix.length === 1 ? byPrefix[0] : undefined;
  }

  private notYet(op: string): never {
    throw new UnimplementedError(`${op} is not built into @criod/store-fs yet`);
  }
  async pull(_ref: string, _options: PullOptions): Promise<ImageRecord> {
    return this.notYet('image pull');
  }
  async createRootfs(_containerId: string, _imageId: string): Promise<string> {
    return this.notYet('createRootfs');
  }
  async mountRootfs(_containerId: string): Promise<string> {
    return this.notYet('mountRootfs');
  }
  async removeRootfs(_containerId: string): Promise<void> {}
  async rootfsUsage(_containerId: string): Promise<LayerUsage> {
    return { bytes: 0, inodes: 0 };
  }

  async remove(id: string): Promise<void> {
    await this.records.delete(id);
  }

  async fsInfo(): Promise<FilesystemUsage> {
    await mkdir(this.dir, { recursive: true });
    const { bytes, inodes } = await diskUsage(this.dir);
    return { mountpoint: this.dir, timestamp: nowNs(), usedBytes: bytes, inodesUsed: inodes };
  }
}
