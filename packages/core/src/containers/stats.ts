import type { CoreContext } from '../context.js';
import { matchesLabels } from '../pods/list-pod-sandbox.js';
import { findPod } from '../pods/lookup.js';
import type { ContainerStatsSample } from '../plugins.js';
import type { ContainerRecord, LayerUsage, PodRecord } from '../types.js';
import { nowNs } from '../types.js';
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
  containers: ContainerStatsResult[];
}

function podStats(ctx: CoreContext, pod: PodRecord): Promise<PodStatsResult> {
  return listContainerStats(ctx, { podId: pod.id }).then((containers) => {
    const samples = containers.flatMap((c) => (c.sample ? [c.sample] : []));
    return {
      pod,
      timestamp: nowNs(),
      cpuUsageCoreNanoSeconds: samples.reduce((a, s) => a + s.cpuUsageCoreNanoSeconds, 0n),
      memoryWorkingSetBytes: samples.reduce((a, s) => a + s.memoryWorkingSetBytes, 0),
      memoryUsageBytes: samples.reduce((a, s) => a + s.memoryUsageBytes, 0),
      memoryRssBytes: samples.reduce((a, s) => a + s.memoryRssBytes, 0),
      containers,
    };
  });
}

/** PodSandboxStats: the sum of its containers' usage. */
export function podSandboxStats(ctx: CoreContext, ref: string): Promise<PodStatsResult> {
  return podStats(ctx, findPod(ctx, ref));
}

export function listPodSandboxStats(ctx: CoreContext, filter: { id?: string; labelSelector?: Record<string, string> } = {}): Promise<PodStatsResult[]> {
  const pods = [...ctx.state.pods.values()].filter((p) => (!filter.id || p.id.startsWith(filter.id)) && matchesLabels(p.config.labels, filter.labelSelector));
  return Promise.all(pods.map((p) => podStats(ctx, p)));
}

