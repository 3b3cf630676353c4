import { readFile, stat } from 'node:fs/promises';
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
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/);
    if (name === 'lo' || f.length < 16 || !f.every((v) => /^\d+$/.test(v))) continue;
    out.push({ name, rxBytes: BigInt(f[0]!), rxErrors: BigInt(f[2]!), txBytes: BigInt(f[8]!), txErrors: BigInt(f[10]!) });
  }
  return out;
}

/** Whether a stat of the pin and of /proc/<pid>/ns/net name the same namespace (what `ip netns identify` compares). */
async function inNamespace(pin: { dev: number; ino: number }, pid: number): Promise<boolean> {
  const ns = await stat(`/proc/${pid}/ns/net`);
  return ns.dev === pin.dev && ns.ino === pin.ino;
}

/**
 * The /proc/net/dev table of the network namespace pinned at `nsPath`, read as /proc/<pid>/net/dev
 * of the first of `pids` that lives in it: no spawn. Undefined when none does (exited, another
 * namespace). The namespace is checked again after the read, so a pid reused meanwhile by a
 * process elsewhere is not taken for the pod's.
 */
export async function netDevThroughProcess(nsPath: string, pids: number[]): Promise<string | undefined> {
  const pin = await stat(nsPath);
  for (const pid of pids) {
    try {
      if (!(await inNamespace(pin, pid))) continue;
      const text = await readFile(`/proc/${pid}/net/dev`, 'utf8');
      if (await inNamespace(pin, pid)) return text;
    } catch {
      // The process ended while we looked: try the next one.
    }
  }
  return undefined;
}
