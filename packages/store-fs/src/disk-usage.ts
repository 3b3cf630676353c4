import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Bytes (allocated blocks) and inodes used below a directory, hardlinks once, staying on the
 * directory's filesystem (mounted container rootfs are not counted again), without blocking.
 */
export async function diskUsage(dir: string): Promise<{ bytes: number; inodes: number }> {
  let bytes = 0;
  let inodes = 0;
  const seen = new Set<string>();
  let device: number | undefined;
  const walk = async (path: string): Promise<void> => {
    const st = await lstat(path).catch(() => undefined);
    if (!st) return;
    device ??= st.dev;
    if (st.dev !== device) return;
    const key = `${st.dev}:${st.ino}`;
    if (seen.has(key)) return;
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
