import { z } from 'zod';
import { formatIpv4, isHostOf, parseIpv4, parseSubnet } from './cidr.js';

/** Linux interface names: at most 15 bytes, no '/', ':' or whitespace, not "." or "..". */
const IFNAME = /^(?!\.{1,2}$)[^/:\s]{1,15}$/;

/** The `[net_veth]` section of criod's config. `{}` parses to the full defaults. */
export const configSchema = z
  .strictObject({
    bridge: z
      .string()
      .regex(IFNAME, 'must be a Linux interface name: 1 to 15 characters, no "/", ":" or spaces')
      .default('criod-veth0')
      .describe('Linux bridge the pods are attached to; created (with the gateway address, up) when absent, used as it is when present.'),
    subnet: z
      .string()
      .default('10.89.0.0/16')
      .describe('IPv4 subnet (CIDR) pod addresses are allocated from; the network and broadcast addresses and the gateway are never handed out.'),
    gateway: z.string().default('').describe("The bridge's address and the pods' default route; empty means the first address of the subnet."),
    mtu: z.number().int().min(68).max(65535).default(1500).describe('MTU of both ends of every veth pair.'),
    state_dir: z.string().default('').describe('Where allocations are kept, one file per IP naming its pod; empty means <root>/net-veth. One criod per dir.'),
  })
  .superRefine((cfg, ctx) => {
    let subnet;
    try {
      subnet = parseSubnet(cfg.subnet);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['subnet'], message: (err as Error).message });
      return;
    }
    if (cfg.gateway === '') return;
    const gw = parseIpv4(cfg.gateway);
    if (gw === undefined || !isHostOf(subnet, gw)) {
      ctx.addIssue({
        code: 'custom',
        path: ['gateway'],
        message: `"${cfg.gateway}" is not a host address of subnet ${formatIpv4(subnet.network)}/${subnet.prefix}`,
      });
    }
  });

export type NetVethConfig = z.output<typeof configSchema>;
