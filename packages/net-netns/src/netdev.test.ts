import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { netDevThroughProcess, parseNetDev } from './netdev.js';

const sample = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     672       8    0    0    0     0          0         0      672       8    0    0    0     0       0          0
  eth0: 18446744073709551615      52    3    0    0     0          0         0     4242      31    2    0    0     0       0          0
net1@if9:  10 1 0 0 0 0 0 0 20 2 0 0 0 0 0 0
`;

describe('parseNetDev', () => {
  it('reads bytes and errors of every interface but lo, 64-bit counters included', () => {
    expect(parseNetDev(sample)).toEqual([
      { name: 'eth0', rxBytes: 18446744073709551615n, rxErrors: 3n, txBytes: 4242n, txErrors: 2n },
      { name: 'net1@if9', rxBytes: 10n, rxErrors: 0n, txBytes: 20n, txErrors: 0n },
    ]);
  });

  it('skips the headers and anything malformed', () => {
    expect(parseNetDev('')).toEqual([]);
    expect(parseNetDev('a\nb\n eth0: 1 2 3\n')).toEqual([]);
  });
});

describe('netDevThroughProcess', () => {
  it('reads /proc/<pid>/net/dev of the first pid that lives in the namespace', async () => {
    // Above pid_max: never a process.
    const text = await netDevThroughProcess(`/proc/${process.pid}/ns/net`, [2 ** 22 + 1, process.pid]);
    const names = (t: string) =>
      t
        .split('\n')
        .slice(2)
        .map((line) => line.split(':')[0]!.trim());
    expect(names(text!)).toEqual(names(await readFile(`/proc/${process.pid}/net/dev`, 'utf8')));
  });

  it('refuses a pid in another namespace, and one that does not exist', async () => {
    // Our mount namespace is not a network namespace: no pid lives "in" it as a netns.
    expect(await netDevThroughProcess(`/proc/${process.pid}/ns/mnt`, [process.pid])).toBeUndefined();
    expect(await netDevThroughProcess(`/proc/${process.pid}/ns/net`, [2 ** 22 + 1])).toBeUndefined();
  });
});
