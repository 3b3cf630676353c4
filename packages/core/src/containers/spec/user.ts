import { InvalidArgumentError } from '../../errors.js';
import { readRegularFile, resolveInRoot } from '../../util/confined-files.js';

export interface ProcessUser {
  uid: number;
  gid: number;
  additionalGids: number[];
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

/** Far above any real /etc/passwd or /etc/group. */
const TABLE_MAX_BYTES = 4 * 1024 * 1024;

async function readTable(rootfs: string, file: string): Promise<string[][]> {
  // Resolved inside the rootfs, symlinks included: an image's /etc/passwd, never the host's.
  // A table that is missing, not a regular file or huge counts as empty.
  const content = await resolveInRoot(rootfs, `/etc/${file}`)
    .then((path) => readRegularFile(path, TABLE_MAX_BYTES))
    .catch(() => Buffer.alloc(0));
  const text = content.toString('utf8');
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

async function passwd(rootfs: string): Promise<PasswdEntry[]> {
  return (await readTable(rootfs, 'passwd')).filter((f) => f.length >= 4).map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]) }));
}

const numeric = /^\d+$/;

export interface UserRequest {
  runAsUser?: number;
  runAsGroup?: number;
  runAsUsername: string;
  supplementalGroups: number[];
  /** The image config's USER: "uid", "uid:gid", "name" or "name:group". */
  imageUser: string;
}

/**
 * A group alone names no user to run as: the CRI allows uid, uid+gid, username, username+gid.
 * containerd refuses it for pods and containers, CRI-O for containers; so does criod.
 */
export function requireUserForGroup(subject: string, sc: { runAsUser?: number; runAsGroup?: number; runAsUsername?: string }): void {
  if (sc.runAsGroup === undefined || sc.runAsUser !== undefined || sc.runAsUsername) return;
  const users = sc.runAsUsername === undefined ? 'run_as_user' : 'run_as_user or run_as_username';
  throw new InvalidArgumentError(`${subject}: run_as_group ${sc.runAsGroup} is set without ${users}`);
}

/**
 * The user a container runs as, by Kubernetes rules: run_as_user, else run_as_username, else the
 * image's USER; names resolved in the image's /etc/passwd and /etc/group; groups listing the
 * user in /etc/group are added to the supplemental groups.
 */
export async function resolveUser(rootfs: string, req: UserRequest): Promise<ProcessUser> {
  const [users, groups] = await Promise.all([passwd(rootfs), readTable(rootfs, 'group')]);
  let uid: number;
  let gid: number | undefined;
  let name: string | undefined;
  const [imageUserPart = '', imageGroupPart = ''] = req.imageUser.split(':');
  if (req.runAsUser !== undefined) {
    uid = req.runAsUser;
  } else {
    const wanted = req.runAsUsername || imageUserPart;
    if (wanted === '') uid = 0;
    else if (numeric.test(wanted)) uid = Number(wanted);
    else {
      const entry = users.find((u) => u.name === wanted);
      if (!entry) throw new InvalidArgumentError(`user ${JSON.stringify(wanted)} is not in the image's /etc/passwd`);
      uid = entry.uid;
      gid = entry.gid;
      name = entry.name;
    }
  }
  const entry = users.find((u) => u.uid === uid);
  name ??= entry?.name;
  if (req.runAsGroup !== undefined) gid = req.runAsGroup;
  else if (req.runAsUser === undefined && !req.runAsUsername && imageGroupPart) {
    if (numeric.test(imageGroupPart)) gid = Number(imageGroupPart);
    else {
      const g = groups.find((f) => f[0] === imageGroupPart);
      if (!g) throw new InvalidArgumentError(`group ${JSON.stringify(imageGroupPart)} is not in the image's /etc/group`);
      gid = Number(g[2]);
    }
  }
  gid ??= entry?.gid ?? 0;
  const memberOf = name ? groups.filter((f) => (f[3] ?? '').split(',').includes(name)).map((f) => Number(f[2])) : [];
  // The primary group leads the list, as containerd does, so `id` shows it among the groups.
  const additionalGids = [...new Set([gid, ...memberOf, ...req.supplementalGroups])];
  return { uid, gid, additionalGids };
}
