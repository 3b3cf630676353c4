import type { LinuxResources } from '@criod/core';

/**
 * The OCI `linux.resources` object `runc update` takes, from CRI resources. Zero and empty values
 * mean "not set" in the CRI and are left out, so they keep their current setting.
 */
export function toOciResources(r: LinuxResources, swapAccounted: boolean): Record<string, unknown> {
  const cpu: Record<string, unknown> = {};
  if (r.cpuShares > 0) cpu.shares = r.cpuShares;
  if (r.cpuQuota !== 0) cpu.quota = r.cpuQuota;
  if (r.cpuPeriod > 0) cpu.period = r.cpuPeriod;
  if (r.cpusetCpus) cpu.cpus = r.cpusetCpus;
  if (r.cpusetMems) cpu.mems = r.cpusetMems;

  const memory: Record<string, unknown> = {};
  if (r.memoryLimitInBytes > 0) {
    memory.limit = r.memoryLimitInBytes;
    // Like kubelet: without an explicit swap limit, memory+swap equals memory (no extra swap).
    // runc writes the swap limit as given, so only where the kernel accounts swap.
    if (r.memorySwapLimitInBytes > 0) memory.swap = r.memorySwapLimitInBytes;
    else if (swapAccounted) memory.swap = r.memoryLimitInBytes;
  } else if (r.memorySwapLimitInBytes > 0) {
    memory.swap = r.memorySwapLimitInBytes;
  }

  const resources: Record<string, unknown> = {};
  if (Object.keys(cpu).length > 0) resources.cpu = cpu;
  if (Object.keys(memory).length > 0) resources.memory = memory;
  if (r.hugepageLimits.length > 0) resources.hugepageLimits = r.hugepageLimits.map((h) => ({ pageSize: h.pageSize, limit: h.limit }));
  if (Object.keys(r.unified).length > 0) resources.unified = { ...r.unified };
  return resources;
}
