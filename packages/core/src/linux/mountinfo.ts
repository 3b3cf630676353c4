/** /proc/self/mountinfo, parsed (see proc(5)): one parser for every reader of the mount table. */
import { readFile } from 'node:fs/promises';

export interface MountEntry {
  id: number;
  parentId: number;
  /** "major:minor" of the filesystem. */
  device: string;
  /** Root of the mount within its filesystem; for nsfs, e.g. "net:[4026532177]". */
  root: string;
  mountPoint: string;
  options: string;
  /** Optional fields such as "shared:5" or "master:2". */
  optional: string[];
  fstype: string;
  source: string;
  superOptions: string;
}

/** Undo the kernel's octal escaping of space, tab, newline and backslash. */
export function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const fields = line.split(' ');
    const sep = fields.indexOf('-', 6);
    if (sep < 0 || fields.length < sep + 4) continue;
    out.push({
      id: Number(fields[0]),
      parentId: Number(fields[1]),
      device: fields[2] ?? '',
      root: unescapeMountField(fields[3] ?? ''),
      mountPoint: unescapeMountField(fields[4] ?? ''),
      options: fields[5] ?? '',
      optional: fields.slice(6, sep),
      fstype: fields[sep + 1] ?? '',
      source: unescapeMountField(fields[sep + 2] ?? ''),
      superOptions: fields[sep + 3] ?? '',
    });
  }
  return out;
}

export async function readMountinfo(file = '/proc/self/mountinfo'): Promise<MountEntry[]> {
  return parseMountinfo(await readFile(file, 'utf8'));
}

/** The topmost mount at a (canonical) mount point, or undefined when nothing is mounted there. */
export function topMountAt(mounts: readonly MountEntry[], mountPoint: string): MountEntry | undefined {
  const here = mounts.filter((m) => m.mountPoint === mountPoint);
  // Stacked mounts: the top one is no other's parent.
  return here.find((m) => !here.some((o) => o.parentId === m.id)) ?? here.at(-1);
}
