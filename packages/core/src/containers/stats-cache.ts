import type { ContainerStatsSample, NetworkStatsSample } from '../plugins.js';
import type { LayerUsage } from '../types.js';
import { TtlCache } from '../util/ttl-cache.js';

/** cgroup counters and network counters: read at most once a second, cAdvisor's housekeeping interval. */
export const COUNTER_TTL_MS = 1_000;
/** Writable layer usage costs a directory walk: at most every 10 s, containerd's stats_collect_period. */
export const LAYER_USAGE_TTL_MS = 10_000;

export interface MeasuredLayerUsage extends LayerUsage {
  /** When the walk started, in nanoseconds since the epoch. */
  timestamp: bigint;
}

/**
 * Short-lived copies of what the stats calls read, so kubelet's stats loops, the metrics
 * endpoint and concurrent calls share reads instead of each going to the kernel per container.
 */
export class StatsCache {
  /** Container id → its cgroup sample. */
  readonly cgroups = new TtlCache<ContainerStatsSample>(COUNTER_TTL_MS);
  /** Container id → its writable layer usage. */
  readonly layers = new TtlCache<MeasuredLayerUsage>(LAYER_USAGE_TTL_MS);
  /** Pod id → its network namespace's counters. */
  readonly networks = new TtlCache<NetworkStatsSample>(COUNTER_TTL_MS);
}
