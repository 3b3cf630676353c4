import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { hostname as hostHostname } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import type { DnsConfig, PodSandboxConfig } from '../types.js';
import { mountTmpfs, unmountIfMounted } from '../util/mount.js';
import { parseQuantity } from '../util/quantity.js';

export const defaultShmSizeBytes = 64 * 1024 * 1024;
/** The annotation CRI-O reads for a pod's /dev/shm size (a Kubernetes quantity); criod honours it too. */
export const shmSizeAnnotation = 'io.kubernetes.cri-o.ShmSize';

export function shmSizeOf(config: PodSandboxConfig): number {
  const raw = config.annotations[shmSizeAnnotation];
  if (raw === undefined) return defaultShmSizeBytes;
  // A whole number of bytes: "100m" (0.1) is refused, not rounded up to one byte.
  const bytes = parseQuantity(raw) ?? NaN;
  if (!Number.isSafeInteger(bytes) || bytes <= 0)
    throw new InvalidArgumentError(`annotation ${shmSizeAnnotation}=${JSON.stringify(raw)} is not a positive size like 64Mi`);
  return bytes;
}

export interface PodFiles {
  dir: string;
  resolvConf: string;
  hosts: string;
  hostname: string;
  shm: string;
}

export function podFilePaths(runroot: string, podId: string, hostIpc: boolean): PodFiles {
  const dir = join(runroot, 'pods', podId);
  return {
    dir,
    resolvConf: join(dir, 'resolv.conf'),
    hosts: join(dir, 'hosts'),
    hostname: join(dir, 'hostname'),
    shm: hostIpc ? '/dev/shm' : join(dir, 'shm'),
  };
}

export function resolvConfText(dns: DnsConfig): string {
  const lines: string[] = [];
  if (dns.searches.length > 0) lines.push(`search ${dns.searches.join(' ')}`);
  for (const s of dns.servers) lines.push(`nameserver ${s}`);
  if (dns.options.length > 0) lines.push(`options ${dns.options.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

export function hostsText(hostname: string, ips: string[]): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
    ...ips.map((ip) => `${ip}\t${hostname}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** The hostname a pod's containers see: the requested one, else the node's for host-network pods. */
export function podHostname(config: PodSandboxConfig): string {
  return config.hostname || hostHostname();
}

/** Write resolv.conf, hostname and a hosts file without the pod IPs (rewritten in place once they are known). */
export async function writeBaseFiles(files: PodFiles, config: PodSandboxConfig): Promise<void> {
  await mkdir(files.dir, { recursive: true, mode: 0o711 });
  await writeFile(files.hostname, `${podHostname(config)}\n`, { mode: 0o644 });
  await writeFile(files.hosts, hostsText(podHostname(config), []), { mode: 0o644 });
  if (config.dnsConfig) await writeFile(files.resolvConf, resolvConfText(config.dnsConfig), { mode: 0o644 });
  else await copyFile('/etc/resolv.conf', files.resolvConf).catch(() => writeFile(files.resolvConf, '', { mode: 0o644 }));
}

/** The hosts file with the pod's IPs, written over the same inode: containers bind-mount it. */
export async function writeHostsFile(files: PodFiles, config: PodSandboxConfig, hostNetwork: boolean, ips: string[]): Promise<void> {
  if (hostNetwork) await copyFile('/etc/hosts', files.hosts).catch(() => writeFile(files.hosts, hostsText(podHostname(config), []), { mode: 0o644 }));
  else await writeFile(files.hosts, hostsText(podHostname(config), ips), { mode: 0o644 });
}

/** Mount the pod's private /dev/shm; host-IPC pods use the host's and get no mount. */
export async function mountShm(files: PodFiles, sizeBytes: number): Promise<void> {
  if (files.shm === '/dev/shm') return;
  await mkdir(files.shm, { recursive: true, mode: 0o1777 });
  await mountTmpfs(files.shm, sizeBytes);
}

/** Unmount the shm and delete the pod's files; idempotent. */
export async function removePodFiles(files: Pick<PodFiles, 'dir' | 'shm'>, options: { keepDir: boolean }): Promise<void> {
  if (files.shm !== '/dev/shm') await unmountIfMounted(files.shm);
  if (!options.keepDir) await rm(files.dir, { recursive: true, force: true });
}
