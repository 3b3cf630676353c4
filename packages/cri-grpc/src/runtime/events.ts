import type { ServerWritableStream } from '@grpc/grpc-js';
import type { ContainerEvent, CriService, Logger } from '@criod/core';
import { ContainerEventType, type ContainerEventResponse, type GetEventsRequest } from '../gen/runtime/v1/api.js';
import { containerStatusToCri } from '../convert/container.js';
import { podStatusToCri } from '../convert/pod.js';

const eventTypes: Record<ContainerEvent['type'], ContainerEventType> = {
  created: ContainerEventType.CONTAINER_CREATED_EVENT,
  started: ContainerEventType.CONTAINER_STARTED_EVENT,
  stopped: ContainerEventType.CONTAINER_STOPPED_EVENT,
  deleted: ContainerEventType.CONTAINER_DELETED_EVENT,
};

/** The event with the pod's status and its containers' statuses, as kubelet's evented PLEG wants them. */
async function toResponse(core: CriService, e: ContainerEvent): Promise<ContainerEventResponse> {
  const pod = await core.podSandboxStatus(e.podId, false).catch(() => undefined);
  const containers = pod ? await core.listContainers({ podId: e.podId }) : [];
  return {
    containerId: e.containerId,
    containerEventType: eventTypes[e.type],
    createdAt: e.at,
    podSandboxStatus: pod ? podStatusToCri(pod.pod) : undefined,
    containersStatuses: containers.filter((c) => c.podId === e.podId).map(containerStatusToCri),
  };
}

/** GetContainerEvents: a stream of container lifecycle events until the client goes away. */
export function getContainerEvents(core: CriService, logger: Logger) {
  return (call: ServerWritableStream<GetEventsRequest, ContainerEventResponse>): void => {
    // One after the other, so events keep their order on the wire.
    let queue: Promise<void> = Promise.resolve();
    const off = core.onContainerEvent((e) => {
      queue = queue
        .then(() => toResponse(core, e))
        .then((res) => {
          if (!call.cancelled && !call.writableEnded) call.write(res);
        })
        .catch((err: unknown) => logger.warn({ err, containerId: e.containerId }, 'a container event was not sent'));
    });
    const stop = () => off();
    call.once('cancelled', stop);
    call.once('close', stop);
    call.once('error', stop);
  };
}
