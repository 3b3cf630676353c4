import type { ContainerStatsResult, InterfaceStats, PodNetworkStats, PodStatsResult } from '@criod/core';
import type { ContainerStats, NetworkInterfaceUsage, NetworkUsage, PodSandboxStats } from '../gen/runtime/v1/api.js';

const u64 = (v: number | bigint) => ({ value: BigInt(v) });

export function containerStatsToCri(s: ContainerStatsResult, fsMountpoint: string): ContainerStats {
  const c = s.container;
  const sample = s.sample;
  return {
    attributes: { id: c.id, metadata: { name: c.name, attempt: c.attempt }, labels: c.labels, annotations: c.annotations },
    cpu: sample
      ? {
          timestamp: sample.timestamp,
          usageCoreNanoSeconds: u64(sample.cpuUsageCoreNanoSeconds),
          usageNanoCores: sample.cpuUsageNanoCores === undefined ? undefined : u64(Math.round(sample.cpuUsageNanoCores)),
          psi: undefined,
        }
      : undefined,
    memory: sample
      ? {
          timestamp: sample.timestamp,
          workingSetBytes: u64(sample.memoryWorkingSetBytes),
          availableBytes: undefined,
          usageBytes: u64(sample.memoryUsageBytes),
          rssBytes: u64(sample.memoryRssBytes),
          pageFaults: u64(sample.pageFaults),
          majorPageFaults: u64(sample.majorPageFaults),
          psi: undefined,
        }
      : undefined,
    writableLayer: {
      timestamp: s.timestamp,
      fsId: { mountpoint: fsMountpoint },
      usedBytes: u64(s.writableLayer.bytes),
      inodesUsed: u64(s.writableLayer.inodes),
    },
    swap: undefined,
    io: undefined,
  };
}

export function podStatsToCri(p: PodStatsResult, fsMountpoint: string): PodSandboxStats {
  return {
    attributes: { id: p.pod.id, metadata: { ...p.pod.config.metadata }, labels: p.pod.config.labels, annotations: p.pod.config.annotations },
    linux: {
      cpu: { timestamp: p.timestamp, usageCoreNanoSeconds: u64(p.cpuUsageCoreNanoSeconds), usageNanoCores: undefined, psi: undefined },
      memory: {
        timestamp: p.timestamp,
        workingSetBytes: u64(p.memoryWorkingSetBytes),
        availableBytes: undefined,
        usageBytes: u64(p.memoryUsageBytes),
        rssBytes: u64(p.memoryRssBytes),
        pageFaults: undefined,
        majorPageFaults: undefined,
        psi: undefined,
      },
      network: p.network && networkToCri(p.network),
      process: undefined,
      containers: p.containers.map((c) => containerStatsToCri(c, fsMountpoint)),
      io: undefined,
    },
    windows: undefined,
  };
}

function interfaceToCri(i: InterfaceStats): NetworkInterfaceUsage {
  return { name: i.name, rxBytes: u64(i.rxBytes), rxErrors: u64(i.rxErrors), txBytes: u64(i.txBytes), txErrors: u64(i.txErrors) };
}

/** `interfaces` lists all of them, the default one too, as kubelet's summary API does. */
function networkToCri(n: PodNetworkStats): NetworkUsage {
  return {
    timestamp: n.timestamp,
    defaultInterface: n.defaultInterface && interfaceToCri(n.defaultInterface),
    interfaces: n.interfaces.map(interfaceToCri),
  };
}
