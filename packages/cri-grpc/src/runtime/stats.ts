import type { CriService } from '@criod/core';
import type {
  ContainerStatsRequest,
  ContainerStatsResponse,
  ListContainerStatsRequest,
  ListContainerStatsResponse,
  ListPodSandboxStatsRequest,
  ListPodSandboxStatsResponse,
  PodSandboxStatsRequest,
  PodSandboxStatsResponse,
} from '../gen/runtime/v1/api.js';
import { containerStatsToCri, podStatsToCri } from '../convert/stats.js';

/** Writable layers live in the image store: its dir identifies their filesystem. */
async function layerMountpoint(core: CriService): Promise<string> {
  return (await core.ctx.plugins.store.images.fsInfo()).mountpoint;
}

export function containerStats(core: CriService) {
  return async (req: ContainerStatsRequest): Promise<ContainerStatsResponse> => ({
    stats: containerStatsToCri(await core.containerStats(req.containerId), await layerMountpoint(core)),
  });
}

export function listContainerStats(core: CriService) {
  return async (req: ListContainerStatsRequest): Promise<ListContainerStatsResponse> => {
    const f = req.filter;
    const [stats, mp] = await Promise.all([
      core.listContainerStats({ id: f?.id || undefined, podId: f?.podSandboxId || undefined, labelSelector: f?.labelSelector }),
      layerMountpoint(core),
    ]);
    return { stats: stats.map((s) => containerStatsToCri(s, mp)) };
  };
}

export function podSandboxStats(core: CriService) {
  return async (req: PodSandboxStatsRequest): Promise<PodSandboxStatsResponse> => ({
    stats: podStatsToCri(await core.podSandboxStats(req.podSandboxId), await layerMountpoint(core)),
  });
}

export function listPodSandboxStats(core: CriService) {
  return async (req: ListPodSandboxStatsRequest): Promise<ListPodSandboxStatsResponse> => {
    const [stats, mp] = await Promise.all([core.listPodSandboxStats({ id: req.filter?.id || undefined, labelSelector: req.filter?.labelSelector }), layerMountpoint(core)]);
    return { stats: stats.map((s) => podStatsToCri(s, mp)) };
  };
}
