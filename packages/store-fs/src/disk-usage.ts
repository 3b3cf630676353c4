import { lstat, readdir } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { limiter } from '@criod/core';

/** File system calls of one walk in flight at once: enough to keep the thread pool busy, not flood it. */
const CALLS_AT_ONCE = 16;

/**
 * Bytes (allocated blocks) and inodes used below a directory, hardlinks once, staying on the
 * directory's filesystem (mounted container rootfs are not counted again), without blocking:
 * subdirectories are walked in parallel, a bounded number of calls at once.
 */
export async function diskUsage(dir: string): Promise<{ bytes: number; inodes: number }> {
  let bytes = 0;
  let inodes = 0;
  const seen = new Set<string>();
  const limit = limiter(CALLS_AT_ONCE);
  const root = await lstat(dir).catch(() => undefined);
  if (!root) return { bytes, inodes };
  const visit = async (path: string, st: Stats): Promise<void> => {
    const key = `${st.dev}:${st.ino}`;
    if (st.dev !== root.dev || seen.has(key)) return;
    seen.add(key);
    inodes += 1;
    bytes += st.blocks * 512;
    if (!st.isDirectory()) return;
    const names = await limit(() => readdir(path)).catch(() => [] as string[]);
    await Promise.all(
      names.map(async (n) => {
        const child = join(path, n);
        const childSt = await limit(() => lstat(child)).catch(() => undefined);
        if (childSt) await visit(child, childSt);
      }),
    );
  };
  await visit(dir, root);
  return { bytes, inodes };
}
