import { describe, expect, it } from 'vitest';
import type { LinuxResources } from '../../types.js';
import { ociResources } from './resources.js';

describe('ociResources', () => {
  const none: LinuxResources = {
    cpuPeriod: 0,
    cpuQuota: 0,
    cpuShares: 0,
    memoryLimitInBytes: 0,
    oomScoreAdj: 0,
    cpusetCpus: '',
    cpusetMems: '',
    hugepageLimits: [],
    unified: {},
    memorySwapLimitInBytes: 0,
  };

  it('leaves out what the CRI leaves unset', () => {
    expect(ociResources(none, { swapEqualsMemory: true })).toEqual({});
  });

  it('maps CPU, memory, hugepages and unified values', () => {
    const r = ociResources(
      {
        ...none,
        cpuShares: 256,
        cpuQuota: 20000,
        cpuPeriod: 100000,
        cpusetCpus: '0',
        memoryLimitInBytes: 1 << 26,
        hugepageLimits: [{ pageSize: '2MB', limit: 1 << 21 }],
        unified: { 'memory.high': '1000' },
      },
      { swapEqualsMemory: true },
    );
    expect(r).toEqual({
      cpu: { shares: 256, quota: 20000, period: 100000, cpus: '0' },
      memory: { limit: 1 << 26, swap: 1 << 26 },
      hugepageLimits: [{ pageSize: '2MB', limit: 1 << 21 }],
      unified: { 'memory.high': '1000' },
    });
  });

  it('sets swap only where the kernel accounts it, unless asked for', () => {
    expect(ociResources({ ...none, memoryLimitInBytes: 100 })).toEqual({ memory: { limit: 100 } });
    expect(ociResources({ ...none, memoryLimitInBytes: 100, memorySwapLimitInBytes: 200 })).toEqual({ memory: { limit: 100, swap: 200 } });
  });
});
