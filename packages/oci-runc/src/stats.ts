import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError, isNotFound, nowNs, type ContainerStatsSample } from '@criod/core';
import { cgroupMounts, memoryCgroup, parseFlatKeyed, unifiedDir, v1ControllerDir, type ProcCgroups } from './cgroups.js';

/** CPU and memory counters of one cgroup, read from the files of whichever cgroup version holds it. */
interface CgroupCounters {
  cpuNs: bigint;
  memoryUsage: number;
  inactiveFile: number;
  rss: number;
  pageFaults: number;
  majorPageFaults: number;
}

async function readV1(cpuacctDir: string, memoryDir: string): Promise<CgroupCounters> {
  const [usage, memUsage, memStat] = await Promise.all([
    readFile(join(cpuacctDir, 'cpuacct.usage'), 'utf8'),
    readFile(join(memoryDir, 'memory.usage_in_bytes'), 'utf8'),
    readFile(join(memoryDir, 'memory.stat'), 'utf8'),
  ]);
  const stat = parseFlatKeyed(memStat);
  return {
    cpuNs: BigInt(usage.trim()),
    memoryUsage: Number(memUsage.trim()),
    inactiveFile: stat.get('total_inactive_file') ?? 0,
    rss: stat.get('total_rss') ?? 0,
    pageFaults: stat.get('total_pgfault') ?? 0,
    majorPageFaults: stat.get('total_pgmajfault') ?? 0,
  };
}

async function readV2(dir: string): Promise<CgroupCounters> {
  const [cpuStat, current, memStat] = await Promise.all([
    readFile(join(dir, 'cpu.stat'), 'utf8'),
    readFile(join(dir, 'memory.current'), 'utf8'),
    readFile(join(dir, 'memory.stat'), 'utf8'),
  ]);
  const stat = parseFlatKeyed(memStat);
  return {
    cpuNs: BigInt(parseFlatKeyed(cpuStat).get('usage_usec') ?? 0) * 1000n,
    memoryUsage: Number(current.trim()),
    inactiveFile: stat.get('inactive_file') ?? 0,
    rss: stat.get('anon') ?? 0,
    pageFaults: stat.get('pgfault') ?? 0,
    majorPageFaults: stat.get('pgmajfault') ?? 0,
  };
}

/** Reads a container's counters: v1 controllers when the host has them, else the unified hierarchy. */
async function readCounters(id: string, cgroups: ProcCgroups): Promise<CgroupCounters> {
  const mounts = await cgroupMounts();
  const cpuacct = v1ControllerDir(mounts, cgroups, 'cpuacct');
  const memory = v1ControllerDir(mounts, cgroups, 'memory');
  const unified = unifiedDir(mounts, cgroups);
  try {
    if (cpuacct && memory) return await readV1(cpuacct, memory);
    if (unified) return await readV2(unified);
  } catch (err) {
    if (isNotFound(err)) throw new NotFoundError(`container ${id}: its cgroup is gone (${memory ?? unified})`, { cause: err });
    throw err;
  }
  throw new NotFoundError(`container ${id}: no cpu/memory cgroup recorded for it`);
}

/** Previous CPU reading per container, to turn cumulative CPU time into a rate. */
export class StatsCollector {
  private readonly previous = new Map<string, { at: bigint; cpuNs: bigint }>();

  async sample(id: string, cgroups: ProcCgroups): Promise<ContainerStatsSample> {
    const counters = await readCounters(id, cgroups);
    const timestamp = nowNs();
    const last = this.previous.get(id);
    this.previous.set(id, { at: timestamp, cpuNs: counters.cpuNs });
    const sample: ContainerStatsSample = {
      timestamp,
      cpuUsageCoreNanoSeconds: counters.cpuNs,
      // The working set excludes page cache the kernel can drop at once (what kubelet evicts on).
      memoryWorkingSetBytes: Math.max(0, counters.memoryUsage - counters.inactiveFile),
      memoryUsageBytes: counters.memoryUsage,
      memoryRssBytes: counters.rss,
      pageFaults: counters.pageFaults,
      majorPageFaults: counters.majorPageFaults,
    };
    if (last && timestamp > last.at && counters.cpuNs >= last.cpuNs) {
      sample.cpuUsageNanoCores = Number(((counters.cpuNs - last.cpuNs) * 1_000_000_000n) / (timestamp - last.at));
    }
    return sample;
  }

  forget(id: string): void {
    this.previous.delete(id);
  }
}

/** Number of OOM kills the kernel counted in the container's memory cgroup, 0 when unknown. */
export async function oomKillCount(cgroups: ProcCgroups): Promise<number> {
  const memory = await memoryCgroup(cgroups);
  if (!memory) return 0;
  try {
    const text = await readFile(join(memory.dir, memory.version === 1 ? 'memory.oom_control' : 'memory.events'), 'utf8');
    return parseFlatKeyed(text).get('oom_kill') ?? 0;
  } catch {
    return 0;
  }
}
