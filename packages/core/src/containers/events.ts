import type { CoreContext } from '../context.js';
import type { ContainerRecord } from '../types.js';
import { nowNs } from '../types.js';

export type ContainerEventType = 'created' | 'started' | 'stopped' | 'deleted';

/** A container lifecycle change, for kubelet's evented PLEG (GetContainerEvents). */
export interface ContainerEvent {
  containerId: string;
  podId: string;
  type: ContainerEventType;
  at: bigint;
}

export type ContainerEventListener = (event: ContainerEvent) => void;

export function emitContainerEvent(ctx: CoreContext, c: ContainerRecord, type: ContainerEventType): void {
  ctx.state.events.emit('container', { containerId: c.id, podId: c.podId, type, at: nowNs() } satisfies ContainerEvent);
}

/** Subscribe to container events; returns the unsubscribe. */
export function onContainerEvent(ctx: CoreContext, listener: ContainerEventListener): () => void {
  ctx.state.events.on('container', listener);
  return () => ctx.state.events.off('container', listener);
}
