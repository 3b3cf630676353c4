import { stat } from 'node:fs/promises';
import { isAbsolute, normalize } from 'node:path';
import { InvalidArgumentError } from '../../errors.js';
import type { OciMount, OciRootfsPropagation } from '../../oci/spec.js';
import type { ContainerMount, PodRecord } from '../../types.js';

/** The kernel filesystems every container gets (the usual defaults of OCI runtimes and CRI-O). */
export function standardMounts(privileged: boolean): OciMount[] {
  const sysOptions = privileged ? ['nosuid', 'noexec', 'nodev', 'rw'] : ['nosuid', 'noexec', 'nodev', 'ro'];
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: sysOptions },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', privileged ? 'rw' : 'ro'] },
  ];
}

function bind(destination: string, source: string, readonly: boolean, propagation = 'rprivate'): OciMount {
  return { destination, type: 'bind', source, options: ['rbind', propagation, readonly ? 'ro' : 'rw', 'nosuid', 'nodev'] };
}

/** /etc/hosts, /etc/resolv.conf, /etc/hostname and /dev/shm from the pod, unless the request mounts them itself. */
export function podMounts(pod: PodRecord, requested: ContainerMount[], readonlyRootfs: boolean): OciMount[] {
  const taken = new Set(requested.map((m) => normalize(m.containerPath)));
  const out: OciMount[] = [];
  const add = (dest: string, m: OciMount) => {
    if (!taken.has(dest)) out.push(m);
  };
  add('/etc/hosts', bind('/etc/hosts', pod.files.hosts, readonlyRootfs));
  add('/etc/resolv.conf', bind('/etc/resolv.conf', pod.files.resolvConf, readonlyRootfs));
  add('/etc/hostname', bind('/etc/hostname', pod.files.hostname, readonlyRootfs));
  add('/dev/shm', bind('/dev/shm', pod.files.shm, false));
  return out;
}

const propagationOption: Record<ContainerMount['propagation'], string> = { private: 'rprivate', rslave: 'rslave', rshared: 'rshared' };

/**
 * The CRI mounts as bind mounts. A missing host path is an error naming it (kubelet creates the
 * dirs it means to mount); rslave/rshared need the host side to be a shared or slave mount,
 * which the runtime checks and reports.
 */
export async function criMounts(mounts: ContainerMount[]): Promise<OciMount[]> {
  const out: OciMount[] = [];
  for (const m of mounts) {
    if (!isAbsolute(m.containerPath)) throw new InvalidArgumentError(`mount container_path ${JSON.stringify(m.containerPath)} must be absolute`);
    if (!isAbsolute(m.hostPath)) throw new InvalidArgumentError(`mount host_path ${JSON.stringify(m.hostPath)} must be absolute`);
    try {
      await stat(m.hostPath);
    } catch {
      throw new InvalidArgumentError(`mount host_path ${m.hostPath} (for ${m.containerPath}) does not exist`);
    }
    out.push(bind(normalize(m.containerPath), m.hostPath, m.readonly, propagationOption[m.propagation]));
  }
  return out;
}

/** The rootfs propagation a container needs for its rshared / rslave mounts to work. */
export function rootfsPropagation(mounts: ContainerMount[]): OciRootfsPropagation | undefined {
  if (mounts.some((m) => m.propagation === 'rshared')) return 'rshared';
  if (mounts.some((m) => m.propagation === 'rslave')) return 'rslave';
  return undefined;
}
