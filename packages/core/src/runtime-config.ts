import type { CoreContext } from './context.js';
import { InvalidArgumentError } from './errors.js';
import type { StateCounts } from './observe.js';

const cidrRe = /^[0-9a-fA-F:.]+\/\d{1,3}$/;

/**
 * UpdateRuntimeConfig: kubelet sends the node's pod CIDR (dual-stack: two, comma-separated).
 * It is recorded, and the network plugin may act on it (net-cni renders its conf_template). An
 * empty CIDR or the one already recorded changes nothing.
 */
export async function updateRuntimeConfig(ctx: CoreContext, podCidr: string): Promise<void> {
  const cidr = podCidr.trim();
  if (cidr === '' || cidr === ctx.state.podCidr) return;
  const cidrs = cidr.split(',').map((c) => c.trim());
  for (const c of cidrs) if (!cidrRe.test(c)) throw new InvalidArgumentError(`pod CIDR "${c}" is not an address/prefix`);
  await ctx.plugins.network.updatePodCidrs?.(cidrs);
  // Recorded only once the plugin took it, so kubelet's retry of a failed update is not a no-op.
  ctx.state.podCidr = cidr;
  ctx.logger.info({ podCidr: cidr }, 'pod CIDR updated');
}

/** Pods and containers by state as last recorded: cheap enough for every metrics scrape. */
export function stateCounts(ctx: CoreContext): StateCounts {
  const counts: StateCounts = { pods: { ready: 0, notready: 0 }, containers: { created: 0, running: 0, exited: 0, unknown: 0 } };
  for (const p of ctx.state.pods.values()) counts.pods[p.state]++;
  for (const c of ctx.state.containers.values()) counts.containers[c.state]++;
  return counts;
}
