import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseMountinfo } from '@criod/core';

/** One cgroup hierarchy mounted on the host. */
export interface CgroupMount {
  mountPoint: string;
  version: 1 | 2;
  /** v1 controllers of the hierarchy (e.g. ["cpu", "cpuacct"], ["name=systemd"]); empty for v2. */
  controllers: string[];
}

/**
 * Where a container's cgroup lives, per hierarchy: the /proc/<pid>/cgroup lines of its init,
 * keyed by the controller list ("memory", "cpu,cpuacct", and "" for the unified hierarchy).
 */
export type ProcCgroups = Record<string, string>;

export function parseProcCgroups(text: string): ProcCgroups {
  const result: ProcCgroups = {};
  for (const line of text.split('\n')) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line.trim());
    if (match) result[match[1] ?? ''] = match[2] ?? '/';
  }
  return result;
}

export async function readProcCgroups(pid: number): Promise<ProcCgroups> {
  return parseProcCgroups(await readFile(`/proc/${pid}/cgroup`, 'utf8'));
}

/** cgroup mounts from a mountinfo text. */
export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const { mountPoint, fstype, superOptions } of parseMountinfo(mountinfo)) {
    if (fstype === 'cgroup2') mounts.push({ mountPoint, version: 2, controllers: [] });
    if (fstype === 'cgroup') {
      // The super options name the hierarchy's controllers among mount flags; lookups only test membership.
      mounts.push({ mountPoint, version: 1, controllers: superOptions.split(',') });
    }
  }
  return mounts;
}

let hostMounts: Promise<CgroupMount[]> | undefined;

/** The host's cgroup mounts; they do not change while criod runs, so they are read once. */
export function cgroupMounts(): Promise<CgroupMount[]> {
  hostMounts ??= readFile('/proc/self/mountinfo', 'utf8').then(parseCgroupMounts);
  return hostMounts;
}

/** The directory of the container's cgroup in the v1 hierarchy that has `controller`. */
export function v1ControllerDir(mounts: CgroupMount[], cgroups: ProcCgroups, controller: string): string | undefined {
  const mount = mounts.find((m) => m.version === 1 && m.controllers.includes(controller));
  const key = Object.keys(cgroups).find((k) => k.split(',').includes(controller));
  if (!mount || key === undefined) return undefined;
  return join(mount.mountPoint, cgroups[key] ?? '/');
}

/** The directory of the container's cgroup in the unified hierarchy, when /sys/fs/cgroup is cgroup2. */
export function unifiedDir(mounts: CgroupMount[], cgroups: ProcCgroups): string | undefined {
  const mount = mounts.find((m) => m.version === 2 && m.mountPoint === '/sys/fs/cgroup');
  const path = cgroups[''];
  return mount && path !== undefined ? join(mount.mountPoint, path) : undefined;
}

/** "key value" lines (memory.stat, cpu.stat, memory.events, memory.oom_control) as numbers. */
export function parseFlatKeyed(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^\d+$/.test(value)) values.set(key, Number(value));
  }
  return values;
}

/** The container's memory cgroup dir and the hierarchy version it is in. */
export async function memoryCgroup(cgroups: ProcCgroups): Promise<{ dir: string; version: 1 | 2 } | undefined> {
  const mounts = await cgroupMounts();
  const v1 = v1ControllerDir(mounts, cgroups, 'memory');
  if (v1) return { dir: v1, version: 1 };
  const v2 = unifiedDir(mounts, cgroups);
  return v2 ? { dir: v2, version: 2 } : undefined;
}

/** Whether the kernel accounts swap for the container's memory cgroup (memsw / swap.max exist). */
export async function swapAccounted(cgroups: ProcCgroups): Promise<boolean> {
  const memory = await memoryCgroup(cgroups);
  if (!memory) return false;
  try {
    await access(join(memory.dir, memory.version === 1 ? 'memory.memsw.limit_in_bytes' : 'memory.swap.max'));
    return true;
  } catch {
    return false;
  }
}
