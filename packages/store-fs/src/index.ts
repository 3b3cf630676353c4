import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { containerRecordSchema, definePlugin, podRecordSchema, type PluginContext, type RecordsPlugin } from '@criod/core';
import { z } from 'zod';
import { FsImageStore } from './images.js';
import { DirRecordStore } from './records.js';

export { DirRecordStore, type DirRecordStoreOptions } from './records.js';
export { FsImageStore, diskUsage } from './images.js';

/** The [store] section, shared by the records and the images plugin: one dir holds both. */
export const configSchema = z.strictObject({
  dir: z.string().default('').describe("Directory of pod and container records and images; empty means criod's `root`."),
  pull_no_progress_timeout_seconds: z
    .number()
    .int()
    .positive()
    .default(60)
    .describe('Seconds (a positive integer) a pull may receive nothing from the registry before it fails with DeadlineExceeded.'),
  max_concurrent_downloads: z.number().int().min(1).max(32).default(3).describe('Layers one pull downloads and unpacks at once, 1–32.'),
  rootfs_mode: z
    .enum(['auto', 'overlay', 'copy'])
    .default('auto')
    .describe(
      'How a container rootfs is made: "overlay" (overlayfs over the shared layers), "copy" (a full copy of the layers) or "auto" (overlay, copying where overlay fails).',
    ),
});

export type StoreFsConfig = z.infer<typeof configSchema>;

async function storeDir(ctx: PluginContext<StoreFsConfig>): Promise<string> {
  const dir = ctx.config.dir || ctx.root;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** The records plugin: <dir>/pods, <dir>/containers, <dir>/quarantine. */
export const records = definePlugin({
  kind: 'records',
  name: '@criod/store-fs:records',
  configSection: 'store',
  configSchema,
  async create(ctx): Promise<RecordsPlugin> {
    const dir = await storeDir(ctx);
    return {
      name: '@criod/store-fs:records',
      pods: new DirRecordStore(join(dir, 'pods'), ctx.logger, { schema: podRecordSchema, quarantineDir: join(dir, 'quarantine', 'pods') }),
      containers: new DirRecordStore(join(dir, 'containers'), ctx.logger, {
        schema: containerRecordSchema,
        quarantineDir: join(dir, 'quarantine', 'containers'),
      }),
      async info() {
        return { dir };
      },
    };
  },
});

/** The images plugin: images and container rootfs under <dir>/images (see FsImageStore). */
export const images = definePlugin({
  kind: 'images',
  name: '@criod/store-fs:images',
  configSection: 'store',
  configSchema,
  async create(ctx): Promise<FsImageStore> {
    const dir = await storeDir(ctx);
    return new FsImageStore(join(dir, 'images'), ctx.logger, {
      http: { noProgressTimeoutMs: ctx.config.pull_no_progress_timeout_seconds * 1000 },
      maxConcurrentDownloads: ctx.config.max_concurrent_downloads,
      rootfsMode: ctx.config.rootfs_mode,
      observe: ctx.observe,
    });
  },
});
