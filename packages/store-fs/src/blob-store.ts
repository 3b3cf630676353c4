/** Content-addressed documents (manifests, indexes, configs) under blobs/<algorithm>/<hex>. */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@criod/core';
import type { ImageLayout } from './image-layout.js';

export class BlobStore {
  constructor(private readonly layout: ImageLayout) {}

  async put(digest: string, data: Uint8Array): Promise<void> {
    await writeFileAtomic(this.layout.blob(digest), data);
  }

  async delete(digest: string): Promise<void> {
    await rm(this.layout.blob(digest), { force: true });
  }

  /** Every stored digest. */
  async list(): Promise<string[]> {
    const out: string[] = [];
    for (const algorithm of await readdir(this.layout.blobs).catch(() => [] as string[])) {
      for (const hex of await readdir(join(this.layout.blobs, algorithm)).catch(() => [] as string[])) {
        if (!hex.startsWith('.')) out.push(`${algorithm}:${hex}`);
      }
    }
    return out;
  }
}
