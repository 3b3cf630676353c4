import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { definePlugin, type ContainerRecord, type PodRecord, type StorePlugin } from '@criod/core';
import { z } from 'zod';
import { FsImageStore } from './images.js';
import { DirRecordStore } from './records.js';

export { parseRecord, stringifyRecord } from './json.js';
export { DirRecordStore } from './records.js';
export { FsImageStore, diskUsage } from './images.js';

export const configSchema = z.strictObject({
  /** Where records and images live; empty means the daemon's --root. */
  dir: z.string().default(''),
  /** A pull that receives nothing for this long fails. */
  pull_no_progress_timeout_seconds: z.number().int().positive().default(60),
  /** Layers one pull downloads and unpacks at once. */
  max_concurrent_downloads: z.number().int().min(1).max(32).default(3),
  /** Container rootfs: overlay, copy, or auto (overlay, copying where overlay fails). */
  rootfs_mode: z.enum(['auto', 'overlay', 'copy']).default('auto'),
});

export type StoreFsConfig = z.infer<typeof configSchema>;

/** The store-fs plugin: <dir>/pods, <dir>/containers, <dir>/images. */
export const plugin = definePlugin({
  kind: 'store',
  name: '@criod/store-fs',
  configSection: 'store',
  configSchema,
  async create(ctx): Promise<StorePlugin> {
    const dir = ctx.config.dir || ctx.root;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const logger = ctx.logger.child({ plugin: '@criod/store-fs' });
    const images = new FsImageStore(join(dir, 'images'), logger, {
      http: { noProgressTimeoutMs: ctx.config.pull_no_progress_timeout_seconds * 1000 },
      maxConcurrentDownloads: ctx.config.max_concurrent_downloads,
      rootfsMode: ctx.config.rootfs_mode,
      observe: ctx.observe,
    });
    const store: StorePlugin = {
      name: '@criod/store-fs',
      pods: new DirRecordStore<PodRecord>(join(dir, 'pods'), logger),
      containers: new DirRecordStore<ContainerRecord>(join(dir, 'containers'), logger),
      images,
      async info() {
        return { dir, rootfsMode: ctx.config.rootfs_mode };
      },
      close: () => images.close(),
    };
    return store;
  },
});

export default plugin;
