/**
 * The image records of the store, with what refcounting needs beside the CRI-facing ImageRecord:
 * the layers (chain ids) and blobs an image uses. Kept in memory, written through atomically.
 */
import type { ImageRecord, Logger } from '@criod/core';
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

export class ImageRecords {
  private readonly store: DirRecordStore<StoredImage>;
  private readonly cache = new Map<string, StoredImage>();

  constructor(dir: string, logger: Logger) {
    this.store = new DirRecordStore<StoredImage>(dir, logger);
  }

  async load(): Promise<void> {
    this.cache.clear();
    for (const r of await this.store.list()) this.cache.set(r.id, r);
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
