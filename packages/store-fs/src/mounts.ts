/** Overlay mounts of container rootfs, through core's mount helpers; /proc/self/mountinfo to check. */
import { readFile } from 'node:fs/promises';
import { FailedPreconditionError, InternalError, isMountPoint, mountFilesystem, unmountMountPoint } from '@criod/core';

/** The kernel takes mount options of at most one page. */
const maxMountData = 4095;

export { isMountPoint };

export async function overlaySupported(): Promise<boolean> {
  const fs = await readFile('/proc/filesystems', 'utf8').catch(() => '');
  return fs.split('\n').some((l) => l.trim().split(/\s+/).pop() === 'overlay');
}

/**
 * Mount an overlay. `lowers` (top first), `upper` and `work` are relative to `cwd`, where
 * mount runs, which keeps the options short; a path with a comma or colon cannot be written.
 */
export async function mountOverlay(cwd: string, lowers: string[], upper: string, work: string, target: string): Promise<void> {
  for (const p of [...lowers, upper, work]) {
    if (/[,:]/.test(p)) throw new InternalError(`overlay path ${JSON.stringify(p)} has a comma or colon`);
  }
  const data = `lowerdir=${lowers.join(':')},upperdir=${upper},workdir=${work}`;
  if (data.length > maxMountData)
    throw new FailedPreconditionError(`${lowers.length} layers do not fit in overlay's mount options (${data.length} bytes, at most ${maxMountData})`);
  try {
    await mountFilesystem({ source: 'overlay', target, fstype: 'overlay', data, cwd });
  } catch (err) {
    throw new InternalError(`mount overlay on ${target} failed: ${(err as Error).message}`, { cause: err });
  }
}

/** Unmount; not being mounted is fine, a busy mount is detached lazily. */
export async function unmount(target: string): Promise<void> {
  const failures: string[] = [];
  for (const lazy of [false, true]) {
    try {
      await unmountMountPoint(target, { lazy });
      return;
    } catch (err) {
      failures.push((err as Error).message);
    }
  }
  if (await isMountPoint(target)) throw new InternalError(`umount ${target} failed: ${failures.join(' / ')}`);
}
