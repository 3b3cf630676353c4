import { lstat, readdir, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { InvalidArgumentError } from '../../errors.js';
import type { OciDeviceCgroup, OciLinuxDevice } from '../../oci/spec.js';
import type { ContainerDevice } from '../../types.js';

/** A host device node as the container gets it: a char or block device with all its fields. */
type DeviceNode = Required<OciLinuxDevice> & { type: 'c' | 'b' };

/** The cgroup device rules of an unprivileged container: deny all, then the usual safe nodes. */
export const defaultDeviceRules: OciDeviceCgroup[] = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, // null
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }, // zero
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' }, // full
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' }, // random
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' }, // urandom
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' }, // tty
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' }, // ptmx
  { allow: true, type: 'c', major: 136, access: 'rwm' }, // pts
];

async function deviceNode(hostPath: string, containerPath: string): Promise<DeviceNode | undefined> {
  const st = await stat(hostPath).catch(() => undefined);
  if (!st || !(st.isCharacterDevice() || st.isBlockDevice())) return undefined;
  // rdev packs major and minor the glibc way.
  const major = Number((BigInt(st.rdev) >> 8n) & 0xfffn);
  const minor = Number((BigInt(st.rdev) & 0xffn) | ((BigInt(st.rdev) >> 12n) & 0xfff00n));
  return { path: containerPath, type: st.isCharacterDevice() ? 'c' : 'b', major, minor, fileMode: st.mode & 0o777, uid: st.uid, gid: st.gid };
}

/** The CRI devices as OCI device nodes plus their cgroup rules. */
export async function criDevices(devices: ContainerDevice[]): Promise<{ nodes: OciLinuxDevice[]; rules: OciDeviceCgroup[] }> {
  const nodes: OciLinuxDevice[] = [];
  const rules: OciDeviceCgroup[] = [];
  for (const d of devices) {
    if (!isAbsolute(d.hostPath) || !isAbsolute(d.containerPath))
      throw new InvalidArgumentError(`device paths must be absolute: ${d.hostPath} → ${d.containerPath}`);
    const access = d.permissions || 'rwm';
    if (!/^[rwm]{1,3}$/.test(access))
      throw new InvalidArgumentError(`device ${d.hostPath}: permissions ${JSON.stringify(d.permissions)} must be made of r, w and m`);
    const node = await deviceNode(d.hostPath, d.containerPath);
    if (!node) throw new InvalidArgumentError(`device ${d.hostPath} does not exist or is not a device node`);
    nodes.push(node);
    rules.push({ allow: true, type: node.type, major: node.major, minor: node.minor, access });
  }
  return { nodes, rules };
}

/** Every device node of the host's /dev (a privileged container sees them all). */
export async function hostDevices(): Promise<OciLinuxDevice[]> {
  const out: OciLinuxDevice[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const p = join(dir, name);
      // Namespaced or mounted per container: never copied from the host.
      if (['/dev/pts', '/dev/shm', '/dev/mqueue', '/dev/console', '/dev/ptmx', '/dev/fd'].includes(p)) continue;
      const st = await lstat(p).catch(() => undefined);
      if (!st || st.isSymbolicLink()) continue;
      if (st.isDirectory()) await walk(p);
      else {
        const node = await deviceNode(p, p);
        if (node) out.push(node);
      }
    }
  };
  await walk('/dev');
  return out;
}
