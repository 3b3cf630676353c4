import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isNotFound } from './errno.js';

export interface AtomicWriteOptions {
  mode?: number;
  /**
   * fsync the file and its dir so the write survives a power loss (the default). Files on the
   * volatile runroot (a tmpfs that a reboot empties) skip it: the rename alone keeps them whole.
   */
  durable?: boolean;
}

/** Open a new file for writing, making its dir only when it is missing (rarely: one call less on every write). */
async function openCreating(path: string, mode: number): Promise<FileHandle> {
  try {
    return await open(path, 'w', mode);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  await mkdir(dirname(path), { recursive: true });
  return open(path, 'w', mode);
}

/**
 * Write a file so that a crash at any instant leaves either the old or the new content:
 * temp file in the same dir, fsync, rename over, fsync the dir.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, { mode = 0o600, durable = true }: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.tmp-${randomBytes(6).toString('hex')}`);
  try {
    const fh = await openCreating(tmp, mode);
    try {
      await fh.writeFile(data);
      if (durable) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  if (!durable) return;
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}
