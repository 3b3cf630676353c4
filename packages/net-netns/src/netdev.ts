import type { InterfaceStats } from '@criod/core';

/**
 * The interfaces of a /proc/net/dev table, loopback left out. After the two header lines each
 * line is `name: rx bytes packets errs drop fifo frame compressed multicast tx bytes packets errs …`.
 */
export function parseNetDev(text: string): InterfaceStats[] {
  const out: InterfaceStats[] = [];
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const f = line.slice(colon + 1).trim().split(/\s+/);
    if (name === 'lo' || f.length < 16 || !f.every((v) => /^\d+$/.test(v))) continue;
    out.push({ name, rxBytes: BigInt(f[0]!), rxErrors: BigInt(f[2]!), txBytes: BigInt(f[8]!), txErrors: BigInt(f[10]!) });
  }
  return out;
}
