import type { CoreContext } from '../context.js';
import type { PodRecord, PodState } from '../types.js';

export interface PodSandboxFilter {
  /** Exact id or id prefix. */
  id?: string;
  state?: PodState;
  labelSelector?: Record<string, string>;
}

export function matchesLabels(labels: Record<string, string>, selector: Record<string, string> | undefined): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

/** ListPodSandbox: every pod matching all the filter's parts, oldest first. */
export function listPodSandbox(ctx: CoreContext, filter: PodSandboxFilter = {}): PodRecord[] {
  return [...ctx.state.pods.values()]
    .filter((p) => !filter.id || p.id.startsWith(filter.id))
    .filter((p) => filter.state === undefined || p.state === filter.state)
    .filter((p) => matchesLabels(p.config.labels, filter.labelSelector))
    .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
}
