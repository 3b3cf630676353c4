import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 10_000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve();
    });
  });
}

/** Mount a size-limited tmpfs (a pod's /dev/shm). Node cannot mount: one `mount` spawn. */
export function mountTmpfs(target: string, sizeBytes: number): Promise<void> {
  return run('mount', ['-t', 'tmpfs', '-o', `mode=1777,nosuid,nodev,noexec,size=${sizeBytes}`, 'shm', target]);
}

/** Lazily unmount; a path that is not a mount point is not an error. */
export async function unmountIfMounted(target: string): Promise<void> {
  if (!(await isMountPoint(target))) return;
  await run('umount', ['-l', target]);
}

/** Whether a path is a mount point, from /proc/self/mountinfo (octal escapes decoded). */
export async function isMountPoint(target: string): Promise<boolean> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  for (const line of info.split('\n')) {
    const mountPoint = line.split(' ')[4];
    if (mountPoint && mountPoint.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))) === target) return true;
  }
  return false;
}
