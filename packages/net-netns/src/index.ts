import * as nodePath from 'node:path';
import { definePlugin, type NamespacePlugin } from '@criod/core';
import { z } from 'zod';
import { loadInstanceId } from './instance.js';
import { NetnsNamespaces } from './namespaces.js';

export { NAMESPACE_KINDS, NAME_PREFIX, NetnsNamespaces, PLUGIN_NAME, SETUP_SCRIPT, pinName, type NetnsOptions } from './namespaces.js';
export { parseNetDev } from './netdev.js';
export { instanceIdFile, loadInstanceId } from './instance.js';
/** @deprecated These moved to @criod/core; import them from there. Kept here for one release. */
export { NSFS_MAGIC, parseMountinfo, readMountinfo, topMountAt, unescapeMountField, type MountEntry } from '@criod/core';
export { planSysctls, sysctlComponents, sysctlNamespace, type SysctlSetting } from './sysctl.js';

const absoluteOrEmpty = (s: string) => s === '' || nodePath.isAbsolute(s);

export const configSchema = z.strictObject({
  netns_dir: z
    .string()
    .refine(nodePath.isAbsolute, 'must be an absolute path')
    .default('/var/run/netns')
    .describe("Absolute directory where network namespaces are pinned as `criod-<instance>-<id>`; iproute2's dir by default, so `ip netns` lists them."),
  pin_dir: z
    .string()
    .refine(absoluteOrEmpty, 'must be an absolute path or empty')
    .default('')
    .describe('Absolute directory where ipc and uts namespaces are pinned, under `ipc/` and `uts/`; empty means `<runroot>/ns`.'),
  timeout_ms: z
    .number()
    .int()
    .positive()
    .default(10_000)
    .describe('Milliseconds (a positive integer) each command the plugin spawns (unshare, nsenter, mount, umount) may run.'),
  syscall_helper: z
    .boolean()
    .default(true)
    .describe(
      "Make, pin and release namespaces through criod's resident syscall helper (perl, no spawn per pod); false, or a host without perl, spawns util-linux unshare and umount instead.",
    ),
});

export type NetnsConfig = z.infer<typeof configSchema>;

/** The net-netns plugin: pinned net, ipc and uts namespaces per pod, named per criod instance. */
export const plugin = definePlugin({
  kind: 'namespace',
  name: '@criod/net-netns',
  configSection: 'namespace',
  configSchema,
  async create(ctx): Promise<NamespacePlugin> {
    return new NetnsNamespaces({
      instanceId: await loadInstanceId(ctx.root),
      netnsDir: ctx.config.netns_dir,
      pinDir: ctx.config.pin_dir || nodePath.join(ctx.runroot, 'ns'),
      timeoutMs: ctx.config.timeout_ms,
      useSyscallHelper: ctx.config.syscall_helper,
      logger: ctx.logger.child({ plugin: '@criod/net-netns' }),
    });
  },
});

export default plugin;
