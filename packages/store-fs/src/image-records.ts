/**
 * The image records of the store, with what refcounting needs beside the CRI-facing ImageRecord:
 * the layers (chain ids) and blobs an image uses. Kept in memory, written through atomically.
 */
import type { ImageRecord, Logger } from '@criod/core';
import { z } from 'zod';
import type { ImageLayout } from './image-layout.js';
import { DirRecordStore } from './records.js';

export interface StoredImage {
  /** Hex of the config digest, as ImageRecord.id. */
  id: string;
  image: ImageRecord;
  /** Chain ids ("sha256:<hex>") of the layers, bottom first. */
  layers: string[];
  /** Digests of the manifests, indexes and config kept in the blob store. */
  blobs: string[];
}

const storedImageSchema: z.ZodType<StoredImage> = z.object({
  id: z.string(),
  image: z.object({
    id: z.string(),
    repoTags: z.array(z.string()),
    repoDigests: z.array(z.string()),
    size: z.number(),
    uid: z.number().optional(),
    username: z.string(),
    pinned: z.boolean(),
    config: z.object({
      entrypoint: z.array(z.string()),
      cmd: z.array(z.string()),
      env: z.array(z.string()),
      workingDir: z.string(),
      user: z.string(),
      stopSignal: z.string(),
      volumes: z.array(z.string()),
      labels: z.record(z.string(), z.string()),
    }),
  }),
  layers: z.array(z.string()),
  blobs: z.array(z.string()),
});

export class ImageRecords {
  private readonly store: DirRecordStore<StoredImage>;
  private readonly cache = new Map<string, StoredImage>();
  /** Some image records could not be read at load: the layers and blobs they use are unknown. */
  quarantined = false;

  constructor(layout: ImageLayout, logger: Logger) {
    this.store = new DirRecordStore(layout.records, logger, { schema: storedImageSchema, quarantineDir: layout.quarantine });
  }

  async load(): Promise<void> {
    this.cache.clear();
    for (const r of await this.store.list()) this.cache.set(r.id, r);
    this.quarantined = (await this.store.quarantined()).length > 0;
  }

  all(): StoredImage[] {
    return [...this.cache.values()].map((r) => structuredClone(r));
  }

  get(id: string): StoredImage | undefined {
    const r = this.cache.get(id);
    return r && structuredClone(r);
  }

  async put(record: StoredImage): Promise<void> {
    await this.store.put(record);
    this.cache.set(record.id, structuredClone(record));
  }

  async delete(id: string): Promise<void> {
    await this.store.delete(id);
    this.cache.delete(id);
  }
}
