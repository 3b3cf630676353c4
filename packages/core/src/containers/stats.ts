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
  /** When the writable layer was measured. */
  timestamp: bigint;
}

/**
 * One container's stats. The cgroup sample and the layer walk come from the stats cache (see
 * StatsCache), so concurrent and back-to-back calls share their reads.
 */
async function statsOf(ctx: CoreContext, c: ContainerRecord): Promise<ContainerStatsResult> {
  await refreshContainer(ctx, c);
  const cache = ctx.state.statsCache;
  const [sample, layer] = await Promise.all([
    c.state === 'running' ? cache.cgroups.get(c.id, () => ctx.plugins.runtime.stats(c.id)).catch(() => undefined) : Promise.resolve(undefined),
    cache.layers
      .get(c.id, async () => {
        const timestamp = nowNs();
        return { ...(await ctx.plugins.images.rootfsUsage(c.id)), timestamp };
      })
      .catch(() => ({ bytes: 0, inodes: 0, timestamp: nowNs() })),
  ]);
  return { container: c, sample, writableLayer: { bytes: layer.bytes, inodes: layer.inodes }, timestamp: layer.timestamp };
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

function selectContainers(ctx: CoreContext, filter: ContainerStatsFilter): ContainerRecord[] {
  return [...ctx.state.containers.values()]
    .filter((c) => !filter.id || c.id.startsWith(filter.id))
    .filter((c) => !filter.podId || c.podId.startsWith(filter.podId))
    .filter((c) => matchesLabels(c.labels, filter.labelSelector));
}

/** ListContainerStats: kubelet's node stats for this runtime come from here. */
export function listContainerStats(ctx: CoreContext, filter: ContainerStatsFilter = {}): Promise<ContainerStatsResult[]> {
  return Promise.all(selectContainers(ctx, filter).map((c) => statsOf(ctx, c)));
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

/** The pod's network counters, read through one of its running containers when the namespace plugin can. */
async function podNetworkStats(ctx: CoreContext, pod: PodRecord, containers: ContainerStatsResult[], limit: Limit): Promise<PodNetworkStats | undefined> {
  const netns = pod.namespaces.find((ns) => ns.kind === 'net');
  const read = ctx.plugins.namespace.networkStats?.bind(ctx.plugins.namespace);
  if (!netns || !read || pod.state !== 'ready') return undefined;
  const pids = containers.flatMap((c) => (c.sample?.pid ? [c.sample.pid] : []));
  try {
    const sample = await ctx.state.statsCache.networks.get(pod.id, () => limit(() => read(netns, { pids })));
    const wanted = ctx.plugins.network.podInterface ?? 'eth0';
    return { ...sample, defaultInterface: sample.interfaces.find((i) => i.name === wanted) ?? sample.interfaces[0] };
  } catch (err) {
    // A pod being stopped may lose its namespace under us: its stats just lack the network.
    ctx.logger.debug({ podId: pod.id, err: errorMessage(err) }, 'pod network stats unavailable');
    return undefined;
  }
}

async function podStats(ctx: CoreContext, pod: PodRecord, containers: ContainerRecord[], limit: Limit): Promise<PodStatsResult> {
  const stats = await Promise.all(containers.map((c) => statsOf(ctx, c)));
  const network = await podNetworkStats(ctx, pod, stats, limit);
  const samples = stats.flatMap((c) => (c.sample ? [c.sample] : []));
  return {
    pod,
    timestamp: nowNs(),
    cpuUsageCoreNanoSeconds: samples.reduce((a, s) => a + s.cpuUsageCoreNanoSeconds, 0n),
    memoryWorkingSetBytes: samples.reduce((a, s) => a + s.memoryWorkingSetBytes, 0),
    memoryUsageBytes: samples.reduce((a, s) => a + s.memoryUsageBytes, 0),
    memoryRssBytes: samples.reduce((a, s) => a + s.memoryRssBytes, 0),
    network,
    containers: stats,
  };
}

/** PodSandboxStats: the sum of its containers' usage and the counters of its network namespace. */
export function podSandboxStats(ctx: CoreContext, ref: string): Promise<PodStatsResult> {
  const pod = findPod(ctx, ref);
  return podStats(ctx, pod, selectContainers(ctx, { podId: pod.id }), (job) => job());
}

export function listPodSandboxStats(ctx: CoreContext, filter: { id?: string; labelSelector?: Record<string, string> } = {}): Promise<PodStatsResult[]> {
  const pods = [...ctx.state.pods.values()].filter((p) => (!filter.id || p.id.startsWith(filter.id)) && matchesLabels(p.config.labels, filter.labelSelector));
  // One pass over the containers, not one per pod.
  const byPod = new Map<string, ContainerRecord[]>(pods.map((p) => [p.id, []]));
  for (const c of ctx.state.containers.values()) byPod.get(c.podId)?.push(c);
  const limit = limiter(NETWORK_READS_AT_ONCE);
  return Promise.all(pods.map((p) => podStats(ctx, p, byPod.get(p.id) ?? [], limit)));
}
