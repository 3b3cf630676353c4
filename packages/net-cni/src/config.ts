import { z } from 'zod';

/** One host-local style range, passed to plugins declaring the `ipRanges` capability. */
const ipRangeSchema = z.strictObject({
  subnet: z.string().min(1).describe('Subnet of the range in CIDR notation, e.g. "10.85.0.0/16".'),
  rangeStart: z.string().optional().describe('First address handed out; unset leaves it to the IPAM plugin.'),
  rangeEnd: z.string().optional().describe('Last address handed out; unset leaves it to the IPAM plugin.'),
  gateway: z.string().optional().describe('Gateway address of the range; unset leaves it to the IPAM plugin.'),
});

/** The `[network]` section of criod's config. `{}` parses to the full defaults. */
export const configSchema = z.strictObject({
  conf_dir: z
    .string()
    .min(1)
    .default('/etc/cni/net.d')
    .describe(
      'Directory of CNI network configs (.conflist, .conf, .json); the lowest-sorted one is used unless `default_network` names another. Followed without a restart.',
    ),
  plugin_dirs: z
    .array(z.string().min(1))
    .min(1)
    .default(['/opt/cni/bin', '/usr/lib/cni'])
    .describe('Directories searched, in order, for CNI plugin binaries; also passed as CNI_PATH. At least one; startup fails when none exists.'),
  cache_dir: z.string().default('').describe('Where ADD results are cached for CHECK and DEL; empty means `<root>/cni/cache`.'),
  default_network: z.string().default('').describe('Name of the network to use; empty means the lowest-sorted config file in `conf_dir`.'),
  plugin_timeout_seconds: z
    .number()
    .positive()
    .max(3600)
    .default(60)
    .describe('Seconds (more than 0, at most 3600) one plugin invocation may run before it is killed.'),
  conf_template: z
    .string()
    .default('')
    .describe(
      "Path of a CNI config template (containerd's syntax: {{.PodCIDR}}, {{.PodCIDRRanges}}, {{.Routes}}) rendered into `conf_dir`/10-criod-net.conflist when kubelet sends the node's pod CIDR, unless another config is there already; empty renders nothing.",
    ),
  ip_ranges: z
    .array(z.array(ipRangeSchema).min(1))
    .default([])
    .describe(
      'Range sets passed as runtimeConfig.ipRanges to plugins with the `ipRanges` capability, e.g. `[[{ subnet = "10.85.0.0/16" }]]`; empty passes nothing.',
    ),
});

export type NetCniConfig = z.output<typeof configSchema>;
export type IpRange = z.output<typeof ipRangeSchema>;
