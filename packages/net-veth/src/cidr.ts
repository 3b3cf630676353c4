/**
 * IPv4 addresses as unsigned 32-bit numbers, and the subnet the bridge serves: what the
 * allocator hands out and what the config is checked against.
 */

const OCTETS = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The address as a number, or undefined when `text` is not a dotted-quad IPv4 address. */
export function parseIpv4(text: string): number | undefined {
  const m = OCTETS.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  if (octets.some((o, i) => o > 255 || (m[i + 1]!.length > 1 && m[i + 1]!.startsWith('0')))) return undefined;
  return octets.reduce((n, o) => n * 256 + o, 0);
}

export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.');
}

export interface Ipv4Subnet {
  /** The network address. */
  network: number;
  prefix: number;
  /** The broadcast address. */
  broadcast: number;
}

/** Parse "a.b.c.d/n"; throws naming what is wrong. Host bits must be zero, and n at most 30 (two hosts). */
export function parseSubnet(cidr: string): Ipv4Subnet {
  const [addr = '', len = '', ...rest] = cidr.split('/');
  const network = parseIpv4(addr);
  const prefix = /^\d{1,2}$/.test(len) ? Number(len) : NaN;
  if (network === undefined || rest.length > 0 || !(prefix >= 0 && prefix <= 32)) {
    throw new Error(`"${cidr}" is not an IPv4 CIDR like 10.89.0.0/16`);
  }
  if (prefix > 30) throw new Error(`subnet ${cidr} is too small: a prefix of at most /30 leaves room for a gateway and a pod`);
  const size = 2 ** (32 - prefix);
  if (network % size !== 0) {
    const base = network - (network % size);
    throw new Error(`subnet ${cidr} has host bits set; did you mean ${formatIpv4(base)}/${prefix}?`);
  }
  return { network, prefix, broadcast: network + size - 1 };
}

/** Whether `ip` is a host address of the subnet (neither its network nor its broadcast address). */
export function isHostOf(subnet: Ipv4Subnet, ip: number): boolean {
  return ip > subnet.network && ip < subnet.broadcast;
}
