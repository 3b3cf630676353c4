import { nowNs, type CriService, type PodRecord } from '@criod/core';
import {
  PodSandbox,
  PodSandboxState,
  type PodSandboxFilter,
  type ListPodSandboxRequest,
  type ListPodSandboxResponse,
  type PodSandboxStatusRequest,
  type PodSandboxStatusResponse,
  type RemovePodSandboxRequest,
  type RemovePodSandboxResponse,
  type RunPodSandboxRequest,
  type RunPodSandboxResponse,
  type StopPodSandboxRequest,
  type StopPodSandboxResponse,
  type UpdatePodSandboxResourcesRequest,
  type UpdatePodSandboxResourcesResponse,
} from '../gen/runtime/v1/api.js';
import { resourcesFromCri } from '../convert/common.js';
import { containerStatusToCri } from '../convert/container.js';
import { EncodedItems, type Encoded } from '../convert/encoded-items.js';
import { podConfigFromCri, podStatusToCri, podToCri } from '../convert/pod.js';
import type { CallContext } from '../handler.js';

export function runPodSandbox(core: CriService) {
  return async (req: RunPodSandboxRequest, call: CallContext): Promise<RunPodSandboxResponse> => {
    const podSandboxId = await core.runPodSandbox(podConfigFromCri(req.config), req.runtimeHandler, { signal: call.signal });
    return { podSandboxId };
  };
}

export function stopPodSandbox(core: CriService) {
  return async (req: StopPodSandboxRequest): Promise<StopPodSandboxResponse> => {
    await core.stopPodSandbox(req.podSandboxId);
    return {};
  };
}

export function removePodSandbox(core: CriService) {
  return async (req: RemovePodSandboxRequest): Promise<RemovePodSandboxResponse> => {
    await core.removePodSandbox(req.podSandboxId);
    return {};
  };
}

export function podSandboxStatus(core: CriService) {
  return async (req: PodSandboxStatusRequest): Promise<PodSandboxStatusResponse> => {
    const { pod, info } = await core.podSandboxStatus(req.podSandboxId, req.verbose);
    // With the evented PLEG kubelet takes the containers' statuses from here, with the time they were read.
    const timestamp = nowNs();
    const containers = await core.listContainers({ podId: pod.id });
    return { status: podStatusToCri(pod), info, containersStatuses: containers.filter((c) => c.podId === pod.id).map(containerStatusToCri), timestamp };
  };
}

export function updatePodSandboxResources(core: CriService) {
  return async (req: UpdatePodSandboxResourcesRequest): Promise<UpdatePodSandboxResourcesResponse> => {
    await core.updatePodSandboxResources(req.podSandboxId, resourcesFromCri(req.overhead), resourcesFromCri(req.resources));
    return {};
  };
}

/** The pods a filter selects. */
function selectPods(core: CriService, req: { filter?: PodSandboxFilter | undefined }): PodRecord[] {
  const f = req.filter;
  const state = f?.state ? (f.state.state === PodSandboxState.SANDBOX_READY ? 'ready' : 'notready') : undefined;
  return core.listPodSandbox({ id: f?.id || undefined, state, labelSelector: f?.labelSelector });
}

/** StreamPodSandboxes' items: what ListPodSandbox answers for the same filter. */
export function podSandboxes(core: CriService) {
  return (req: { filter?: PodSandboxFilter | undefined }): PodSandbox[] => selectPods(core, req).map(podToCri);
}

export function listPodSandbox(core: CriService) {
  const items = new EncodedItems(
    (pod: PodRecord) => PodSandbox.encode(podToCri(pod)).finish(),
    (pod) => pod.state,
  );
  // ListPodSandboxResponse: items = 1.
  return (req: ListPodSandboxRequest): Encoded<ListPodSandboxResponse> => items.message(1, selectPods(core, req));
}
