import { readFile, readdir, readlink } from 'node:fs/promises';

/** True while the process exists and is not a zombie (a zombie is a process nobody reaped yet). */
export async function isRunning(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!stat) return false;
  // The state follows the parenthesised command name, which may itself hold spaces.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/** PIDs of `parent`'s children (any state) whose command line contains every given word. */
export async function childrenMatching(parent: number, ...words: string[]): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[1]) !== parent) continue;
    const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0').join(' ');
    if (words.every((w) => cmdline.includes(w))) found.push(Number(entry));
  }
  return found;
}

/** Number of sockets this process holds open. */
export async function openSocketCount(): Promise<number> {
  let sockets = 0;
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target.startsWith('socket:')) sockets++;
  }
  return sockets;
}
