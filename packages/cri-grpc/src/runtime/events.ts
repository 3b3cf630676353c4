import { status as GrpcStatus, type ServerWritableStream } from '@grpc/grpc-js';
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

/**
 * Events a subscriber may have outstanding (built, or written but not taken by the client). A
 * reader that falls this far behind loses its stream, as containerd does, instead of growing
 * criod's memory without bound; kubelet then re-lists and subscribes again.
 */
export const MAX_PENDING_EVENTS = 1024;

/** GetContainerEvents: a stream of container lifecycle events until the client goes away. */
export function getContainerEvents(core: CriService, logger: Logger) {
  return (call: ServerWritableStream<GetEventsRequest, ContainerEventResponse>): void => {
    // One after the other, so events keep their order on the wire.
    let queue: Promise<void> = Promise.resolve();
    let pending = 0;
    const gone = () => call.cancelled || call.writableEnded || call.destroyed;
    const off = core.onContainerEvent((e) => {
      if (gone()) return;
      if (pending >= MAX_PENDING_EVENTS) {
        off();
        logger.warn({ pending }, 'ending a GetContainerEvents stream whose reader fell behind');
        call.emit('error', { code: GrpcStatus.RESOURCE_EXHAUSTED, details: `GetContainerEvents: the client fell ${pending} events behind; subscribe again` });
        return;
      }
      pending++;
      queue = queue
        .then(() => toResponse(core, e))
        .then((res) => (gone() || call.write(res) ? undefined : new Promise<void>((resolve) => waitForDrain(call, resolve))))
        .catch((err: unknown) => logger.warn({ err, containerId: e.containerId }, 'a container event was not sent'))
        .finally(() => pending--);
    });
    const stop = () => off();
    call.once('cancelled', stop);
    call.once('close', stop);
    call.once('error', stop);
  };
}

/** Resolve when the client has taken what was written, or when the stream is gone. */
function waitForDrain(call: ServerWritableStream<GetEventsRequest, ContainerEventResponse>, resolve: () => void): void {
  const done = () => {
    call.off('drain', done);
    call.off('close', done);
    resolve();
  };
  call.once('drain', done);
  call.once('close', done);
}
