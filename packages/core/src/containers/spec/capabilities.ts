import { readFile } from 'node:fs/promises';
import { FailedPreconditionError, InvalidArgumentError } from '../../errors.js';
import type { OciLinuxCapabilities } from '../../oci/spec.js';

/** Linux capability names by bit number (linux/capability.h). */
export const capabilityNames = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
] as const;

/** The capabilities a container gets by default, as CRI-O grants them. */
export const defaultCapabilities = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_KILL',
];

/** The hex mask of a set of capability names, as /proc/<pid>/status shows CapEff. */
export function capabilityMask(names: string[]): string {
  let mask = 0n;
  for (const n of names) mask |= 1n << BigInt((capabilityNames as readonly string[]).indexOf(n));
  return mask.toString(16).padStart(16, '0');
}

/** Capability names in a hex mask such as /proc/self/status CapBnd. */
export function capabilitiesInMask(hex: string): string[] {
  const mask = BigInt(`0x${hex}`);
  return capabilityNames.filter((_n, bit) => (mask >> BigInt(bit)) & 1n);
}

let boundingSet: Promise<string[]> | undefined;

/**
 * criod's own bounding set: "all capabilities" can only mean what the daemon may hand on (a
 * host without CAP_SYS_RESOURCE cannot give it to a container).
 */
export function daemonBoundingSet(): Promise<string[]> {
  boundingSet ??= readFile('/proc/self/status', 'utf8').then((status) => {
    const hex = /^CapBnd:\s*([0-9a-f]+)/m.exec(status)?.[1];
    return hex ? capabilitiesInMask(hex) : [...capabilityNames];
  });
  return boundingSet;
}

function normalize(name: string): string {
  const upper = name.trim().toUpperCase();
  const full = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (full !== 'CAP_ALL' && !(capabilityNames as readonly string[]).includes(full)) {
    throw new InvalidArgumentError(`unknown capability ${JSON.stringify(name)}`);
  }
  return full;
}

export interface CapabilityRequest {
  add: string[];
  drop: string[];
  addAmbient: string[];
  privileged: boolean;
}

/**
 * The OCI process capabilities of a container: the default set, then adds and drops ("ALL"
 * allowed in both, with or without CAP_, any case), limited to the daemon's bounding set.
 * Privileged containers get the whole bounding set.
 */
export function resolveCapabilities(req: CapabilityRequest, bounding: string[]): Required<OciLinuxCapabilities> {
  const add = req.add.map(normalize);
  const drop = req.drop.map(normalize);
  let caps: string[];
  if (req.privileged) caps = [...bounding];
  else {
    // CRI-O's order: ALL first, then single adds, then single drops (a drop beats an add).
    let set = new Set(defaultCapabilities);
    if (add.includes('CAP_ALL')) set = new Set(bounding);
    if (drop.includes('CAP_ALL')) set = new Set();
    for (const c of add) {
      if (c === 'CAP_ALL') continue;
      if (!bounding.includes(c))
        throw new FailedPreconditionError(`capability ${c} is not in criod's bounding set: a container cannot get a capability the daemon itself lacks`);
      set.add(c);
    }
    for (const c of drop) set.delete(c);
    caps = [...set].filter((c) => bounding.includes(c));
  }
  const ambient = req.addAmbient.map(normalize).filter((c) => c !== 'CAP_ALL');
  for (const c of ambient) {
    if (!bounding.includes(c)) throw new FailedPreconditionError(`ambient capability ${c} is not in criod's bounding set`);
    // An ambient capability is also held in every other set, or the kernel drops it at exec.
    if (!caps.includes(c)) caps.push(c);
  }
  return { bounding: caps, effective: caps, permitted: caps, inheritable: ambient, ambient };
}
