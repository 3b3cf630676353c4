import type { CoreContext } from '../context.js';
import { errorMessage } from '../errors.js';
import { matchesLabels } from '../pods/list-pod-sandbox.js';
import { findPod } from '../pods/lookup.js';
import type { ContainerStatsSample, InterfaceStats, NetworkStatsSample } from '../plugins.js';
import type { ContainerRecord, LayerUsage, PodRecord } from '../types.js';
import { nowNs } from '../types.js';
import { limiter } from '../util/limit.js';
import { findContainer, refreshContainer } from './lookup.js';

export interface ContainerStatsResult {
  container: ContainerRecord;
  /** Absent when the container has no cgroup (not running). */
  sample?: ContainerStatsSample;
  writableLayer: LayerUsage;
  timestamp: bigint;
}

async function statsOf(ctx: CoreContext, c: ContainerRecord): Promise<ContainerStatsResult> {
  await refreshContainer(ctx, c);
  const [sample, writableLayer] = await Promise.all([
    c.state === 'running' ? ctx.plugins.runtime.stats(c.id).catch(() => undefined) : Promise.resolve(undefined),
    ctx.plugins.store.images.rootfsUsage(c.id).catch(() => ({ bytes: 0, inodes: 0 })),
  ]);
  return { container: c, sample, writableLayer, timestamp: nowNs() };
}

/** ContainerStats: CPU and memory from the cgroup, writable layer usage from the store. */
export function containerStats(ctx: CoreContext, ref: string): Promise<ContainerStatsResult> {
  return statsOf(ctx, findContainer(ctx, ref));
}

export interface ContainerStatsFilter {
  id?: string;
  podId?: string;
  labelSelector?: Record<string, string>;
}

/** ListContainerStats: kubelet's node stats for this runtime come from here. */
export function listContainerStats(ctx: CoreContext, filter: ContainerStatsFilter = {}): Promise<ContainerStatsResult[]> {
  const cs = [...ctx.state.containers.values()]
    .filter((c) => !filter.id || c.id.startsWith(filter.id))
    .filter((c) => !filter.podId || c.podId.startsWith(filter.podId))
    .filter((c) => matchesLabels(c.labels, filter.labelSelector));
  return Promise.all(cs.map((c) => statsOf(ctx, c)));
}

export interface PodStatsResult {
  pod: PodRecord;
  timestamp: bigint;
  cpuUsageCoreNanoSeconds: bigint;
  memoryWorkingSetBytes: number;
  memoryUsageBytes: number;
  memoryRssBytes: number;
  /** Absent for host-network pods, stopped pods and namespace plugins that cannot tell. */
  network?: PodNetworkStats;
  containers: ContainerStatsResult[];
}

export interface PodNetworkStats extends NetworkStatsSample {
  /** The interface the network plugin made (eth0), else the first one. */
  defaultInterface?: InterfaceStats;
}

type Limit = <T>(job: () => Promise<T>) => Promise<T>;

/** Reading a pod's counters may cost a spawn: at most this many at once per list call. */
const NETWORK_READS_AT_ONCE = 4;

async function podNetworkStats(ctx: CoreContext, pod: PodRecord, limit: Limit): Promise<PodNetworkStats | undefined> {
  const netns = pod.namespaces.find((ns) => ns.kind === 'net');
  const read = ctx.plugins.namespace.networkStats?.bind(ctx.plugins.namespace);
  if (!netns || !read || pod.state !== 'ready') return undefined;
  try {
    const sample = await limit(() => read(netns));
    const wanted = ctx.plugins.network.podInterface ?? 'eth0';
    return { ...sample, defaultInterface: sample.interfaces.find((i) => i.name === wanted) ?? sample.interfaces[0] };
  } catch (err) {
    // A pod being stopped may lose its namespace under us: its stats just lack the network.
    ctx.logger.debug({ podId: pod.id, err: errorMessage(err) }, 'pod network stats unavailable');
    return undefined;
  }
}

async function podStats(ctx: CoreContext, pod: PodRecord, limit: Limit): Promise<PodStatsResult> {
  const [containers, network] = await Promise.all([listContainerStats(ctx, { podId: pod.id }), podNetworkStats(ctx, pod, limit)]);
  const samples = containers.flatMap((c) => (c.sample ? [c.sample] : []));
  return {
    pod,
    timestamp: nowNs(),
    cpuUsageCoreNanoSeconds: samples.reduce((a, s) => a + s.cpuUsageCoreNanoSeconds, 0n),
    memoryWorkingSetBytes: samples.reduce((a, s) => a + s.memoryWorkingSetBytes, 0),
    memoryUsageBytes: samples.reduce((a, s) => a + s.memoryUsageBytes, 0),
    memoryRssBytes: samples.reduce((a, s) => a + s.memoryRssBytes, 0),
    network,
    containers,
  };
}

/** PodSandboxStats: the sum of its containers' usage and the counters of its network namespace. */
export function podSandboxStats(ctx: CoreContext, ref: string): Promise<PodStatsResult> {
  return podStats(ctx, findPod(ctx, ref), (job) => job());
}

export function listPodSandboxStats(ctx: CoreContext, filter: { id?: string; labelSelector?: Record<string, string> } = {}): Promise<PodStatsResult[]> {
  const pods = [...ctx.state.pods.values()].filter((p) => (!filter.id || p.id.startsWith(filter.id)) && matchesLabels(p.config.labels, filter.labelSelector));
  const limit = limiter(NETWORK_READS_AT_ONCE);
  return Promise.all(pods.map((p) => podStats(ctx, p, limit)));
}

