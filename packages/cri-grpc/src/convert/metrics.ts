/**
 * The CRI metrics kubelet serves on /metrics/cadvisor when the runtime provides them
 * (PodAndContainerStatsFromCRI): names, help and label keys as cAdvisor's. One table drives both
 * ListMetricDescriptors and ListPodSandboxMetrics, so a metric and its descriptor cannot drift.
 */
import type { ContainerStatsResult, PodNetworkStats, PodStatsResult } from '@criod/core';
import { MetricType, type ContainerMetrics, type Metric, type MetricDescriptor, type PodSandboxMetrics } from '../gen/runtime/v1/api.js';

/** cAdvisor's labels of every container metric; kubelet matches values to keys by position. */
const BASE_LABELS = ['container', 'id', 'image', 'name', 'namespace', 'pod'] as const;

interface Value {
  /** Values of the spec's extra labels. */
  labels: string[];
  value: bigint | number;
  timestamp: bigint;
}

type MetricSpec = { name: string; help: string; type: MetricType; extraLabels: string[] } & (
  { scope: 'container'; values(c: ContainerStatsResult, fsMountpoint: string): Value[] } | { scope: 'pod'; values(n: PodNetworkStats): Value[] }
);

const NS_PER_SECOND = 1_000_000_000n;

/** A metric per running container's cgroup sample (none for a container that is not running). */
function sampled(pick: (s: NonNullable<ContainerStatsResult['sample']>) => bigint | number, labels: string[] = []) {
  return (c: ContainerStatsResult): Value[] => (c.sample ? [{ labels, value: pick(c.sample), timestamp: c.sample.timestamp }] : []);
}

/** A metric per interface of the pod's network namespace. */
function perInterface(pick: (i: PodNetworkStats['interfaces'][number]) => bigint) {
  return (n: PodNetworkStats): Value[] => n.interfaces.map((i) => ({ labels: [i.name], value: pick(i), timestamp: n.timestamp }));
}

export const metricSpecs: readonly MetricSpec[] = [
  {
    name: 'container_cpu_usage_seconds_total',
    help: 'Cumulative cpu time consumed in seconds.',
    type: MetricType.COUNTER,
    extraLabels: ['cpu'],
    scope: 'container',
    // The CRI value is an integer: whole seconds, as CRI-O reports it.
    values: sampled((s) => s.cpuUsageCoreNanoSeconds / NS_PER_SECOND, ['total']),
  },
  {
    name: 'container_memory_usage_bytes',
    help: 'Current memory usage in bytes, including all memory regardless of when it was accessed',
    type: MetricType.GAUGE,
    extraLabels: [],
    scope: 'container',
    values: sampled((s) => s.memoryUsageBytes),
  },
  {
    name: 'container_memory_working_set_bytes',
    help: 'Current working set in bytes.',
    type: MetricType.GAUGE,
    extraLabels: [],
    scope: 'container',
    values: sampled((s) => s.memoryWorkingSetBytes),
  },
  {
    name: 'container_memory_rss',
    help: 'Size of RSS in bytes.',
    type: MetricType.GAUGE,
    extraLabels: [],
    scope: 'container',
    values: sampled((s) => s.memoryRssBytes),
  },
  {
    name: 'container_fs_usage_bytes',
    help: 'Number of bytes that are consumed by the container on this filesystem.',
    type: MetricType.GAUGE,
    extraLabels: ['device'],
    scope: 'container',
    values: (c, fsMountpoint) => [{ labels: [fsMountpoint], value: c.writableLayer.bytes, timestamp: c.timestamp }],
  },
  {
    name: 'container_network_receive_bytes_total',
    help: 'Cumulative count of bytes received',
    type: MetricType.COUNTER,
    extraLabels: ['interface'],
    scope: 'pod',
    values: perInterface((i) => i.rxBytes),
  },
  {
    name: 'container_network_receive_errors_total',
    help: 'Cumulative count of errors encountered while receiving',
    type: MetricType.COUNTER,
    extraLabels: ['interface'],
    scope: 'pod',
    values: perInterface((i) => i.rxErrors),
  },
  {
    name: 'container_network_transmit_bytes_total',
    help: 'Cumulative count of bytes transmitted',
    type: MetricType.COUNTER,
    extraLabels: ['interface'],
    scope: 'pod',
    values: perInterface((i) => i.txBytes),
  },
  {
    name: 'container_network_transmit_errors_total',
    help: 'Cumulative count of errors encountered while transmitting',
    type: MetricType.COUNTER,
    extraLabels: ['interface'],
    scope: 'pod',
    values: perInterface((i) => i.txErrors),
  },
];

export function metricDescriptors(): MetricDescriptor[] {
  return metricSpecs.map((m) => ({ name: m.name, help: m.help, labelKeys: [...BASE_LABELS, ...m.extraLabels] }));
}

function toMetrics(spec: MetricSpec, base: string[], values: Value[]): Metric[] {
  return values.map((v) => ({
    name: spec.name,
    timestamp: v.timestamp,
    metricType: spec.type,
    labelValues: [...base, ...v.labels],
    value: { value: BigInt(v.value) },
  }));
}

/**
 * A pod's metrics: the network ones at pod level, labelled container "POD" as cAdvisor labelled
 * the infra container that held the pod's network; cgroup and disk ones per container.
 */
export function podMetricsToCri(p: PodStatsResult, fsMountpoint: string): PodSandboxMetrics {
  const { name: podName, namespace } = p.pod.config.metadata;
  const podBase = ['POD', p.pod.id, '', p.pod.id, namespace, podName];
  const network = p.network;
  const containerMetrics = p.containers.map((c): ContainerMetrics => {
    const base = [c.container.name, c.container.id, c.container.image, c.container.id, namespace, podName];
    return {
      containerId: c.container.id,
      metrics: metricSpecs.flatMap((m) => (m.scope === 'container' ? toMetrics(m, base, m.values(c, fsMountpoint)) : [])),
    };
  });
  return {
    podSandboxId: p.pod.id,
    metrics: network ? metricSpecs.flatMap((m) => (m.scope === 'pod' ? toMetrics(m, podBase, m.values(network)) : [])) : [],
    containerMetrics,
  };
}
