/**
 * Mounting for every package: mount(2)/umount2(2) through the resident syscall helper, or one
 * mount(8)/umount(8) spawn where the helper cannot run. /proc/self/mountinfo answers "is it
 * mounted" without either.
 */
import { execFile } from 'node:child_process';
import { readMountinfo } from '../linux/mountinfo.js';
import { MNT_DETACH, SyscallError, syscallHelper } from '../linux/syscall-helper.js';

export interface MountRequest {
  source: string;
  target: string;
  fstype: string;
  /** Filesystem options (mount -o without the generic flags below). */
  data?: string;
  nosuid?: boolean;
  nodev?: boolean;
  noexec?: boolean;
  /** Directory the call runs in, so relative paths in `data` (overlay dirs) stay short. */
  cwd?: string;
}

const MS_NOSUID = 0x2;
const MS_NODEV = 0x4;
const MS_NOEXEC = 0x8;

function spawnTool(cmd: string, args: string[], cwd?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 10_000, cwd, env: { ...process.env, LC_ALL: 'C' } }, (err, _stdout, stderr) => {
      if (err) reject(new Error(stderr.trim() || err.message));
      else resolve();
    });
  });
}

/** Mount; the error says what the kernel (or mount(8)) said, callers add what it was for. */
export async function mountFilesystem(req: MountRequest): Promise<void> {
  const helper = await syscallHelper();
  if (helper) {
    const flags = (req.nosuid ? MS_NOSUID : 0) | (req.nodev ? MS_NODEV : 0) | (req.noexec ? MS_NOEXEC : 0);
    return helper.mount(req.source, req.target, req.fstype, flags, req.data ?? '', req.cwd ?? '');
  }
  const options = [req.nosuid && 'nosuid', req.nodev && 'nodev', req.noexec && 'noexec', req.data].filter(Boolean).join(',');
  return spawnTool('mount', ['-t', req.fstype, ...(options ? ['-o', options] : []), req.source, req.target], req.cwd);
}

/** Unmount one mount point; `lazy` detaches a busy one (MNT_DETACH, umount -l). */
export async function unmountFilesystem(target: string, options: { lazy?: boolean } = {}): Promise<void> {
  const helper = await syscallHelper();
  if (helper) return helper.unmount(target, options.lazy ? MNT_DETACH : 0);
  return spawnTool('umount', [...(options.lazy ? ['-l'] : []), target]);
}

/** Mount a size-limited tmpfs (a pod's /dev/shm). */
export async function mountTmpfs(target: string, sizeBytes: number): Promise<void> {
  try {
    await mountFilesystem({ source: 'shm', target, fstype: 'tmpfs', data: `mode=1777,size=${sizeBytes}`, nosuid: true, nodev: true, noexec: true });
  } catch (err) {
    throw new Error(`mounting a tmpfs on ${target}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Unmount `target` if it is a mount point; false when it was not one. The helper's umount2 says
 * so itself (EINVAL: not a mount point, ENOENT: no such path), which spares a read of
 * /proc/self/mountinfo (one call per page, and it grows with every mount on the node); without
 * the helper mountinfo is asked first, so as not to spawn umount(8) for nothing.
 */
export async function unmountMountPoint(target: string, options: { lazy?: boolean } = {}): Promise<boolean> {
  const helper = await syscallHelper();
  if (!helper) {
    if (!(await isMountPoint(target))) return false;
    await spawnTool('umount', [...(options.lazy ? ['-l'] : []), target]);
    return true;
  }
  try {
    await helper.unmount(target, options.lazy ? MNT_DETACH : 0);
    return true;
  } catch (err) {
    if (err instanceof SyscallError && (err.code === 'EINVAL' || err.code === 'ENOENT')) return false;
    throw err;
  }
}

/** Lazily unmount; a path that is not a mount point is not an error. */
export async function unmountIfMounted(target: string): Promise<void> {
  try {
    await unmountMountPoint(target, { lazy: true });
  } catch (err) {
    // Unmounted by someone else meanwhile: done all the same.
    if (await isMountPoint(target)) throw new Error(`unmounting ${target}: ${(err as Error).message}`, { cause: err });
  }
}

/** Whether a path is a mount point, from /proc/self/mountinfo. */
export async function isMountPoint(target: string): Promise<boolean> {
  return (await readMountinfo()).some((m) => m.mountPoint === target);
}
