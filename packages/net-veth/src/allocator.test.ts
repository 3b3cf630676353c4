import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IpAllocator, type AddressPool } from './allocator.js';
import { parseIpv4, parseSubnet } from './cidr.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'net-veth-alloc-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The hosts of `cidr` minus its first address, the gateway. */
function pool(cidr: string): AddressPool {
  const s = parseSubnet(cidr);
  return { first: s.network + 1, last: s.broadcast - 1, exclude: new Set([s.network + 1]) };
}

const ipFiles = async () => (await readdir(dir)).filter((f) => parseIpv4(f) !== undefined).sort();

describe('the IP allocator', () => {
  it('gives a pod one address of the pool, the same one when asked again, recorded in a file naming the pod', async () => {
    const a = await IpAllocator.open(dir, pool('10.250.1.0/29'));
    const ip = await a.allocate('pod-a');
    expect(ip).toBe('10.250.1.2');
    expect(await a.allocate('pod-a')).toBe(ip);
    expect(await ipFiles()).toEqual([ip]);
    expect((await readFile(join(dir, ip), 'utf8')).trim()).toBe('pod-a');
  });

  it('hands out distinct addresses to pods allocating in parallel, even from two allocators on one dir', async () => {
    const p = pool('10.250.2.0/26'); // 61 addresses for pods
    const [a, b] = await Promise.all([IpAllocator.open(dir, p), IpAllocator.open(dir, p)]);
    const pods = Array.from({ length: 60 }, (_, i) => `pod-${i}`);
    const ips = await Promise.all(pods.map((id, i) => (i % 2 === 0 ? a : b).allocate(id)));
    expect(new Set(ips).size).toBe(60);
    expect(ips).not.toContain('10.250.2.1');
    expect(await ipFiles()).toHaveLength(60);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('releases a pod once and takes a second release, or one of a pod without an address, as done', async () => {
    const a = await IpAllocator.open(dir, pool('10.250.3.0/29'));
    const ip = await a.allocate('pod-a');
    await a.release('pod-a');
    await a.release('pod-a');
    await a.release('never-allocated');
    expect(a.lookup('pod-a')).toBeUndefined();
    expect(await ipFiles()).toEqual([]);
    // Round robin: the freed address is not the next one handed out.
    expect(await a.allocate('pod-b')).not.toBe(ip);
  });

  it('fails clearly when the pool is exhausted, and allocates again once an address is free', async () => {
    const a = await IpAllocator.open(dir, pool('10.250.4.0/29')); // .2 – .6: five addresses
    for (let i = 0; i < 5; i++) await a.allocate(`pod-${i}`);
    await expect(a.allocate('pod-5')).rejects.toMatchObject({
      code: 'FailedPrecondition',
      message: expect.stringContaining('no free pod IP left for pod pod-5: all 5 addresses 10.250.4.1-10.250.4.6 are allocated'),
    });
    expect(await ipFiles()).toHaveLength(5);
    const freed = a.lookup('pod-3')!;
    await a.release('pod-3');
    expect(await a.allocate('pod-5')).toBe(freed);
  });

  it('finds its allocations again after a restart, and cleans what a crash left', async () => {
    const first = await IpAllocator.open(dir, pool('10.250.5.0/28'));
    const ipA = await first.allocate('pod-a');
    const ipB = await first.allocate('pod-b');
    await writeFile(join(dir, '.0a0b0c0d0e0f0a0b.tmp'), 'pod-c\n'); // a crash before link()
    await writeFile(join(dir, '10.250.5.9'), ''); // a file no pod owns
    await writeFile(join(dir, '10.99.0.7'), 'pod-old\n'); // a pod of an earlier subnet

    const second = await IpAllocator.open(dir, pool('10.250.5.0/28'));
    expect(Object.fromEntries(second.allocations())).toEqual({ 'pod-a': ipA, 'pod-b': ipB, 'pod-old': '10.99.0.7' });
    expect((await readdir(dir)).sort()).toEqual(['10.250.5.2', '10.250.5.3', '10.99.0.7']);
    const ipC = await second.allocate('pod-c');
    expect([ipA, ipB]).not.toContain(ipC);
    await second.release('pod-old');
    expect(await ipFiles()).toEqual([ipA, ipB, ipC].sort());
  });
});
