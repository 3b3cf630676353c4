import type { CriService } from '@criod/core';
import type { ListMetricDescriptorsResponse, ListPodSandboxMetricsResponse, PodSandboxMetrics } from '../gen/runtime/v1/api.js';
import { metricDescriptors, podMetricsToCri } from '../convert/metrics.js';
import { layerMountpoint } from './stats.js';

export function listMetricDescriptors() {
  return async (): Promise<ListMetricDescriptorsResponse> => ({ descriptors: metricDescriptors() });
}

/** Every pod's metrics, from the same reads as ListPodSandboxStats; shared with StreamPodSandboxMetrics. */
export function podSandboxMetricsList(core: CriService) {
  return async (): Promise<PodSandboxMetrics[]> => {
    const [stats, mp] = await Promise.all([core.listPodSandboxStats(), layerMountpoint(core)]);
    return stats.map((s) => podMetricsToCri(s, mp));
  };
}

export function listPodSandboxMetrics(core: CriService) {
  const list = podSandboxMetricsList(core);
  return async (): Promise<ListPodSandboxMetricsResponse> => ({ podMetrics: await list() });
}
