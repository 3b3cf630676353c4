/**
 * Pod IP allocation kept on disk: one file per allocated address, named by the address and
 * holding the pod id (as CNI's host-local does). A reservation is made by link()ing a complete
 * temp file to the address's name, which fails when the name exists, so two allocators — or a
 * crash at any instant — never leave an address to two pods or a half-written file. Nothing is
 * fsynced: an allocation matters only while its pod's network namespace lives, which a power
 * loss ends, and the plugin frees allocations whose pod has no veth left when it starts.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FailedPreconditionError, KeyedMutex } from '@criod/core';
import { formatIpv4, parseIpv4 } from './cidr.js';

/** The addresses handed out: first..last, minus the excluded ones (the gateway). */
export interface AddressPool {
  first: number;
  last: number;
  exclude: ReadonlySet<number>;
}

const TMP_SUFFIX = '.tmp';

export class IpAllocator {
  /** Pod id → its address, mirroring the files of the dir. */
  private readonly byPod = new Map<string, string>();
  /** Addresses held by a file or by an allocation under way. */
  private readonly taken = new Set<number>();
  private readonly perPod = new KeyedMutex();
  /** The last address handed out: the next search starts after it, so a freed address is not reused at once. */
  private cursor: number;

  private constructor(
    readonly dir: string,
    private readonly pool: AddressPool,
  ) {
    this.cursor = pool.last;
  }

  /**
   * Load the allocations of `dir` (made if absent). Temp files a crash left are removed; files of
   * addresses outside the pool (an earlier subnet) are kept, so their pods can still release them.
   */
  static async open(dir: string, pool: AddressPool): Promise<IpAllocator> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const allocator = new IpAllocator(dir, pool);
    for (const name of await readdir(dir)) {
      if (name.endsWith(TMP_SUFFIX)) {
        await rm(join(dir, name), { force: true });
        continue;
      }
      const ip = parseIpv4(name);
      if (ip === undefined) continue;
      const podId = (await readFile(join(dir, name), 'utf8')).trim();
      if (podId === '') {
        await rm(join(dir, name), { force: true });
        continue;
      }
      allocator.byPod.set(podId, name);
      allocator.taken.add(ip);
    }
    return allocator;
  }

  /** The address allocated to a pod, if any. */
  lookup(podId: string): string | undefined {
    return this.byPod.get(podId);
  }

  /** Every allocation, pod id → address. */
  allocations(): ReadonlyMap<string, string> {
    return this.byPod;
  }

  /** The pod's address: the one it already holds, or a free one reserved for it. */
  allocate(podId: string): Promise<string> {
    return this.perPod.run(podId, async () => {
      const held = this.byPod.get(podId);
      if (held !== undefined) return held;
      const tmp = join(this.dir, `.${randomBytes(8).toString('hex')}${TMP_SUFFIX}`);
      await writeFile(tmp, `${podId}\n`, { flag: 'wx', mode: 0o600 });
      try {
        for (const ip of this.candidates()) {
          this.taken.add(ip);
          try {
            await link(tmp, join(this.dir, formatIpv4(ip)));
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue; // another allocator's: keep it taken
            this.taken.delete(ip);
            throw err;
          }
          this.cursor = ip;
          this.byPod.set(podId, formatIpv4(ip));
          return formatIpv4(ip);
        }
      } finally {
        await rm(tmp, { force: true });
      }
      const size = this.pool.last - this.pool.first + 1 - this.pool.exclude.size;
      throw new FailedPreconditionError(
        `no free pod IP left for pod ${podId}: all ${size} addresses ${formatIpv4(this.pool.first)}-${formatIpv4(this.pool.last)} are allocated (see ${this.dir})`,
      );
    });
  }

  /** Free the pod's address; a pod without one is not an error. */
  release(podId: string): Promise<void> {
    return this.perPod.run(podId, async () => {
      const held = this.byPod.get(podId);
      if (held === undefined) return;
      await rm(join(this.dir, held), { force: true });
      this.byPod.delete(podId);
      const ip = parseIpv4(held);
      if (ip !== undefined) this.taken.delete(ip);
    });
  }

  /** Free addresses of the pool in round-robin order, starting after the cursor. */
  private *candidates(): Generator<number> {
    const { first, last, exclude } = this.pool;
    const start = this.cursor >= first && this.cursor < last ? this.cursor + 1 : first;
    for (let i = 0; i <= last - first; i++) {
      const ip = first + ((start - first + i) % (last - first + 1));
      if (!exclude.has(ip) && !this.taken.has(ip)) yield ip;
    }
  }
}
