/** Overlay mounts of container rootfs: mount(8)/umount(8) through execa, /proc/self/mountinfo to check. */
import { readFile } from 'node:fs/promises';
import { FailedPreconditionError, InternalError } from '@criod/core';
import { execa } from 'execa';

/** The kernel takes mount options of at most one page. */
const maxMountData = 4095;

function unescapeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export async function isMountPoint(path: string): Promise<boolean> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info.split('\n').some((line) => {
    const field = line.split(' ')[4];
    return field !== undefined && unescapeMountPath(field) === path;
  });
}

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
  if (data.length > maxMountData) throw new FailedPreconditionError(`${lowers.length} layers do not fit in overlay's mount options (${data.length} bytes, at most ${maxMountData})`);
  const r = await execa('mount', ['-t', 'overlay', 'overlay', '-o', data, target], { cwd, reject: false });
  if (r.exitCode !== 0) throw new InternalError(`mount overlay on ${target} failed: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
}

/** Unmount; not being mounted is fine, a busy mount is detached lazily. */
export async function unmount(target: string): Promise<void> {
  if (!(await isMountPoint(target))) return;
  const r = await execa('umount', [target], { reject: false });
  if (r.exitCode === 0) return;
  const lazy = await execa('umount', ['-l', target], { reject: false });
  if (lazy.exitCode !== 0 && (await isMountPoint(target))) throw new InternalError(`umount ${target} failed: ${r.stderr.trim()} / ${lazy.stderr.trim()}`);
}
