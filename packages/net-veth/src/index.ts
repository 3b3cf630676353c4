/**
 * @criod/net-veth: a network plugin of criod without CNI — pods on a Linux bridge through veth
 * pairs, with its own IP allocation. Written against @criod/core's public types only.
 */
import { join } from 'node:path';
import { definePlugin, findExecutable } from '@criod/core';
import { IpAllocator } from './allocator.js';
import { parseIpv4, parseSubnet } from './cidr.js';
import { configSchema, type NetVethConfig } from './config.js';
import { IpRoute } from './iproute.js';
import { PLUGIN_NAME, VethNetwork } from './network.js';

export { configSchema, type NetVethConfig } from './config.js';
export { IpAllocator, type AddressPool } from './allocator.js';
export { formatIpv4, parseIpv4, parseSubnet, type Ipv4Subnet } from './cidr.js';
export { IpCommandError, IpRoute } from './iproute.js';
export { IF_NAME, PLUGIN_NAME, VethNetwork, vethName, type VethNetworkOptions } from './network.js';

/** An executable found in PATH (or the sbin dirs), or an error saying which package provides it. */
async function requireExecutable(name: string, pkg: string): Promise<string> {
  const path = await findExecutable(name);
  if (!path) throw new Error(`"${name}" not found in PATH or the sbin dirs; install ${pkg}`);
  return path;
}

export const plugin = definePlugin<'network', NetVethConfig>({
  kind: 'network',
  name: PLUGIN_NAME,
  configSection: 'net_veth',
  configSchema,
  async create(ctx) {
    const cfg = ctx.config;
    const subnet = parseSubnet(cfg.subnet);
    const gateway = cfg.gateway === '' ? subnet.network + 1 : parseIpv4(cfg.gateway)!;
    const ip = new IpRoute(await requireExecutable('ip', 'iproute2'), await requireExecutable('nsenter', 'util-linux'));
    const allocator = await IpAllocator.open(cfg.state_dir || join(ctx.root, 'net-veth'), {
      first: subnet.network + 1,
      last: subnet.broadcast - 1,
      exclude: new Set([gateway]),
    });
    const network = new VethNetwork({ bridge: cfg.bridge, subnet, gateway, mtu: cfg.mtu, allocator, ip, logger: ctx.logger });
    await network.releaseStale();
    return network;
  },
});

export default plugin;
