import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { OciLinuxCPU, OciLinuxMemory, OciLinuxResources } from '../../oci/spec.js';
import type { LinuxResources } from '../../types.js';

/** Reject resources no kernel would take, before anything is created. */
export function validateResources(r: LinuxResources | undefined): void {
  if (!r) return;
  const nonNegative: [string, number][] = [
    ['cpu_period', r.cpuPeriod],
    ['cpu_shares', r.cpuShares],
    ['memory_limit_in_bytes', r.memoryLimitInBytes],
  ];
  for (const [field, v] of nonNegative) if (v < 0) throw new InvalidArgumentError(`resources.${field} ${v} must not be negative`);
  if (r.cpuQuota < -1) throw new InvalidArgumentError(`resources.cpu_quota ${r.cpuQuota} must be -1, 0 or positive`);
  if (r.cpuQuota > 0 && r.cpuQuota < 1000) throw new InvalidArgumentError(`resources.cpu_quota ${r.cpuQuota} is below the kernel's minimum of 1000 µs`);
  if (r.cpuPeriod !== 0 && (r.cpuPeriod < 1000 || r.cpuPeriod > 1_000_000))
    throw new InvalidArgumentError(`resources.cpu_period ${r.cpuPeriod} must be between 1000 and 1000000 µs`);
  if (r.memoryLimitInBytes > 0 && r.memoryLimitInBytes < 4096)
    throw new InvalidArgumentError(`resources.memory_limit_in_bytes ${r.memoryLimitInBytes} is below one page`);
  if (r.oomScoreAdj < -1000 || r.oomScoreAdj > 1000) throw new InvalidArgumentError(`resources.oom_score_adj ${r.oomScoreAdj} must be between -1000 and 1000`);
  for (const set of [r.cpusetCpus, r.cpusetMems]) {
    if (set && !/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(set)) throw new InvalidArgumentError(`cpuset ${JSON.stringify(set)} is not a list like 0-2,4`);
  }
}

let ownOomScoreAdj: Promise<number> | undefined;

/**
 * The oom_score_adj the kernel will accept: without CAP_SYS_RESOURCE a process cannot go below
 * its parent's value, so a lower request is raised to criod's own, with a warning.
 */
export async function effectiveOomScoreAdj(requested: number, logger: Logger, containerId: string): Promise<number> {
  ownOomScoreAdj ??= readFile('/proc/self/oom_score_adj', 'utf8').then(
    (t) => Number(t.trim()),
    () => -1000,
  );
  const floor = await ownOomScoreAdj;
  if (requested >= floor) return requested;
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
  const capEff = BigInt(`0x${/^CapEff:\s*([0-9a-f]+)/m.exec(status)?.[1] ?? '0'}`);
  const canLower = (capEff >> 24n) & 1n; // CAP_SYS_RESOURCE
  if (canLower) return requested;
  logger.warn({ containerId, requested, applied: floor }, "oom_score_adj below criod's own needs CAP_SYS_RESOURCE, which this host lacks: clamped");
  return floor;
}

/**
 * The OCI `linux.resources` of CRI resources, for the spec and for a runtime's resources update. Zero and empty
 * values mean "not set" in the CRI and are left out. With `swapEqualsMemory` (where the kernel
 * accounts swap), a memory limit without a swap limit allows no extra swap, as kubelet means it.
 */
export function ociResources(r: LinuxResources | undefined, options: { swapEqualsMemory?: boolean } = {}): OciLinuxResources {
  if (!r) return {};
  const cpu: OciLinuxCPU = {};
  if (r.cpuShares > 0) cpu.shares = r.cpuShares;
  if (r.cpuQuota !== 0) cpu.quota = r.cpuQuota;
  if (r.cpuPeriod > 0) cpu.period = r.cpuPeriod;
  if (r.cpusetCpus) cpu.cpus = r.cpusetCpus;
  if (r.cpusetMems) cpu.mems = r.cpusetMems;
  const memory: OciLinuxMemory = {};
  if (r.memoryLimitInBytes > 0) memory.limit = r.memoryLimitInBytes;
  if (r.memorySwapLimitInBytes > 0) memory.swap = r.memorySwapLimitInBytes;
  else if (r.memoryLimitInBytes > 0 && options.swapEqualsMemory) memory.swap = r.memoryLimitInBytes;
  const out: OciLinuxResources = {};
  if (Object.keys(cpu).length > 0) out.cpu = cpu;
  if (Object.keys(memory).length > 0) out.memory = memory;
  if (r.hugepageLimits.length > 0) out.hugepageLimits = r.hugepageLimits.map((h) => ({ pageSize: h.pageSize, limit: h.limit }));
  if (Object.keys(r.unified).length > 0) out.unified = { ...r.unified };
  return out;
}
