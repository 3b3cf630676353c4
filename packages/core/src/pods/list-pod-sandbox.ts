import type { CoreContext } from '../context.js';
import type { PodRecord, PodState } from '../types.js';

export interface PodSandboxFilter {
  /** Exact id or id prefix. */
  id?: string;
  state?: PodState;
  labelSelector?: Record<string, string>;
}

export function matchesLabels(labels: Record<string, string>, selector: Record<string, string> | undefined): boolean {
  // Lists call this per record: no array is made for the (usually empty) selector.
  for (const key in selector) if (labels[key] !== selector[key]) return false;
  return true;
}

/** Oldest first. */
export function byCreation(a: { createdAt: bigint }, b: { createdAt: bigint }): number {
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0;
}

/** ListPodSandbox: every pod matching all the filter's parts, oldest first. */
export function listPodSandbox(ctx: CoreContext, filter: PodSandboxFilter = {}): PodRecord[] {
  const picked: PodRecord[] = [];
  for (const p of ctx.state.pods.values()) {
    if ((filter.id && !p.id.startsWith(filter.id)) || (filter.state !== undefined && p.state !== filter.state)) continue;
    if (matchesLabels(p.config.labels, filter.labelSelector)) picked.push(p);
  }
  return picked.sort(byCreation);
}
