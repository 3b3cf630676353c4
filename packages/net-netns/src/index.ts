import * as nodePath from 'node:path';
import { definePlugin, type NamespacePlugin } from '@criod/core';
import { z } from 'zod';
import { loadInstanceId } from './instance.js';
import { NetnsNamespaces } from './namespaces.js';

export {
  NAMESPACE_KINDS,
  NAME_PREFIX,
  NSFS_MAGIC,
  NetnsNamespaces,
  PLUGIN_NAME,
  SETUP_SCRIPT,
  pinName,
  type NetnsOptions,
} from './namespaces.js';
export { parseNetDev } from './netdev.js';
export { instanceIdFile, loadInstanceId } from './instance.js';
export { parseMountinfo, readMountinfo, topMountAt, unescapeMountField, type MountEntry } from './mountinfo.js';
export { planSysctls, sysctlComponents, sysctlNamespace, type SysctlSetting } from './sysctl.js';

const absoluteOrEmpty = (s: string) => s === '' || nodePath.isAbsolute(s);

export const configSchema = z.strictObject({
  /** Where network namespaces are pinned, <netns_dir>/criod-<instance>-<id>; iproute2's dir by default. */
  netns_dir: z.string().refine(nodePath.isAbsolute, 'must be an absolute path').default('/var/run/netns'),
  /** Where ipc and uts namespaces are pinned, <pin_dir>/<kind>/criod-<instance>-<id>; empty means <runroot>/ns. */
  pin_dir: z.string().refine(absoluteOrEmpty, 'must be an absolute path or empty').default(''),
  /** Limit for each command the plugin spawns (unshare, nsenter, mount, umount), in milliseconds. */
  timeout_ms: z.number().int().positive().default(10_000),
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
      logger: ctx.logger.child({ plugin: '@criod/net-netns' }),
    });
  },
});

export default plugin;
