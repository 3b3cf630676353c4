/**
 * Namespaced sysctls: which namespace each one belongs to, and their /proc/sys paths.
 * Anything not known to be namespaced (net, ipc, uts) is refused, as runc and the kubelet do.
 */
import { InvalidArgumentError, type NamespaceKind } from '@criod/core';

export interface SysctlSetting {
  /** Dotted form, for messages: net.ipv4.conf.eth0/1.forwarding keeps its slash-free dots. */
  key: string;
  /** Path under /proc/sys, e.g. net/ipv4/ip_forward. */
  path: string;
  value: string;
  /** The namespace the sysctl lives in. */
  kind: NamespaceKind;
}

const COMPONENT = /^[A-Za-z0-9_:@+-][A-Za-z0-9_.:@+-]*$/;
// Control characters other than tab would reach the kernel's parser verbatim.
// eslint-disable-next-line no-control-regex
const BAD_VALUE = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/**
 * The components of a sysctl name. As sysctl(8): with a '/', '/' separates and dots are
 * literal (net/ipv4/conf/eth0.100/forwarding); otherwise dots separate.
 */
export function sysctlComponents(key: string): string[] | undefined {
  const parts = key.includes('/') ? key.split('/') : key.split('.');
  if (parts.length < 2 || !parts.every((p) => COMPONENT.test(p) && p !== '.' && p !== '..')) return undefined;
  return parts;
}

/** The namespace a sysctl belongs to, or undefined when it is not namespaced. */
export function sysctlNamespace(components: readonly string[]): NamespaceKind | undefined {
  const [top, second] = components;
  if (top === 'net') return 'net';
  if (top === 'kernel' && components.length === 2 && second !== undefined) {
    if (second.startsWith('shm') || second.startsWith('msg') || second === 'sem' || second === 'sem_next_id') {
      return 'ipc';
    }
    if (second === 'domainname') return 'uts';
  }
  if (top === 'fs' && second === 'mqueue' && components.length === 3) return 'ipc';
  return undefined;
}

/**
 * Validate and classify the requested sysctls against the namespaces being created.
 * Throws InvalidArgumentError naming the first offending sysctl; creates nothing.
 */
export function planSysctls(sysctls: Record<string, string> | undefined, kinds: ReadonlySet<NamespaceKind>): SysctlSetting[] {
  const out: SysctlSetting[] = [];
  for (const [key, value] of Object.entries(sysctls ?? {})) {
    const parts = sysctlComponents(key);
    if (!parts) throw new InvalidArgumentError(`sysctl "${key}": not a valid sysctl name`);
    if (parts[0] === 'kernel' && parts[1] === 'hostname' && parts.length === 2) {
      throw new InvalidArgumentError(`sysctl "${key}" is not allowed: set the pod hostname instead`);
    }
    const kind = sysctlNamespace(parts);
    if (!kind) {
      throw new InvalidArgumentError(`sysctl "${key}" is not namespaced and cannot be set for a pod`);
    }
    if (!kinds.has(kind)) {
      throw new InvalidArgumentError(`sysctl "${key}" belongs to the ${kind} namespace, which the pod shares with the host`);
    }
    if (typeof value !== 'string' || BAD_VALUE.test(value)) {
      throw new InvalidArgumentError(`sysctl "${key}": value contains control characters`);
    }
    out.push({ key: key.includes('/') ? parts.join('.') : key, path: parts.join('/'), value, kind });
  }
  return out;
}
