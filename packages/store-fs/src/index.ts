import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { definePlugin, type ContainerRecord, type PodRecord, type StorePlugin } from '@criod/core';
import { z } from 'zod';
import { FsImageStore } from './images.js';
import { DirRecordStore } from './records.js';

export { writeFileAtomic } from './atomic.js';
export { parseRecord, stringifyRecord } from './json.js';
export { DirRecordStore } from './records.js';
export { FsImageStore, diskUsage } from './images.js';

export const configSchema = z.strictObject({
  /** Where records and images live; empty means the daemon's --root. */
  dir: z.string().default(''),
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
    const store: StorePlugin = {
      name: '@criod/store-fs',
      pods: new DirRecordStore<PodRecord>(join(dir, 'pods'), logger),
      containers: new DirRecordStore<ContainerRecord>(join(dir, 'containers'), logger),
      images: new FsImageStore(join(dir, 'images'), logger),
      async info() {
        return { dir };
      },
    };
    return store;
  },
});

export default plugin;
