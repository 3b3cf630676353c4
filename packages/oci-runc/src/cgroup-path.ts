import type { CgroupDriver } from '@criod/core';

/**
 * runc's `linux.cgroupsPath` of a container under the pod's cgroup parent: "slice:prefix:name"
 * with the systemd driver (runc makes the scope criod-<id>.scope in the slice), a path relative
 * to the cgroup root with cgroupfs. An empty parent means criod's own default place.
 */
export function cgroupsPath(driver: CgroupDriver, parent: string, id: string): string {
  if (driver === 'systemd') return `${parent || 'system.slice'}:criod:${id}`;
  return `${parent || '/criod'}/criod-${id}`;
}
