import type { CriService } from '@criod/core';
import type {
  CheckpointContainerRequest,
  CheckpointContainerResponse,
  Container,
  ContainerFilter,
  ContainerStatusRequest,
  ContainerStatusResponse,
  CreateContainerRequest,
  CreateContainerResponse,
  ExecSyncRequest,
  ExecSyncResponse,
  ListContainersRequest,
  ListContainersResponse,
  RemoveContainerRequest,
  RemoveContainerResponse,
  ReopenContainerLogRequest,
  ReopenContainerLogResponse,
  StartContainerRequest,
  StartContainerResponse,
  StopContainerRequest,
  StopContainerResponse,
  UpdateContainerResourcesRequest,
  UpdateContainerResourcesResponse,
} from '../gen/runtime/v1/api.js';
import { resourcesFromCri, safeNumber } from '../convert/common.js';
import { containerConfigFromCri, containerStateFromCri, containerStatusToCri, containerToCri } from '../convert/container.js';

export function createContainer(core: CriService) {
  return async (req: CreateContainerRequest): Promise<CreateContainerResponse> => ({
    containerId: await core.createContainer(req.podSandboxId, containerConfigFromCri(req.config)),
  });
}

export function startContainer(core: CriService) {
  return async (req: StartContainerRequest): Promise<StartContainerResponse> => {
    await core.startContainer(req.containerId);
    return {};
  };
}

export function stopContainer(core: CriService) {
  return async (req: StopContainerRequest): Promise<StopContainerResponse> => {
    await core.stopContainer(req.containerId, safeNumber(req.timeout, 'timeout'));
    return {};
  };
}

export function removeContainer(core: CriService) {
  return async (req: RemoveContainerRequest): Promise<RemoveContainerResponse> => {
    await core.removeContainer(req.containerId);
    return {};
  };
}

export function containerStatus(core: CriService) {
  return async (req: ContainerStatusRequest): Promise<ContainerStatusResponse> => {
    const { container, info } = await core.containerStatus(req.containerId, req.verbose);
    return { status: containerStatusToCri(container), info };
  };
}

/** The containers a filter selects, shared by ListContainers and StreamContainers. */
export function containers(core: CriService) {
  return async (req: { filter?: ContainerFilter | undefined }): Promise<Container[]> => {
    const f = req.filter;
    const items = await core.listContainers({
      id: f?.id || undefined,
      podId: f?.podSandboxId || undefined,
      state: f?.state ? containerStateFromCri(f.state.state) : undefined,
      labelSelector: f?.labelSelector,
    });
    return items.map(containerToCri);
  };
}

export function listContainers(core: CriService) {
  const list = containers(core);
  return async (req: ListContainersRequest): Promise<ListContainersResponse> => ({ containers: await list(req) });
}

export function execSync(core: CriService) {
  return async (req: ExecSyncRequest): Promise<ExecSyncResponse> => {
    const r = await core.execSync(req.containerId, req.cmd, safeNumber(req.timeout, 'timeout'));
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
  };
}

export function updateContainerResources(core: CriService) {
  return async (req: UpdateContainerResourcesRequest): Promise<UpdateContainerResourcesResponse> => {
    await core.updateContainerResources(req.containerId, resourcesFromCri(req.linux));
    return {};
  };
}

export function reopenContainerLog(core: CriService) {
  return async (req: ReopenContainerLogRequest): Promise<ReopenContainerLogResponse> => {
    await core.reopenContainerLog(req.containerId);
    return {};
  };
}

export function checkpointContainer(core: CriService) {
  return async (req: CheckpointContainerRequest): Promise<CheckpointContainerResponse> => {
    await core.checkpointContainer(req.containerId, req.location, safeNumber(req.timeout, 'timeout'));
    return {};
  };
}
