import type { CoreContext } from '../context.js';
import { byCreation, matchesLabels } from '../pods/list-pod-sandbox.js';
import type { ContainerRecord, ContainerState } from '../types.js';
import { checkContainer, needsCheck } from './lookup.js';

export interface ContainerFilter {
  id?: string;
  state?: ContainerState;
  podId?: string;
  labelSelector?: Record<string, string>;
}

/**
 * ListContainers: containers matching every part of the filter, states up to date, oldest first.
 * One pass over the records; only those a read must check (see needsCheck) wait for the runtime.
 */
export async function listContainers(ctx: CoreContext, filter: ContainerFilter = {}): Promise<ContainerRecord[]> {
  const picked: ContainerRecord[] = [];
  const checks: Promise<ContainerRecord>[] = [];
  for (const c of ctx.state.containers.values()) {
    if ((filter.id && !c.id.startsWith(filter.id)) || (filter.podId && !c.podId.startsWith(filter.podId))) continue;
    if (!matchesLabels(c.labels, filter.labelSelector)) continue;
    if (needsCheck(ctx, c)) checks.push(checkContainer(ctx, c));
    else picked.push(c);
  }
  if (checks.length > 0) picked.push(...(await Promise.all(checks)));
  return (filter.state === undefined ? picked : picked.filter((c) => c.state === filter.state)).sort(byCreation);
}
