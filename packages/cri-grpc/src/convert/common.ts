/** Conversions between runtime.v1 messages and @criod/core domain types shared by several RPCs. */
import { InvalidArgumentError, type LinuxResources, type NamespaceMode, type NamespaceOptions, type SecurityProfile } from '@criod/core';
import {
  NamespaceMode as CriNamespaceMode,
  SecurityProfile_ProfileType,
  type LinuxContainerResources,
  type NamespaceOption,
  type SecurityProfile as CriSecurityProfile,
} from '../gen/runtime/v1/api.js';

const modes: Record<number, NamespaceMode> = {
  [CriNamespaceMode.POD]: 'pod',
  [CriNamespaceMode.CONTAINER]: 'container',
  [CriNamespaceMode.NODE]: 'node',
  [CriNamespaceMode.TARGET]: 'target',
};

function namespaceMode(value: CriNamespaceMode, field: string): NamespaceMode {
  const mode = modes[value];
  if (!mode) throw new InvalidArgumentError(`namespace_options.${field} has an unknown mode ${value}`);
  return mode;
}

export function namespaceOptionsFromCri(ns: NamespaceOption | undefined): NamespaceOptions {
  if (ns?.usernsOptions && ns.usernsOptions.mode !== CriNamespaceMode.NODE) {
    throw new InvalidArgumentError('user namespaces (namespace_options.userns_options mode POD) are not supported by criod');
  }
  return {
    network: namespaceMode(ns?.network ?? CriNamespaceMode.POD, 'network'),
    pid: namespaceMode(ns?.pid ?? CriNamespaceMode.POD, 'pid'),
    ipc: namespaceMode(ns?.ipc ?? CriNamespaceMode.POD, 'ipc'),
    targetId: ns?.targetId ?? '',
  };
}

const modeToCri: Record<NamespaceMode, CriNamespaceMode> = {
  pod: CriNamespaceMode.POD,
  container: CriNamespaceMode.CONTAINER,
  node: CriNamespaceMode.NODE,
  target: CriNamespaceMode.TARGET,
};

export function namespaceOptionsToCri(ns: NamespaceOptions): NamespaceOption {
  return { network: modeToCri[ns.network], pid: modeToCri[ns.pid], ipc: modeToCri[ns.ipc], targetId: ns.targetId, usernsOptions: undefined };
}

/** A CRI security profile; the deprecated string form ("runtime/default", "localhost/<path>") is honoured when the field is unset. */
export function securityProfileFromCri(profile: CriSecurityProfile | undefined, legacy: string, field: string): SecurityProfile | undefined {
  if (profile) {
    switch (profile.profileType) {
      case SecurityProfile_ProfileType.RuntimeDefault:
        return { type: 'runtimeDefault', localhostRef: '' };
      case SecurityProfile_ProfileType.Unconfined:
        return { type: 'unconfined', localhostRef: '' };
      case SecurityProfile_ProfileType.Localhost:
        if (!profile.localhostRef) throw new InvalidArgumentError(`${field}: a Localhost profile needs localhost_ref`);
        return { type: 'localhost', localhostRef: profile.localhostRef };
      default:
        throw new InvalidArgumentError(`${field}: unknown profile type ${profile.profileType}`);
    }
  }
  if (legacy === '') return undefined;
  if (legacy === 'runtime/default' || legacy === 'docker/default') return { type: 'runtimeDefault', localhostRef: '' };
  if (legacy === 'unconfined') return { type: 'unconfined', localhostRef: '' };
  if (legacy.startsWith('localhost/')) return { type: 'localhost', localhostRef: legacy.slice('localhost/'.length) };
  throw new InvalidArgumentError(`${field}: unknown profile ${JSON.stringify(legacy)}`);
}

function safeNumber(v: bigint, field: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`${field} ${v} is out of range`);
  return n;
}

export function resourcesFromCri(r: LinuxContainerResources | undefined): LinuxResources | undefined {
  if (!r) return undefined;
  return {
    cpuPeriod: safeNumber(r.cpuPeriod, 'cpu_period'),
    cpuQuota: safeNumber(r.cpuQuota, 'cpu_quota'),
    cpuShares: safeNumber(r.cpuShares, 'cpu_shares'),
    memoryLimitInBytes: safeNumber(r.memoryLimitInBytes, 'memory_limit_in_bytes'),
    oomScoreAdj: safeNumber(r.oomScoreAdj, 'oom_score_adj'),
    cpusetCpus: r.cpusetCpus,
    cpusetMems: r.cpusetMems,
    hugepageLimits: r.hugepageLimits.map((h) => ({ pageSize: h.pageSize, limit: safeNumber(h.limit, 'hugepage limit') })),
    unified: { ...r.unified },
    memorySwapLimitInBytes: safeNumber(r.memorySwapLimitInBytes, 'memory_swap_limit_in_bytes'),
  };
}

export function resourcesToCri(r: LinuxResources): LinuxContainerResources {
  return {
    cpuPeriod: BigInt(r.cpuPeriod),
    cpuQuota: BigInt(r.cpuQuota),
    cpuShares: BigInt(r.cpuShares),
    memoryLimitInBytes: BigInt(r.memoryLimitInBytes),
    oomScoreAdj: BigInt(r.oomScoreAdj),
    cpusetCpus: r.cpusetCpus,
    cpusetMems: r.cpusetMems,
    hugepageLimits: r.hugepageLimits.map((h) => ({ pageSize: h.pageSize, limit: BigInt(h.limit) })),
    unified: { ...r.unified },
    memorySwapLimitInBytes: BigInt(r.memorySwapLimitInBytes),
  };
}

export { safeNumber };
