/**
 * Reading pod IPs out of a CNI result. 0.3.x, 0.4.0 and 1.0.0 results carry `ips[].address`
 * (CIDR) with an optional index into `interfaces`; 0.1/0.2 results carry `ip4.ip` / `ip6.ip`.
 */
import { isIPv4, isIPv6 } from 'node:net';

function stripPrefix(cidr: string): string {
  const slash = cidr.indexOf('/');
  return slash === -1 ? cidr : cidr.slice(0, slash);
}

/** Pod IPs of a result, IPv4 first, without duplicates. */
export function resultIps(result: unknown, ifName = 'eth0'): string[] {
  if (typeof result !== 'object' || result === null) return [];
  const r = result as {
    ips?: unknown;
    interfaces?: unknown;
    ip4?: { ip?: unknown };
    ip6?: { ip?: unknown };
  };
  const found: string[] = [];
  if (Array.isArray(r.ips)) {
    const interfaces = Array.isArray(r.interfaces) ? (r.interfaces as { name?: unknown; sandbox?: unknown }[]) : [];
    const all: string[] = [];
    const onPodIf: string[] = [];
    for (const entry of r.ips as { address?: unknown; interface?: unknown }[]) {
      if (typeof entry?.address !== 'string') continue;
      const ip = stripPrefix(entry.address);
      all.push(ip);
      if (typeof entry.interface === 'number') {
        const iface = interfaces[entry.interface];
        if (iface && iface.name === ifName && typeof iface.sandbox === 'string' && iface.sandbox !== '') onPodIf.push(ip);
      }
    }
    // Prefer the addresses of the pod's own interface; results without interface links count whole.
    found.push(...(onPodIf.length > 0 ? onPodIf : all));
  } else {
    if (typeof r.ip4?.ip === 'string') found.push(stripPrefix(r.ip4.ip));
    if (typeof r.ip6?.ip === 'string') found.push(stripPrefix(r.ip6.ip));
  }
  const valid = [...new Set(found)].filter((ip) => isIPv4(ip) || isIPv6(ip));
  return [...valid.filter((ip) => isIPv4(ip)), ...valid.filter((ip) => !isIPv4(ip))];
}

/** a >= b for "x.y.z" versions. */
export function versionAtLeast(a: string, b: string): boolean {
  const pa = a.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < 3; i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}
