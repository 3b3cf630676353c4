import { z } from 'zod';

/** One host-local style range, passed to plugins declaring the `ipRanges` capability. */
const ipRangeSchema = z.strictObject({
  subnet: z.string().min(1),
  rangeStart: z.string().optional(),
  rangeEnd: z.string().optional(),
  gateway: z.string().optional(),
});

/** The `[network]` section of criod's config. `{}` parses to the full defaults. */
export const configSchema = z.strictObject({
  /** Directory holding .conflist/.conf/.json network configs; the lowest-sorted one is used. */
  conf_dir: z.string().min(1).default('/etc/cni/net.d'),
  /** Directories searched, in order, for plugin binaries (also passed as CNI_PATH). */
  plugin_dirs: z.array(z.string().min(1)).min(1).default(['/opt/cni/bin', '/usr/lib/cni']),
  /** Where ADD results are cached for DEL/CHECK; empty means `<root>/cni/cache`. */
  cache_dir: z.string().default(''),
  /** Name of the network to use; empty means the lowest-sorted config file. */
  default_network: z.string().default(''),
  /** Time limit of one plugin invocation; the plugin is killed when it runs out. */
  plugin_timeout_seconds: z.number().positive().max(3600).default(60),
  /**
   * A CNI config template (containerd's syntax: {{.PodCIDR}}, {{.PodCIDRRanges}}, {{.Routes}})
   * rendered into conf_dir when kubelet sends the node's pod CIDR; empty renders nothing.
   */
  conf_template: z.string().default(''),
  /** Ranges (a list of range sets) passed as runtimeConfig.ipRanges; empty passes nothing. */
  ip_ranges: z.array(z.array(ipRangeSchema).min(1)).default([]),
});

export type NetCniConfig = z.output<typeof configSchema>;
export type IpRange = z.output<typeof ipRangeSchema>;
