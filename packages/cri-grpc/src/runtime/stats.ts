import type { CriService } from '@criod/core';
import type {
  ContainerStats,
  ContainerStatsFilter,
  PodSandboxStats,
  PodSandboxStatsFilter,
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

const mountpoints = new WeakMap<CriService, Promise<string>>();

/**
 * Writable layers live in the image store: its dir identifies their filesystem. fsInfo() also
 * walks the whole store for its usage, so the dir (fixed for the store's life) is asked once.
 */
export function layerMountpoint(core: CriService): Promise<string> {
  let mountpoint = mountpoints.get(core);
  if (!mountpoint) {
    mountpoint = core.ctx.plugins.images.fsInfo().then((fs) => fs.mountpoint);
    mountpoint.catch(() => mountpoints.delete(core));
    mountpoints.set(core, mountpoint);
  }
  return mountpoint;
}

export function containerStats(core: CriService) {
  return async (req: ContainerStatsRequest): Promise<ContainerStatsResponse> => ({
    stats: containerStatsToCri(await core.containerStats(req.containerId), await layerMountpoint(core)),
  });
}

/** Stats of the containers a filter selects, shared by ListContainerStats and StreamContainerStats. */
export function containerStatsList(core: CriService) {
  return async (req: { filter?: ContainerStatsFilter | undefined }): Promise<ContainerStats[]> => {
    const f = req.filter;
    const [stats, mp] = await Promise.all([
      core.listContainerStats({ id: f?.id || undefined, podId: f?.podSandboxId || undefined, labelSelector: f?.labelSelector }),
      layerMountpoint(core),
    ]);
    return stats.map((s) => containerStatsToCri(s, mp));
  };
}

export function listContainerStats(core: CriService) {
  const list = containerStatsList(core);
  return async (req: ListContainerStatsRequest): Promise<ListContainerStatsResponse> => ({ stats: await list(req) });
}

export function podSandboxStats(core: CriService) {
  return async (req: PodSandboxStatsRequest): Promise<PodSandboxStatsResponse> => ({
    stats: podStatsToCri(await core.podSandboxStats(req.podSandboxId), await layerMountpoint(core)),
  });
}

/** Stats of the pods a filter selects, shared by ListPodSandboxStats and StreamPodSandboxStats. */
export function podSandboxStatsList(core: CriService) {
  return async (req: { filter?: PodSandboxStatsFilter | undefined }): Promise<PodSandboxStats[]> => {
    const [stats, mp] = await Promise.all([
      core.listPodSandboxStats({ id: req.filter?.id || undefined, labelSelector: req.filter?.labelSelector }),
      layerMountpoint(core),
    ]);
    return stats.map((s) => podStatsToCri(s, mp));
  };
}

export function listPodSandboxStats(core: CriService) {
  const list = podSandboxStatsList(core);
  return async (req: ListPodSandboxStatsRequest): Promise<ListPodSandboxStatsResponse> => ({ stats: await list(req) });
}
