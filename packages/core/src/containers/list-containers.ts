import type { CoreContext } from '../context.js';
import { matchesLabels } from '../pods/list-pod-sandbox.js';
import type { ContainerRecord, ContainerState } from '../types.js';
import { refreshContainer } from './lookup.js';

export interface ContainerFilter {
  id?: string;
  state?: ContainerState;
  podId?: string;
  labelSelector?: Record<string, string>;
}

/** ListContainers: containers matching every part of the filter, states up to date, oldest first. */
export async function listContainers(ctx: CoreContext, filter: ContainerFilter = {}): Promise<ContainerRecord[]> {
  const candidates = [...ctx.state.containers.values()]
    .filter((c) => !filter.id || c.id.startsWith(filter.id))
    .filter((c) => !filter.podId || c.podId.startsWith(filter.podId))
    .filter((c) => matchesLabels(c.labels, filter.labelSelector));
  const fresh = await Promise.all(candidates.map((c) => refreshContainer(ctx, c)));
  return fresh
    .filter((c) => filter.state === undefined || c.state === filter.state)
    .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
}
