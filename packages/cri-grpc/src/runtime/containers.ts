import type { ContainerRecord, CriService } from '@criod/core';
import {
  Container,
  type CheckpointContainerRequest,
  type CheckpointContainerResponse,
  type ContainerFilter,
  type ContainerStatusRequest,
  type ContainerStatusResponse,
  type CreateContainerRequest,
  type CreateContainerResponse,
  type ExecSyncRequest,
  type ExecSyncResponse,
  type ListContainersRequest,
  type ListContainersResponse,
  type RemoveContainerRequest,
  type RemoveContainerResponse,
  type ReopenContainerLogRequest,
  type ReopenContainerLogResponse,
  type StartContainerRequest,
  type StartContainerResponse,
  type StopContainerRequest,
  type StopContainerResponse,
  type UpdateContainerResourcesRequest,
  type UpdateContainerResourcesResponse,
} from '../gen/runtime/v1/api.js';
import { resourcesFromCri, safeNumber } from '../convert/common.js';
import { containerConfigFromCri, containerStateFromCri, containerStatusToCri, containerToCri } from '../convert/container.js';
import { EncodedItems, type Encoded } from '../convert/encoded-items.js';

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

/** The containers a filter selects, their states up to date. */
function selectContainers(core: CriService, req: { filter?: ContainerFilter | undefined }): Promise<ContainerRecord[]> {
  const f = req.filter;
  return core.listContainers({
    id: f?.id || undefined,
    podId: f?.podSandboxId || undefined,
    state: f?.state ? containerStateFromCri(f.state.state) : undefined,
    labelSelector: f?.labelSelector,
  });
}

/** StreamContainers' items: what ListContainers answers for the same filter. */
export function containers(core: CriService) {
  return async (req: { filter?: ContainerFilter | undefined }): Promise<Container[]> => (await selectContainers(core, req)).map(containerToCri);
}

export function listContainers(core: CriService) {
  const items = new EncodedItems(
    (c: ContainerRecord) => Container.encode(containerToCri(c)).finish(),
    (c) => c.state,
  );
  // ListContainersResponse: containers = 1.
  return async (req: ListContainersRequest): Promise<Encoded<ListContainersResponse>> => items.message(1, await selectContainers(core, req));
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
