/**
 * What a bench must not leave behind: what any CRI runtime could leak (pods and containers it
 * still lists, veths on its bridge, IPs held, cgroups under its parent) and the runtime's own kinds.
 */
import type { CriClient } from '@criod/cri-grpc';
import { leftoverCgroups } from '../containers.js';
import { allocatedIps, bridgePorts, type TestNetwork } from '../network.js';
import type { Leftovers } from './target.js';

/** A kind of leftover and what was found of it. */
export type LeftoverCheck = [kind: string, find: () => string[] | Promise<string[]>];

export async function leftBehind(client: CriClient, net: TestNetwork, cgroupParent: string, own: LeftoverCheck[]): Promise<Leftovers> {
  const checks: LeftoverCheck[] = [
    ['pods', async () => (await client.runtime.listPodSandbox({ filter: undefined })).items.map((p) => p.id)],
    ['containers', async () => (await client.runtime.listContainers({ filter: undefined })).containers.map((c) => c.id)],
    ['veths on the bridge', () => bridgePorts(net)],
    ['IPs held', () => allocatedIps(net)],
    ['cgroups', () => leftoverCgroups(cgroupParent)],
    ...own,
  ];
  const found: string[] = [];
  for (const [kind, find] of checks) {
    const left = await find();
    if (left.length > 0) found.push(`${kind}: ${left.slice(0, 5).join(', ')}${left.length > 5 ? ` (${left.length})` : ''}`);
  }
  return { checked: checks.map(([kind]) => kind), found };
}
